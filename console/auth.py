"""Who is signed in, what their role lets them open, and the request's database session."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from flask import abort, current_app, g, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import scope
from db.user_models import User

if TYPE_CHECKING:
    from console import ConsoleContext

# What each role may open. Admins run the system but do not read reports: the people
# who called in are best protected when as few people as possible can hear them.
PERMISSIONS: dict[str, frozenset[str]] = {
    "operator": frozenset({"calls"}),
    "manager": frozenset({"calls", "stats", "original_voice", "legal_hold", "caller_numbers"}),
    "admin": frozenset({"admin"}),
}

F = TypeVar("F", bound=Callable[..., Any])
SESSION_HOURS = 12  # a sign-in lasts one working day


@dataclass(frozen=True)
class ConsoleUser:
    """The signed-in user, detached from any database session."""

    id: int
    name: str
    role: str
    session_token: str
    # The campaigns they may see (db/scope.py); None: every campaign.
    campaigns: frozenset[str] | None = None

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        # The token is part of the id: changing it ends every session of this user.
        return f"{self.id}:{self.session_token}"

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())

    @classmethod
    def of(cls, user: User, campaigns: frozenset[str] | None = None) -> ConsoleUser:
        return cls(user.id, user.name, user.role, user.session_token, campaigns)


def context() -> ConsoleContext:
    return current_app.extensions["hotline.console"]


def db() -> Session:
    """The request's session, closed at the end of the request.

    A POST gets a writer session: its first statement takes the write lock (BEGIN
    IMMEDIATE on SQLite), so its reads and the write that follows are one transaction
    that a webhook committing meanwhile cannot invalidate. Keep POST handlers short:
    slow work (hashing, network) belongs outside the request's session.
    """
    if "console_db" not in g:
        factory = context().write_sessions if request.method == "POST" else context().sessions
        g.console_db = factory()
    return g.console_db


def writer() -> Session:
    """A new short write transaction's session (use as `with writer().begin() ...`)."""
    return context().write_sessions()


def audit_line(**fields: Any) -> None:
    """Append one audit line in its own short write transaction."""
    from db import audit

    with writer() as session, session.begin():
        audit.record(session, **fields)


def close_db(_exc: BaseException | None = None) -> None:
    session = g.pop("console_db", None)
    if session is not None:
        session.close()


def load_user(user_id: str) -> ConsoleUser | None:
    ident, _, token = user_id.partition(":")
    if not ident.isdigit() or not token:
        return None
    # Its own short read, so the request's transaction starts only when the view needs it.
    with context().sessions() as session:
        user = session.scalar(select(User).where(User.id == int(ident)))
        if user is None or not user.active or user.session_token != token:
            return None
        return ConsoleUser.of(user, scope.visible_campaigns(session, user.id))


def me() -> User:
    """The signed-in user's row in the request's session."""
    user = db().get(User, current_user.id)
    if user is None:
        abort(403)
    return user


def visible_or_404(campaign_id: str | None) -> None:
    """Another campaign's call, report, recording or day is "not found" for a user
    limited to some campaigns: not even its existence is told."""
    if not scope.may_see(current_user.campaigns, campaign_id):
        abort(404)


def visible_campaign_ids() -> list[str]:
    """The configured campaigns the signed-in user may see."""
    return [campaign.id for campaign in context().campaigns
            if scope.may_see(current_user.campaigns, campaign.id)]


def address() -> str:
    return (request.remote_addr or "unknown")[:64]


def requires(permission: str | None = None) -> Callable[[F], F]:
    """Signed-out visitors go to the sign-in page; a role without `permission` gets 403."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if permission is not None and not current_user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate
