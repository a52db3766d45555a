"""`make bench` in its quick mode: every benchmark runs end to end; no timing is asserted.

The quick mode starts the bare endpoint and `hotline serve` (gunicorn, two
workers) for real, plays the call mix over HTTP, fills small throw-away
databases and times the console's reads, so a change that breaks the bench
(a step URL the generator cannot follow, a page the growth bench reads)
shows up in CI rather than on the day someone measures.
"""

from __future__ import annotations

from bench.__main__ import main
from bench.servers import postgres_reachable


def test_quick_bench_plays_every_call_and_judges_every_target(capsys) -> None:
    databases = ["sqlite"] + ([] if postgres_reachable() else ["postgresql"])
    verdicts = main(["--quick", "--databases", ",".join(databases)])
    out = capsys.readouterr().out

    judged = {(v.database, v.target) for v in verdicts}
    for database in databases:
        # The call mix was played without a refused or failed webhook or a flow the
        # generator could not follow (a real error, not a slow answer).
        assert f"== {database}: saturation" in out
        # Where its CPU went, by phase, so that a miss names its cause.
        assert f"== {database}, where a webhook's CPU goes: in-process" in out
        for target in ("server CPU per webhook ≤ 1.5× bare", "saturated throughput ≥ 0.7× bare",
                       "capacity ≥ 0.7× bare"):
            assert (database, target) in judged
        assert (database, "growth ≤ 1.5×: search by reference") in judged
        assert (database, "growth ≤ 1.5×: a day's export (CSV)") in judged
    assert "error:" not in out, out
    assert "| read |" in out
