"""The console while its database is away: a clear 503 page, never a stack trace."""

from __future__ import annotations

from tests.helpers import UNREACHABLE


def test_the_console_says_database_unavailable(app, signed_in) -> None:
    from db.engine import make_engine, make_session_factory

    client = signed_in("operator")
    broken = make_engine(UNREACHABLE)
    app.extensions["hotline.console"].sessions = make_session_factory(broken)
    response = client.get("/console/calls?lang=en")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Database unavailable" in page and "still takes calls" in page
    assert "Traceback" not in page and "OperationalError" not in page
