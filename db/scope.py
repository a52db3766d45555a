"""Scoped access: the campaigns a user may see, in one place.

A user with no row in user_campaigns sees every campaign (and calls to numbers of
no campaign); a user with rows sees only those campaigns. Two things apply it:

- lists, counts, figures and exports: `CallFilter.scope` (db/calllist.py) turns the
  filter's windows into windows of the visible campaigns only (`within`), so every
  query built from a CallFilter honours it;
- pages of one thing (a call, a report, a recording, a day's report): `may_see`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db import audit
from db.access_models import UserCampaign
from db.queries import Window
from db.user_models import User

Scope = frozenset[str] | None  # None: every campaign


class ScopeError(ValueError):
    """A campaign that is not configured: a scope must name real campaigns."""


def visible_campaigns(session: Session, user_id: int) -> Scope:
    """The campaigns `user_id` may see; None when they are not limited."""
    found = frozenset(session.scalars(select(UserCampaign.campaign_id)
                                      .where(UserCampaign.user_id == user_id)))
    return found or None


def campaigns_by_user(session: Session) -> dict[int, list[str]]:
    """Every limited user's campaigns (for the admin pages and `users list`)."""
    found: dict[int, list[str]] = {}
    for row in session.scalars(select(UserCampaign).order_by(UserCampaign.campaign_id)):
        found.setdefault(row.user_id, []).append(row.campaign_id)
    return found


def may_see(scope: Scope, campaign_id: str | None) -> bool:
    """May a user with `scope` see a call, report or day of `campaign_id`?"""
    return scope is None or (campaign_id is not None and campaign_id in scope)


def within(windows: Sequence[Window] | None, scope: Scope) -> list[Window] | None:
    """`windows` cut down to the campaigns of `scope` (an empty list: nothing visible)."""
    if scope is None:
        return None if windows is None else list(windows)
    if windows is None:
        return [Window(campaign_id, None, None) for campaign_id in sorted(scope)]
    cut: list[Window] = []
    for window in windows:
        if window.others_than is not None:
            # The catch-all: of the visible campaigns, those it stands for.
            cut += [Window(campaign_id, window.start, window.end) for campaign_id in
                    sorted(scope) if campaign_id not in window.others_than]
        elif window.campaign_id is not None and window.campaign_id in scope:
            cut.append(window)
    return cut


def set_campaigns(session: Session, user: User, campaign_ids: Iterable[str], *,
                  known: Iterable[str], at: datetime, actor: str = audit.COMMAND_LINE,
                  address: str | None = None) -> bool:
    """Limit `user` to `campaign_ids` (none: every campaign), audited; False when it
    was already so."""
    wanted = sorted(set(campaign_ids))
    unknown = [campaign_id for campaign_id in wanted if campaign_id not in set(known)]
    if unknown:
        raise ScopeError(f"no campaign {', '.join(map(repr, unknown))} is configured")
    before = sorted(visible_campaigns(session, user.id) or ())
    if before == wanted:
        return False
    session.execute(delete(UserCampaign).where(UserCampaign.user_id == user.id))
    session.add_all(UserCampaign(user_id=user.id, campaign_id=c) for c in wanted)
    session.flush()
    audit.campaigns_limited(session, at=at, actor=actor, name=user.name, campaigns=wanted,
                            address=address)
    return True
