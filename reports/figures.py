"""The daily report's figures, every one an aggregate computed by the database.

A report covers one campaign and one local day: midnight to midnight in the
campaign's time zone (23 or 25 hours on a daylight-saving change), or, when it
is made before that day is over (at report_time, or a manager's early send),
from midnight until the moment it is made: `until` says which. Calls belong
to the day they started on, and reports to their call's day, as in the call log
export. "So far" is the campaign from its first call up to the end of that day.

Nothing here loops over calls in Python: each figure is a GROUP BY or an
aggregate, so the cost follows the indexes, not the size of the log (see
bench/report.py for the timing on a million calls).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from campaign.calendar import day_bounds
from campaign.model import Campaign
from db import figures, tallies
from db.followup import FOLLOW_UPS
from db.models import Call, Report
from db.outcomes import REFUSALS, CallOutcome
from reports.words import locale_of

FOLLOW_UP_STATES = tuple(state.value for state in FOLLOW_UPS)
HOURS = tuple(f"{hour:02d}" for hour in range(24))
_STEP = timedelta(minutes=15)  # every zone's offset from UTC is a multiple of 15 minutes
WEEK = 7  # the headline compares the day with the average of the 7 days before it
NEW_LISTED = 25  # the headline lists the day's first reports; the console has the rest


@dataclass(frozen=True)
class Recordings:
    count: int
    seconds_total: int
    seconds_median: float | None


@dataclass(frozen=True)
class FollowUp:
    by_state: Mapping[str, int]
    overdue_acknowledgement: int
    overdue_feedback: int
    overdue: int = 0  # reports late on either clock, each counted once (as the console does)


@dataclass(frozen=True)
class Figures:
    """The figures of one span of time (a day, or the campaign so far)."""

    calls: int
    outcomes: Mapping[str, int]
    categories: Mapping[str, int]
    subjects: Mapping[str, int]
    reports: int
    recordings: Recordings
    gave_up_before_category: int
    follow_up: FollowUp
    referred_reports: int = 0  # messages left after a referral (in_scope false), to pass on

    @property
    def turned_away(self) -> int:
        return sum(self.outcomes.get(outcome.value, 0) for outcome in REFUSALS)

    @property
    def answered(self) -> int:
        return self.calls - self.turned_away


@dataclass(frozen=True)
class DailyFigures:
    campaign_id: str
    campaign_name: str
    day: date
    timezone: str
    start: datetime  # aware UTC; the local midnight that opens the day
    end: datetime    # aware UTC; the next local midnight
    generated_at: datetime  # overdue follow-ups are counted as of this moment
    today: Figures
    hourly: Mapping[str, int]
    so_far: Figures
    category_labels: Mapping[str, str] = field(default_factory=dict)
    subject_labels: Mapping[str, str] = field(default_factory=dict)
    # The headline: the 7 days before, per day; the day's reports (reference, category),
    # the first NEW_LISTED; the campaign's overdue follow-ups by assignee ("" nobody's).
    week_average: Mapping[str, float] = field(default_factory=dict)  # calls, reports
    new_reports: tuple[tuple[str, str | None], ...] = ()
    overdue_by_assignee: Mapping[str, int] = field(default_factory=dict)
    language: str = "en"  # the catalogue the report is written from (reports/words.py)

    @property
    def until(self) -> datetime:
        """The end of what the figures cover: the next midnight, or `generated_at` if earlier."""
        return min(self.end, max(self.start, self.generated_at))

    @property
    def complete(self) -> bool:
        """True when the whole local day was over when the figures were made."""
        return self.generated_at >= self.end

    def to_json(self) -> dict[str, Any]:
        zone = ZoneInfo(self.timezone)
        data: dict[str, Any] = {
            "campaign": self.campaign_id,
            "campaign_name": self.campaign_name,
            "date": self.day.isoformat(),
            "timezone": self.timezone,
            "from": self.start.astimezone(zone).isoformat(timespec="seconds"),
            "until": self.until.astimezone(zone).isoformat(timespec="seconds"),
            "complete_day": self.complete,
            "generated_at": self.generated_at.astimezone(zone).isoformat(timespec="seconds"),
        }
        data |= _figures_json(self.today)
        data["hourly"] = dict(self.hourly)
        data["so_far"] = _figures_json(self.so_far)
        data["week_average"] = dict(self.week_average)
        data["new_reports"] = [{"reference": reference, "category": category}
                               for reference, category in self.new_reports]
        data["overdue_by_assignee"] = dict(self.overdue_by_assignee)
        data["language"] = self.language
        return data


    @classmethod
    def from_json(cls, data: Mapping[str, Any], *,
                  category_labels: Mapping[str, str] | None = None,
                  subject_labels: Mapping[str, str] | None = None) -> DailyFigures:
        """The figures as stored when the report was sent (to_json's output, read back;
        a report stored before the headline existed has none)."""
        zone = ZoneInfo(data["timezone"])
        day = date.fromisoformat(data["date"])
        start, end = day_bounds(day, zone)
        return cls(
            campaign_id=data["campaign"], campaign_name=data.get("campaign_name", ""),
            day=day, timezone=zone.key, start=start, end=end,
            generated_at=datetime.fromisoformat(data["generated_at"]).astimezone(UTC),
            today=_figures_from_json(data), hourly=dict(data.get("hourly", {})),
            so_far=_figures_from_json(data.get("so_far", {})),
            category_labels=dict(category_labels or {}),
            subject_labels=dict(subject_labels or {}),
            week_average=dict(data.get("week_average", {})),
            new_reports=tuple((item["reference"], item.get("category"))
                              for item in data.get("new_reports", [])),
            overdue_by_assignee=dict(data.get("overdue_by_assignee", {})),
            language=data.get("language", "en"))


def _figures_from_json(data: Mapping[str, Any]) -> Figures:
    follow_up = dict(data.get("follow_up", {}))
    overdue = follow_up.pop("overdue", {})
    recordings = data.get("recordings", {})
    return Figures(
        calls=data.get("calls", 0), outcomes=dict(data.get("outcomes", {})),
        categories=dict(data.get("categories", {})), subjects=dict(data.get("subjects", {})),
        reports=data.get("reports", 0),
        recordings=Recordings(count=recordings.get("count", 0),
                              seconds_total=recordings.get("seconds_total", 0),
                              seconds_median=recordings.get("seconds_median")),
        gave_up_before_category=data.get("gave_up_before_category", 0),
        referred_reports=data.get("referred_reports", 0),
        follow_up=FollowUp(
            by_state=follow_up,
            overdue_acknowledgement=overdue.get("acknowledgement", 0),
            overdue_feedback=overdue.get("feedback", 0),
            # Reports sent before "any" was stored: the two clocks' sum was what they showed.
            overdue=overdue.get("any", overdue.get("acknowledgement", 0)
                                + overdue.get("feedback", 0))))


def _figures_json(figures: Figures) -> dict[str, Any]:
    return {
        "calls": figures.calls,
        "answered": figures.answered,
        "turned_away": figures.turned_away,
        "outcomes": dict(figures.outcomes),
        "categories": dict(figures.categories),
        "subjects": dict(figures.subjects),
        "reports": figures.reports,
        "referred_reports": figures.referred_reports,
        "recordings": {
            "count": figures.recordings.count,
            "seconds_total": figures.recordings.seconds_total,
            "seconds_median": figures.recordings.seconds_median,
        },
        "gave_up_before_category": figures.gave_up_before_category,
        "follow_up": dict(figures.follow_up.by_state) | {"overdue": {
            "any": figures.follow_up.overdue,
            "acknowledgement": figures.follow_up.overdue_acknowledgement,
            "feedback": figures.follow_up.overdue_feedback,
        }},
    }


def hour_ranges(day: date, zone: ZoneInfo) -> list[tuple[datetime, datetime, int]]:
    """The day cut into UTC ranges by local hour: [(start, end, local hour), ...].

    On a spring-forward day one hour has no range; on a fall-back day the
    repeated hour's range is two hours long. Zones with half-hour offsets are
    handled too, since the cut is made where the local hour changes.
    """
    start, end = day_bounds(day, zone)
    ranges: list[tuple[datetime, datetime, int]] = []
    range_start, moment = start, start
    label = _local_hour(moment, day, zone)
    while moment < end:
        hour = _local_hour(moment, day, zone)
        if hour != label:
            ranges.append((range_start, moment, label))
            range_start, label = moment, hour
        moment += _STEP
    ranges.append((range_start, end, label))
    return ranges


def _local_hour(moment: datetime, day: date, zone: ZoneInfo) -> int:
    local = moment.astimezone(zone)
    # Where a zone skips its midnight the day starts at 01:00; never label into another day.
    if local.date() < day:
        return 0
    if local.date() > day:
        return 23
    return local.hour


def compute(session: Session, *, campaign_id: str, campaign_name: str, zone: ZoneInfo,
            day: date, now: datetime, category_ids: tuple[str, ...] = (),
            subject_ids: tuple[str, ...] = (),
            category_labels: Mapping[str, str] | None = None,
            subject_labels: Mapping[str, str] | None = None,
            language: str = "en") -> DailyFigures:
    """The report of `campaign_id` for local `day`; follow-ups overdue as of `now`.

    `category_ids` / `subject_ids` are the campaign's, listed (with 0) even when
    no report names them, in the campaign's order.
    """
    start, end = day_bounds(day, zone)
    # A report made before the day is over covers it until that moment, and says so.
    until = min(end, max(start, now))
    in_day = and_(Call.campaign_id == campaign_id, Call.started_at >= start,
                  Call.started_at < until)
    # Reports carry their call's campaign and start, so their figures need no join.
    reports_in_day = and_(Report.campaign_id == campaign_id, Report.call_started_at >= start,
                          Report.call_started_at < until)
    overdue = figures.overdue_by_assignee(session, [campaign_id], now)
    return DailyFigures(
        campaign_id=campaign_id, campaign_name=campaign_name, day=day, timezone=zone.key,
        start=start, end=end, generated_at=now,
        today=_figures(session, in_day, reports_in_day, now, category_ids, subject_ids),
        hourly=_hourly(session, in_day, day, zone),
        so_far=_so_far(session, campaign_id, until, now, category_ids, subject_ids),
        category_labels=dict(category_labels or {}), subject_labels=dict(subject_labels or {}),
        week_average=_week_average(session, campaign_id, day, zone),
        new_reports=tuple(figures.listed_reports(session, reports_in_day, NEW_LISTED)),
        overdue_by_assignee={name or "": count for name, count in overdue.items()},
        language=language,
    )


def _week_average(session: Session, campaign_id: str, day: date, zone: ZoneInfo
                  ) -> dict[str, float]:
    """Calls and reports per day over the WEEK local days before `day` (the tallies)."""
    start = day_bounds(day - timedelta(days=WEEK), zone)[0]
    end = day_bounds(day, zone)[0]
    calls = sum(tallies.call_counts(session, [campaign_id], start, end).values())
    reports = tallies.report_totals(session, [campaign_id], start, end).reports
    return {"calls": round(calls / WEEK, 1), "reports": round(reports / WEEK, 1)}


def _figures(session: Session, calls: ColumnElement[bool], reports_of: ColumnElement[bool],
             now: datetime,
             category_ids: tuple[str, ...], subject_ids: tuple[str, ...]) -> Figures:
    """The figures engine's grouped queries (db/figures.py): calls by outcome, gave up,
    reports by (category, subject, follow-up) with the median recording, and referred
    messages. The loops run over the few groups the database returns, never over calls."""
    outcomes = {outcome.value: 0 for outcome in CallOutcome if outcome in _CAMPAIGN_OUTCOMES}
    if session.get_bind().dialect.name == "sqlite":
        # Naming every outcome makes SQLite walk the (campaign, outcome, started_at) index
        # in order; left open, its planner may pick a skip-scan four times slower.
        # (PostgreSQL scans in parallel either way, and faster without the list.)
        calls = and_(calls, Call.outcome.in_(sorted(outcomes)))
    outcomes |= figures.calls_by_outcome(session, calls)
    # The call log marks the calls that reached a category (db/calllog.log_step).
    gave_up = session.scalar(select(func.count()).select_from(Call).where(
        calls, Call.outcome == CallOutcome.ABANDONED.value, Call.chose_category.is_(False))) or 0
    # Referred messages: a range of the (campaign, in_scope, call_started_at) index.
    referred = session.scalar(select(func.count()).select_from(Report).where(
        reports_of, Report.in_scope.is_(False))) or 0
    counts = figures.report_counts(session, reports_of, now, median=True)
    return _shown(outcomes, gave_up, counts, category_ids, subject_ids, referred)


def _so_far(session: Session, campaign_id: str, until: datetime, now: datetime,
            category_ids: tuple[str, ...], subject_ids: tuple[str, ...]) -> Figures:
    """The campaign from its first call until `until`: the same figures as `_figures`,
    summed from the hourly, daily and monthly tallies (db/tallies.py), so the thousandth
    day's report costs what the tenth day's does."""
    outcomes = {outcome.value: 0 for outcome in CallOutcome if outcome in _CAMPAIGN_OUTCOMES}
    calls = tallies.call_counts_until(session, [campaign_id], until)
    for (outcome, _chose), count in calls.items():
        outcomes[outcome] = outcomes.get(outcome, 0) + count
    counts = figures.tallied_report_counts(session, [campaign_id], None, until, now)
    return _shown(outcomes, calls.get((CallOutcome.ABANDONED.value, False), 0), counts,
                  category_ids, subject_ids)


def _shown(outcomes: dict[str, int], gave_up: int, counts: figures.ReportCounts,
           category_ids: tuple[str, ...], subject_ids: tuple[str, ...],
           referred: int = 0) -> Figures:
    """The report's figures: the campaign's categories, subjects and states listed even
    when no report names them (with 0), in the campaign's order."""
    shown: dict[str, dict[str, int]] = {
        "category": dict.fromkeys(category_ids, 0), "subject": dict.fromkeys(subject_ids, 0),
        "follow_up": dict.fromkeys(FOLLOW_UP_STATES, 0)}
    for name, listed in shown.items():
        # A report saved without a category or subject has none to count under.
        for key, count in counts.by[name].items():
            if key is not None:
                listed[key] = listed.get(key, 0) + count
    return Figures(
        calls=sum(outcomes.values()), outcomes=outcomes, categories=shown["category"],
        subjects=shown["subject"], reports=counts.reports, referred_reports=referred,
        recordings=Recordings(count=counts.recorded, seconds_total=counts.recorded_seconds,
                              seconds_median=counts.median_seconds),
        gave_up_before_category=gave_up,
        follow_up=FollowUp(by_state=shown["follow_up"],
                           overdue_acknowledgement=counts.overdue_acknowledgement,
                           overdue_feedback=counts.overdue_feedback, overdue=counts.overdue),
    )


