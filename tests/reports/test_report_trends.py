"""The figures behind the statistics charts: calls by local day and hour from the
hourly tallies, and open and overdue follow-ups as they stood at each day's end."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update

from db import figures
from db.engine import make_session_factory
from db.followup import open_at_clause, overdue_at_clause
from db.models import Call, Report
from reports.trends import CHART_DAYS, DEFAULT_DAYS, chart_days, trends

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def _at(clock, place_call, moment: str, *script: object) -> None:  # type: ignore[no-untyped-def]
    clock.set_local(moment)
    place_call(*script)


def test_calls_by_day_put_turned_away_calls_in_their_own_band(place_call, clock, engine):
    _at(clock, place_call, "2023-06-01 10:00", "1", "3", "1", "r30", "2")
    _at(clock, place_call, "2023-06-01 19:00")  # outside the hours: turned away
    _at(clock, place_call, "2023-06-02 08:00")  # before 08:30: turned away
    _at(clock, place_call, "2023-06-02 09:15", "1", "1", "1", "r20", "2")
    _at(clock, place_call, "2023-06-01 23:59:30")  # still 1 June in Guangzhou (15:59 UTC)
    with make_session_factory(engine)() as session:
        series = trends(session, ["gz-2023"], SHANGHAI, date(2023, 6, 1), date(2023, 6, 3),
                        _local("2023-06-03 12:00"))
    assert series.days == [date(2023, 6, 1), date(2023, 6, 2), date(2023, 6, 3)]
    assert series.answered == [1, 1, 0]
    assert series.turned_away == [2, 1, 0]
    assert {hour: n for hour, n in enumerate(series.by_hour) if n} == {
        8: 1, 9: 1, 10: 1, 19: 1, 23: 1}
    assert series.calls == 5 and not series.clipped


def test_a_window_cut_inside_hours_counts_what_the_calls_say(place_call, clock, engine):
    for moment in ("2023-06-01 09:10", "2023-06-01 10:05", "2023-06-01 10:40",
                   "2023-06-01 11:10", "2023-06-01 12:50"):
        _at(clock, place_call, moment, "1", "3", "1", "r30", "2")
    with make_session_factory(engine)() as session:
        calls = session.scalars(select(Call.started_at)).all()
        for start, end in (("2023-06-01 09:30", "2023-06-01 12:30"),  # whole hours + edges
                           ("2023-06-01 10:30", "2023-06-01 11:15"),  # across one boundary
                           ("2023-06-01 10:01", "2023-06-01 10:50")):  # inside one hour
            low, high = _local(start), _local(end)
            expected = Counter((moment.astimezone(UTC).replace(minute=0, second=0,
                                                                 microsecond=0), "reported")
                               for moment in calls if low <= moment < high)
            assert figures.calls_by_hour(session, ["gz-2023"], low, high) == expected, start
        assert figures.calls_by_hour(session, ["ny-test"], _local("2023-06-01 00:00"),
                                     _local("2023-06-02 00:00")) == Counter()


def test_follow_ups_over_time_show_what_was_open_and_overdue_each_day(
        place_call, clock, engine):
    _at(clock, place_call, "2023-06-01 10:00", "1", "3", "1", "r30", "2")
    _at(clock, place_call, "2023-06-02 10:00", "1", "1", "1", "r30", "2")
    with make_session_factory(engine).begin() as session:
        first, second = session.scalars(select(Report.id).order_by(Report.created_at)).all()
        # The first was due to be acknowledged by noon on 2 June; the second was closed
        # on the morning of 3 June.
        session.execute(update(Report).where(Report.id == first).values(
            acknowledge_due=_local("2023-06-02 12:00")))
        session.execute(update(Report).where(Report.id == second).values(
            follow_up="closed", follow_up_at=_local("2023-06-03 09:00")))
    days = date(2023, 6, 1), date(2023, 6, 4)
    now = _local("2023-06-04 12:00")
    with make_session_factory(engine)() as session:
        series = trends(session, ["gz-2023"], SHANGHAI, *days, now)
    assert series.open_follow_ups == [1, 2, 1, 1]
    assert series.overdue_follow_ups == [0, 1, 1, 1]

    with make_session_factory(engine).begin() as session:  # acknowledged, late, on 3 June
        session.execute(update(Report).where(Report.id == first).values(
            follow_up="acknowledged", acknowledged_at=_local("2023-06-03 10:00"),
            follow_up_at=_local("2023-06-03 10:00")))
    with make_session_factory(engine)() as session:
        series = trends(session, ["gz-2023"], SHANGHAI, *days, now)
        other = trends(session, ["ny-test"], SHANGHAI, *days, now)
    assert series.open_follow_ups == [1, 2, 1, 1]
    assert series.overdue_follow_ups == [0, 1, 0, 0]  # 2 June's lateness stays on record
    assert other.open_follow_ups == [0, 0, 0, 0]


def test_the_days_charted_follow_the_filter_up_to_today() -> None:
    today = date(2023, 6, 10)
    days, clipped = chart_days(None, None, today)
    assert len(days) == DEFAULT_DAYS and days[-1] == today and not clipped
    days, clipped = chart_days(date(2023, 6, 5), date(2023, 7, 1), today)
    assert days == [date(2023, 6, n) for n in range(5, 11)] and not clipped
    days, clipped = chart_days(date(2022, 1, 1), None, today)
    assert len(days) == CHART_DAYS and days[-1] == today and clipped


def test_follow_ups_by_day_are_what_the_rule_says_of_every_report(engine) -> None:
    # Reports in every state, late or not on either clock, before, inside and after the
    # days charted (some long overdue, counted once for the whole window): each day's
    # figures equal the rule (db/followup's open_at and overdue_at) applied to every row.
    rng = random.Random(3)
    base = _local("2023-06-01 00:00")
    moments = [_local(f"2023-07-{day:02d} 00:00") for day in range(1, 11)]

    def hours(low: int, high: int) -> timedelta:
        return timedelta(hours=rng.randint(low, high))

    with make_session_factory(engine).begin() as session:
        for n in range(1, 301):
            started = base + hours(0, 1000)
            state = rng.choice(["new", "acknowledged", "in_review", "referred", "closed"])
            session.execute(insert(Call).values(
                id=n, call_sid=f"CA{n:032x}", campaign_id="gz-2023", started_at=started,
                outcome="reported", chose_category=True))
            session.execute(insert(Report).values(
                id=n, call_id=n, number=1, reference=f"{n:08d}", created_at=started,
                campaign_id=rng.choice(["gz-2023", "gz-2023", "other"]),
                call_started_at=started, follow_up=state,
                follow_up_at=rng.choice([None, started + hours(0, 1000)]),
                acknowledged_at=rng.choice([None, None, started + hours(0, 500)]),
                acknowledge_due=rng.choice([None, started + hours(0, 400)]),
                feedback_due=rng.choice([None, started + hours(0, 900)])))
    with make_session_factory(engine)() as session:
        found = figures.follow_ups_at(session, ["gz-2023"], moments)
        expected = [
            (session.scalar(select(func.count()).select_from(Report).where(
                Report.campaign_id == "gz-2023", open_at_clause(at))),
             session.scalar(select(func.count()).select_from(Report).where(
                 Report.campaign_id == "gz-2023", overdue_at_clause(at))))
            for at in moments]
    assert found == expected
    assert any(overdue for _open, overdue in found)
