"""Legal holds: a report kept out of the retention purge. The audit line is the caller's."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from db.engine import rows_changed
from db.recording_models import LegalHold


def place(session: Session, report_id: int, *, at: datetime, by: str, reason: str) -> bool:
    """Hold the report; False when it already was (the first hold and its reason stay)."""
    if session.get(LegalHold, report_id) is not None:
        return False
    session.add(LegalHold(report_id=report_id, placed_at=at, placed_by=by[:64],
                          reason=reason[:500]))
    session.flush()
    return True


def release(session: Session, report_id: int) -> bool:
    """Lift the hold; False when there was none."""
    return bool(rows_changed(session.execute(
        delete(LegalHold).where(LegalHold.report_id == report_id))))
