"""The opening gate: is the line taking calls at this moment?

Everything is decided in the campaign's own time zone, from an aware moment
passed in (one injected clock; never `datetime.now()` here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from campaign.calendar import is_open, is_open_day, next_opening
from campaign.model import Campaign


class Refusal(StrEnum):
    """Why a call was turned away; the values are call outcomes in the log."""

    CLOSED_HOURS = "closed_hours"
    NOT_OPEN_YET = "not_open_yet"
    AFTER_CUTOFF = "after_cutoff"


@dataclass(frozen=True)
class GateDecision:
    local_time: datetime
    refusal: Refusal | None
    closed_today: bool = False  # a closed weekday or date, not merely outside the hours
    next_opening: datetime | None = None  # local; None for an open line or one closed for good

    @property
    def is_open(self) -> bool:
        return self.refusal is None


def check_gate(campaign: Campaign, moment: datetime) -> GateDecision:
    """Decide whether a call arriving at `moment` (timezone-aware) is taken.

    A line with no opening left (after `closes`, or on its last open day after the
    hours) has closed for good: AFTER_CUTOFF, never "call again".
    """
    if moment.tzinfo is None:
        raise ValueError("the gate needs a timezone-aware moment")
    local = moment.astimezone(campaign.timezone)
    if is_open(campaign, local):
        return GateDecision(local, None)
    opening = next_opening(campaign, local)
    if opening is None:
        return GateDecision(local, Refusal.AFTER_CUTOFF)
    today = local.date()
    if campaign.opens is not None and today < campaign.opens:
        return GateDecision(local, Refusal.NOT_OPEN_YET, next_opening=opening)
    return GateDecision(local, Refusal.CLOSED_HOURS,
                        closed_today=not is_open_day(campaign, today), next_opening=opening)
