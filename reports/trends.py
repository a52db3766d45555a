"""The statistics charts' series: calls by local day and hour, follow-ups by day.

Fed by the figures engine (db/figures.py): calls come grouped by UTC hour from the
hourly tallies, and are put into the campaign's local days and hours here (a loop over
at most 24 rows per day charted and outcome, never over calls); open and overdue
follow-ups are counted by the database as they stood at the end of each local day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from campaign.calendar import day_bounds
from db import figures
from db.outcomes import REFUSALS

CHART_DAYS = 92  # at most a quarter by day: a longer window charts its last 92 days
DEFAULT_DAYS = 30  # without a start date, the last 30 days
_REFUSED = frozenset(outcome.value for outcome in REFUSALS)


@dataclass(frozen=True)
class Trends:
    """What the by-day and by-hour charts draw, one value per day (or local hour)."""

    zone: ZoneInfo
    days: list[date]
    answered: list[int]
    turned_away: list[int]
    by_hour: list[int]  # calls by local hour 00–23, over the days charted
    open_follow_ups: list[int]  # as at the end of each day (today: now)
    overdue_follow_ups: list[int]
    clipped: bool  # the window asked for was longer than CHART_DAYS

    @property
    def calls(self) -> int:
        return sum(self.answered) + sum(self.turned_away)


def chart_days(since: date | None, until: date | None, today: date) -> tuple[list[date], bool]:
    """The local days a by-day chart shows: the filter's range up to today, its last
    CHART_DAYS at most (and whether it was cut); without a start, the last DEFAULT_DAYS."""
    last = min(until or today, today)
    first = since or last - timedelta(days=DEFAULT_DAYS - 1)
    clipped = (last - first).days + 1 > CHART_DAYS
    if clipped:
        first = last - timedelta(days=CHART_DAYS - 1)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)], clipped


def trends(session: Session, campaign_ids: Sequence[str | None], zone: ZoneInfo,
           since: date | None, until: date | None, now: datetime) -> Trends:
    """The series for these campaigns' local days `since`–`until` in `zone`."""
    days, clipped = chart_days(since, until, now.astimezone(zone).date())
    if not days:
        return Trends(zone, [], [], [], [0] * 24, [], [], clipped)
    start, end = day_bounds(days[0], zone)[0], day_bounds(days[-1], zone)[1]
    index = {day: n for n, day in enumerate(days)}
    answered, turned_away, by_hour = [0] * len(days), [0] * len(days), [0] * 24
    for (hour, outcome), count in figures.calls_by_hour(
            session, campaign_ids, start, min(end, now)).items():
        local = hour.astimezone(zone)
        # Where a zone is offset by a half hour, a UTC hour straddling local midnight is
        # counted on the day it starts in.
        n = index.get(local.date())
        if n is None:
            continue
        (turned_away if outcome in _REFUSED else answered)[n] += count
        by_hour[local.hour] += count
    ends = [min(day_bounds(day, zone)[1], now) for day in days]
    follow_ups = figures.follow_ups_at(session, campaign_ids, ends)
    return Trends(zone, days, answered, turned_away, by_hour,
                  [open_ for open_, _ in follow_ups], [late for _, late in follow_ups], clipped)
