"""The tallies (migration 0013) always say what counting the call log itself says.

Calls and reports are written, changed and deleted the ways the product does
(a call's outcome moving on, a recording arriving, a follow-up changing, a
call deleted with its reports); after each round, counts over windows that
start and end anywhere (on an hour, inside one, across months, unbounded)
from the tallies equal the counts over the rows, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Select, delete, func, insert, select, update
from sqlalchemy.orm import Session

from db import tallies
from db.models import Call, Report

FIRST = datetime(2023, 4, 28, 15, 0, tzinfo=UTC)
OUTCOMES = ("in_progress", "reported", "abandoned", "referred", "closed_hours")
CAMPAIGNS = ("gz-2023", "other", None)


def _within(query: Select[Any], campaign: Any, moment: Any, campaigns: list[str | None] | None,
            start: datetime | None, end: datetime | None) -> Select[Any]:
    """`query` kept to these campaigns (None in the list: no campaign) and [start, end)."""
    if campaigns is not None:
        query = query.where(campaign.in_([c for c in campaigns if c])
                            | (campaign.is_(None) if None in campaigns else False))
    if start is not None:
        query = query.where(moment >= start)
    if end is not None:
        query = query.where(moment < end)
    return query


def _calls_counted(session: Session, campaigns: list[str | None] | None,
                   start: datetime | None, end: datetime | None) -> Counter[tuple[str, bool]]:
    query = _within(select(Call.outcome, Call.chose_category, func.count()),
                    Call.campaign_id, Call.started_at, campaigns, start, end)
    return Counter({(o, bool(c)): n for o, c, n in
                    session.execute(query.group_by(Call.outcome, Call.chose_category))})


def _reports_counted(session: Session, campaigns: list[str | None] | None,
                     start: datetime | None, end: datetime | None) -> tallies.ReportTotals:
    query = _within(select(Report).where(Report.call_started_at.is_not(None)),
                    Report.campaign_id, Report.call_started_at, campaigns, start, end)
    totals = tallies.ReportTotals()
    for report in session.scalars(query):
        totals.reports += 1
        for dimension in ("category", "subject", "follow_up"):
            totals.by[dimension][getattr(report, dimension)] += 1
        if report.recording_status == "completed" and report.recording_seconds is not None:
            totals.recorded += 1
            totals.recorded_seconds += report.recording_seconds
            totals.seconds[report.recording_seconds] += 1
    return totals


def _calls_with_value_counted(session: Session, campaigns: list[str | None] | None,
                              start: datetime | None, end: datetime | None, dimension: str,
                              value: str) -> Counter[str]:
    column = Report.category if dimension == "category" else Report.subject
    query = _within(select(Call.outcome, func.count()).where(
        Call.id.in_(select(Report.call_id).where(column == value))),
        Call.campaign_id, Call.started_at, campaigns, start, end)
    return Counter(dict(session.execute(query.group_by(Call.outcome)).all()))


VALUES = (("category", "political"), ("category", "integrity"), ("category", "mass"),
          ("subject", "city-leadership"))


def _moment(rng: random.Random) -> datetime:
    """Anywhere in ten weeks, or now and then in the three years after (so that windows
    hold whole years, months and days), often exactly on an hour or a midnight."""
    span = 70 if rng.random() < 0.7 else 3 * 365
    moment = FIRST + timedelta(seconds=rng.randrange(span * 86400))
    return rng.choice([moment, moment.replace(minute=0, second=0),
                       moment.replace(hour=16, minute=0, second=0)])


def _write_round(session: Session, rng: random.Random, first_id: int) -> None:
    for call_id in range(first_id, first_id + 60):
        started = _moment(rng)
        campaign = rng.choice(CAMPAIGNS)
        session.execute(insert(Call).values(
            id=call_id, call_sid=f"CA{call_id:032x}", campaign_id=campaign,
            started_at=started, outcome="in_progress", chose_category=False))
        if rng.random() < 0.5:
            session.execute(insert(Report).values(
                id=call_id, call_id=call_id, number=1, reference=f"{call_id:08d}",
                category=rng.choice(["political", "integrity", None]),
                subject=rng.choice(["city-leadership", None]), created_at=started,
                follow_up="new", campaign_id=campaign,
                call_started_at=started if rng.random() < 0.95 else None))
            if rng.random() < 0.4:  # a second matter, often of the same category
                session.execute(insert(Report).values(
                    id=100_000 + call_id, call_id=call_id, number=2,
                    reference=f"9{call_id:07d}", category=rng.choice(["political", "mass"]),
                    subject=rng.choice(["city-leadership", None]), created_at=started,
                    follow_up="new", campaign_id=campaign, call_started_at=started))
    ids = list(range(1, first_id + 60))
    for call_id in rng.sample(ids, 40):  # calls move on; reports get recordings, follow-ups
        session.execute(update(Call).where(Call.id == call_id).values(
            outcome=rng.choice(OUTCOMES), chose_category=rng.random() < 0.5))
        session.execute(update(Report).where(Report.call_id == call_id).values(
            recording_status=rng.choice(["completed", "absent", None]),
            recording_seconds=rng.choice([None, 5, 41]),
            follow_up=rng.choice(["new", "acknowledged", "closed"]),
            category=rng.choice(["political", "mass"])))
    for call_id in rng.sample(ids, 8):
        session.execute(update(Call).where(Call.id == call_id).values(
            started_at=_moment(rng), campaign_id=rng.choice(CAMPAIGNS)))
    for n, call_id in enumerate(rng.sample(ids, 6)):
        if n % 2:  # the reports first, or with the call (ON DELETE CASCADE)
            session.execute(delete(Report).where(Report.call_id == call_id))
        session.execute(delete(Call).where(Call.id == call_id))


def test_tallies_count_what_the_rows_hold_after_every_kind_of_change(engine: Engine) -> None:
    rng = random.Random(15)
    first_id = 1
    for _round in range(3):
        with Session(engine) as session, session.begin():
            _write_round(session, rng, first_id)
        first_id += 60
        with Session(engine) as session:
            live = set(session.scalars(select(Call.id)))
            windows: list[tuple[datetime | None, datetime | None]] = [(None, None)]
            for _ in range(25):
                start, end = sorted([_moment(rng), _moment(rng)])
                windows += [(start, end), (None, end), (start, None)]
            for start, end in windows:
                for campaigns in (None, ["gz-2023"], [None], ["other", None]):
                    assert tallies.call_counts(session, campaigns, start, end) \
                        == _calls_counted(session, campaigns, start, end), (start, end)
                    found = tallies.report_totals(session, campaigns, start, end)
                    expected = _reports_counted(session, campaigns, start, end)
                    assert (found.reports, found.recorded, found.recorded_seconds) == \
                        (expected.reports, expected.recorded, expected.recorded_seconds)
                    for dimension in ("category", "subject", "follow_up"):
                        assert +found.by[dimension] == +expected.by[dimension], dimension
                    assert +found.seconds == +expected.seconds
                    assert found.median_seconds == expected.median_seconds
                    for dimension, value in VALUES:
                        assert tallies.calls_with_value(
                            session, campaigns, start, end, dimension, value) == \
                            _calls_with_value_counted(session, campaigns, start, end,
                                                      dimension, value), (dimension, value)
                if start is None and end is not None:
                    # "So far" read from either end of the log says the same.
                    for campaigns in (["gz-2023"], ["other", None]):
                        assert tallies.call_counts_until(session, campaigns, end) \
                            == _calls_counted(session, campaigns, None, end)
                        found = tallies.report_totals_until(session, campaigns, end)
                        expected = _reports_counted(session, campaigns, None, end)
                        assert (found.reports, found.recorded_seconds, +found.seconds,
                                +found.by["follow_up"]) == (
                            expected.reports, expected.recorded_seconds, +expected.seconds,
                            +expected.by["follow_up"])
        assert live, "the rounds left calls to count"


def test_a_rebuild_from_the_rows_gives_the_tallies_the_triggers_kept(engine: Engine) -> None:
    from db import tally_sql

    rng = random.Random(8)
    with Session(engine) as session, session.begin():
        _write_round(session, rng, 1)

    def snapshot() -> set[tuple[object, ...]]:
        with engine.connect() as connection:
            return {tuple(row) for table, value in (("call_tallies", "calls"),
                                                    ("report_tallies", "reports"),
                                                    ("call_value_tallies", "calls"))
                    for row in connection.exec_driver_sql(
                        f"SELECT *, '{table}' FROM {table} WHERE {value} != 0")}  # noqa: S608

    kept = snapshot()
    with engine.begin() as connection:
        tally_sql.rebuild(connection)
    assert snapshot() == kept and kept
