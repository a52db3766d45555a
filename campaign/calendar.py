"""A campaign's calendar: local days and their bounds, the days it is open and the next
moment it takes calls.

Pure functions of the campaign's fields (`opens`, `closes`, `weekdays`,
`closed_on`, `hours`, `timezone`) and an aware moment passed in; nothing here
reads a clock. The gate and every prompt that says "when" use these, so what
a caller is told and what the gate does can never disagree; the console, the
reports and the export cut days with `local_midnight` and `day_bounds`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Calendar(Protocol):
    """The fields of a campaign the calendar reads (read-only: a campaign is frozen)."""

    @property
    def timezone(self) -> ZoneInfo: ...
    @property
    def opens(self) -> date | None: ...
    @property
    def closes(self) -> date: ...
    @property
    def weekdays(self) -> frozenset[int]: ...
    @property
    def closed_on(self) -> frozenset[date]: ...
    @property
    def hours(self) -> tuple[time, time | None]: ...


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which `day` begins in `zone`."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """`day` in `zone` as a half-open range of UTC instants [start, end)."""
    return local_midnight(day, zone), local_midnight(day + timedelta(days=1), zone)


def is_open_day(campaign: Calendar, day: date) -> bool:
    """True when `day` is within the campaign, on an open weekday, and not a closed date."""
    if campaign.opens is not None and day < campaign.opens:
        return False
    return (day <= campaign.closes and day.isoweekday() in campaign.weekdays
            and day not in campaign.closed_on)


def within_hours(campaign: Calendar, moment: time) -> bool:
    start, end = campaign.hours
    return moment >= start and (end is None or moment < end)


def is_open(campaign: Calendar, moment: datetime) -> bool:
    """Whether the line takes a call at `moment` (timezone-aware)."""
    local = moment.astimezone(campaign.timezone)
    return is_open_day(campaign, local.date()) and within_hours(
        campaign, local.time().replace(tzinfo=None))


def next_opening(campaign: Calendar, moment: datetime) -> datetime | None:
    """The first moment at or after `moment` at which the line takes calls, in the
    campaign's zone; `moment` itself when it is open now; None when no opening remains
    (after `closes`, or on the last open day after its hours)."""
    if moment.tzinfo is None:
        raise ValueError("the calendar needs a timezone-aware moment")
    zone = campaign.timezone
    local = moment.astimezone(zone)
    if is_open(campaign, local):
        return local
    start = campaign.hours[0]
    day = local.date()
    if campaign.opens is not None and day < campaign.opens:
        day = campaign.opens
    # Every closed date is passed at most once, and a week holds every open weekday:
    # an opening, if any remains, is found well before the loop could run long.
    while day <= campaign.closes:
        if is_open_day(campaign, day):
            opening = _local_moment(day, start, zone)
            if opening > local:
                return opening
        day += timedelta(days=1)
    return None


def _local_moment(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The first instant of `day` at which the wall clock in `zone` reads `clock` or later.

    A wall time skipped by a spring-forward change does not exist: the line opens at the
    change itself, the first instant whose wall clock is past `clock`.
    """
    utc = ZoneInfo("UTC")
    moment = datetime.combine(day, clock, tzinfo=zone)
    if moment.astimezone(utc).astimezone(zone).replace(tzinfo=None) == moment.replace(
            tzinfo=None):
        return moment
    # In the gap: walk from the earlier reading of the skipped time to the change.
    instant = moment.replace(fold=1).astimezone(utc)
    latest = moment.replace(fold=0).astimezone(utc)
    while instant < latest:
        local = instant.astimezone(zone)
        if local.date() == day and local.time() >= clock:
            return local
        instant += timedelta(minutes=1)
    return latest.astimezone(zone)