# A campaign's calls never have the outcome "unknown_number" (those calls have no campaign).
_CAMPAIGN_OUTCOMES = frozenset(CallOutcome) - {CallOutcome.UNKNOWN_NUMBER}


def _hourly(session: Session, calls: ColumnElement[bool], day: date, zone: ZoneInfo
            ) -> dict[str, int]:
    """Calls by local hour: each call's hour found by UTC range, grouped in the database."""
    ranges = hour_ranges(day, zone)
    bucket = case(*[(Call.started_at < end, hour) for _start, end, hour in ranges[:-1]],
                  else_=ranges[-1][2])
    # Grouping on a subquery's column: PostgreSQL would not see two copies of a CASE
    # with bound parameters (one in SELECT, one in GROUP BY) as the same expression.
    hours = select(bucket.label("hour")).where(calls).subquery()
    counts = dict.fromkeys(HOURS, 0)
    for hour, count in session.execute(
            select(hours.c.hour, func.count()).group_by(hours.c.hour)):
        counts[f"{int(hour):02d}"] += count
    return counts


def report_language(campaign: Campaign) -> str:
    """The language the campaign's managers read its report in: the campaign file's
    `report_language`, by default its first language."""
    return campaign.report_language or campaign.default_language


def campaign_figures(session: Session, campaign: Campaign, day: date, now: datetime
                     ) -> DailyFigures:
    """`compute` for a loaded campaign: its zone, its categories and subjects, their labels."""
    category_labels, subject_labels = report_labels(campaign)
    return compute(
        session, campaign_id=campaign.id, campaign_name=campaign.name, zone=campaign.timezone,
        day=day, now=now,
        category_ids=tuple(c.id for c in campaign.categories),
        subject_ids=tuple(s.id for s in campaign.subjects),
        category_labels=category_labels, subject_labels=subject_labels,
        language=locale_of(report_language(campaign)))


def report_labels(campaign: Campaign, language: str | None = None
                  ) -> tuple[dict[str, str], dict[str, str]]:
    """The campaign's category and subject labels, by id, in `language` (by default the
    report's)."""
    language = language or report_language(campaign)
    return ({c.id: campaign.label("category", c.id, language) for c in campaign.categories},
            {s.id: campaign.label("subject", s.id, language) for s in campaign.subjects})
