"""The opening gate: is the line taking calls at this moment?

Everything is decided in the campaign's own time zone, from an aware moment
passed in (one injected clock; never `datetime.now()` here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ivr.campaign import Campaign


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

    @property
    def is_open(self) -> bool:
        return self.refusal is None


def check_gate(campaign: Campaign, moment: datetime) -> GateDecision:
    """Decide whether a call arriving at `moment` (timezone-aware) is taken."""
    if moment.tzinfo is None:
        raise ValueError("the gate needs a timezone-aware moment")
    local = moment.astimezone(campaign.timezone)
    today = local.date()
    if campaign.opens is not None and today < campaign.opens:
        return GateDecision(local, Refusal.NOT_OPEN_YET)
    if today > campaign.closes:
        return GateDecision(local, Refusal.AFTER_CUTOFF)
    if local.isoweekday() not in campaign.weekdays or today in campaign.closed_on:
        return GateDecision(local, Refusal.CLOSED_HOURS, closed_today=True)
    start, end = campaign.hours
    now = local.time().replace(tzinfo=None)
    if now < start or (end is not None and now >= end):
        return GateDecision(local, Refusal.CLOSED_HOURS)
    return GateDecision(local, None)
