"""GET /healthz: can this host take calls, and how far behind is the database?

Webhooks need only the journal, so the answer is 503 only when the journal
cannot be written. The database's state (reachable, migrated) and the journal's
backlog (depth, age of the oldest entry) are reported in the body: a backlog
draining after an outage is healthy, and a load balancer must keep sending
calls to this host meanwhile.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from db import migrate
from journal import Journal, JournalUnavailable

bp = Blueprint("health", __name__)


def database_health(engine: Engine) -> tuple[bool, str]:
    """(healthy, reason): reachable and migrated, or why not."""
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        current = set(migrate.current_revisions(engine))
    except SQLAlchemyError as exc:
        return False, f"database unreachable: {type(getattr(exc, 'orig', None) or exc).__name__}"
    heads = set(migrate.head_revisions(engine))
    if current != heads:
        shown = ", ".join(sorted(current)) or "empty"
        return False, f"database not migrated: at {shown}, newest {', '.join(sorted(heads))}"
    return True, "ok"


def journal_health(journal: Journal) -> tuple[bool, dict[str, object]]:
    try:
        journal.check_writable()
        stats = journal.stats()
    except JournalUnavailable as exc:
        return False, {"writable": False, "error": str(exc)}
    return True, {"writable": True, "depth": stats.depth, "parked": stats.parked,
                  "oldest_age_seconds": round(stats.oldest_age, 1)}


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    database_ok, reason = database_health(current_app.extensions["hotline.engine"])
    journal_ok, journal = journal_health(current_app.extensions["hotline.journal"])
    if not journal_ok:
        status = "unavailable"
    elif database_ok and not journal["depth"]:
        status = "ok"
    else:
        status = "degraded"  # calls are taken; the database catches up from the journal
    body = {"status": status, "database": reason, "journal": journal}
    return jsonify(body), 200 if journal_ok else 503
