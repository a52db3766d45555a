"""`hotline audit verify`: walk the audit log's hash chain (db/audit_chain.py)."""

from __future__ import annotations

import click
from sqlalchemy.exc import OperationalError

from db import audit_chain
from db.engine import make_session_factory
from hotline.cli.shared import open_engine, prepare_database, read_settings, unreachable


@click.group("audit")
def audit_group() -> None:
    """The audit log."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Check every audit line against the one before it; exit 1 at the first break,
    naming the line."""
    engine = open_engine(read_settings())
    prepare_database(engine)
    try:
        with make_session_factory(engine)() as session:
            verdict = audit_chain.verify(session)
    except OperationalError as exc:
        raise unreachable(exc) from None
    if verdict.broken is None:
        click.echo(f"audit log intact: {_lines(verdict.lines)}, head {verdict.head}")
        return
    broken = verdict.broken
    why = ("its content does not match its hash (edited)" if broken.reason == "edited" else
           "it does not follow the line before it (a line removed, inserted or reordered)")
    click.echo(f"audit log broken at line {broken.line_id} ({broken.at.isoformat()}): {why}; "
               f"{_lines(verdict.lines)} before it intact", err=True)
    raise SystemExit(1)


def _lines(count: int) -> str:
    return f"{count} line" if count == 1 else f"{count} lines"
