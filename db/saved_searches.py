"""The call list's searches, kept in the database under the random id the URL carries,
so that a searched number is in neither the URL nor the (readable) session cookie.

A search belongs to the user who made it and lasts one working day; older ones are
purged whenever a new one is kept.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.access_models import SavedSearch

LIFETIME = timedelta(hours=12)  # a console sign-in's working day
MAX_TEXT = 64


def keep(session: Session, user_id: int, text: str, *, at: datetime) -> str:
    """Keep `text` for `user_id`; its id. Searches older than a working day go."""
    purge(session, at=at)
    search_id = secrets.token_urlsafe(12)
    session.add(SavedSearch(id=search_id, user_id=user_id, text=text[:MAX_TEXT], created_at=at))
    session.flush()
    return search_id


def text_of(session: Session, search_id: str, user_id: int, *, at: datetime) -> str | None:
    """The text kept under `search_id`, if it is this user's and not yet expired."""
    return session.scalar(select(SavedSearch.text).where(
        SavedSearch.id == search_id[:24], SavedSearch.user_id == user_id,
        SavedSearch.created_at >= at - LIFETIME))


def purge(session: Session, *, at: datetime) -> None:
    session.execute(delete(SavedSearch).where(SavedSearch.created_at < at - LIFETIME))
