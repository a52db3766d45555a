"""The million-call benchmark never empties a call log it did not make."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bench.report import MARKER, main
from db.models import Call


def _calls(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Call)) or 0


def test_the_bench_refuses_to_wipe_a_database_it_did_not_make(engine, place_call, clock,
                                                              capsys):
    place_call("1", "3", "1", "r30", "2")
    url = engine.url.render_as_string(hide_password=False)
    with pytest.raises(SystemExit, match="was not made by this bench"):
        main(["--url", url, "--calls", "50", "--repeat", "1"])
    assert _calls(engine) == 1

    try:
        main(["--url", url, "--calls", "50", "--repeat", "1", "--wipe"])
        assert _calls(engine) == 50
        # Now it carries the bench's marker: refilling it needs no --wipe.
        main(["--url", url, "--calls", "60", "--repeat", "1"])
        assert _calls(engine) == 60
        assert "whole e-mail of the last day" in capsys.readouterr().out
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {MARKER}")
