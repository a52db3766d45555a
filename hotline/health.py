"""GET /healthz: is the database reachable and at the newest migration?"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from db import migrate

bp = Blueprint("health", __name__)


def database_health(engine: Engine) -> tuple[bool, str]:
    """(healthy, reason): reachable and migrated, or why not."""
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        current = set(migrate.current_revisions(engine))
    except SQLAlchemyError as exc:
        return False, f"database unreachable: {type(exc.orig or exc).__name__}"
    heads = set(migrate.head_revisions(engine))
    if current != heads:
        shown = ", ".join(sorted(current)) or "empty"
        return False, f"database not migrated: at {shown}, newest {', '.join(sorted(heads))}"
    return True, "ok"


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    healthy, reason = database_health(current_app.extensions["hotline.engine"])
    body = {"status": "ok" if healthy else "unavailable", "database": reason}
    return jsonify(body), 200 if healthy else 503
