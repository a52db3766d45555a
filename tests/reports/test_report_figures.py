"""The report's figures against calls played through the signed webhooks."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from db.engine import make_session_factory
from db.models import Call, Report
from hotline.cli import main
from reports.figures import campaign_figures, hour_ranges
from tests.reports.report_helpers import NY_NUMBER, play_a_day

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def test_figures_of_a_day_match_the_calls(place_call, clock, engine, campaigns):
    play_a_day(place_call, clock)
    now = datetime(2023, 6, 1, 18, 0, tzinfo=UTC)  # 02:00 the next day in Guangzhou
    with make_session_factory(engine)() as session:
        report = campaign_figures(session, campaigns.by_id["gz-2023"], date(2023, 6, 1), now)
    data = report.to_json()
    assert data["complete_day"] is True

    assert data["campaign"] == "gz-2023"
    assert data["date"] == "2023-06-01"
    assert data["timezone"] == "Asia/Shanghai"
    assert data["from"] == "2023-06-01T00:00:00+08:00"
    assert data["until"] == "2023-06-02T00:00:00+08:00"
    assert data["calls"] == 9
    assert data["answered"] == 7
    assert data["turned_away"] == 2
    assert data["outcomes"] == {
        "closed_hours": 2, "not_open_yet": 0, "after_cutoff": 0, "reported": 3,
        "referred": 2, "transferred": 0, "followed_up": 0, "abandoned": 2,
        "in_progress": 0}
    assert data["categories"] == {"political": 1, "organisational": 0, "integrity": 2,
                                  "mass": 1, "work": 0, "personal-life": 0}
    assert data["subjects"] == {"city-leadership": 2, "next-level-leaders": 1,
                                "key-post-leaders": 1, "other": 0}
    assert data["reports"] == 4
    assert data["recordings"] == {"count": 4, "seconds_total": 30 + 50 + 20 + 12,
                                  "seconds_median": 25.0}
    assert data["gave_up_before_category"] == 1
    assert {hour: n for hour, n in data["hourly"].items() if n} == {
        "09": 2, "10": 2, "11": 1, "14": 1, "16": 1, "18": 1, "23": 1}
    assert len(data["hourly"]) == 24
    assert data["follow_up"] == {"new": 4, "acknowledged": 0, "in_review": 0, "referred": 0,
                                 "closed": 0,
                                 "overdue": {"any": 0, "acknowledgement": 0, "feedback": 0}}

    so_far = data["so_far"]
    assert so_far["calls"] == 11
    assert so_far["outcomes"]["reported"] == 4
    assert so_far["outcomes"]["closed_hours"] == 3
    assert so_far["categories"]["political"] == 2
    assert so_far["reports"] == 5
    assert so_far["recordings"] == {"count": 5, "seconds_total": 152, "seconds_median": 30.0}
    # The figures agree with the call log itself.
    with engine.connect() as connection:
        logged = connection.execute(select(Call.outcome).where(
            Call.campaign_id == "gz-2023")).scalars().all()
    assert len(logged) == 12 and so_far["calls"] == 11  # the 2 June call is after the day


def test_overdue_follow_ups_follow_the_clock_and_the_status(place_call, clock, engine,
                                                            campaigns):
    play_a_day(place_call, clock)
    sessions = make_session_factory(engine)
    gz = campaigns.by_id["gz-2023"]
    with sessions() as session:
        week_later = campaign_figures(session, gz, date(2023, 6, 1),
                                      datetime(2023, 6, 9, 4, 0, tzinfo=UTC))
    assert week_later.today.follow_up.overdue_acknowledgement == 4
    assert week_later.so_far.follow_up.overdue_acknowledgement == 5
    assert week_later.today.follow_up.overdue_feedback == 0

    with sessions() as session, session.begin():
        ids = session.scalars(select(Report.id).join(Call).where(
            Call.started_at >= datetime(2023, 6, 1, tzinfo=SHANGHAI)).order_by(Report.id)).all()
        session.execute(update(Report).where(Report.id == ids[0]).values(
            follow_up="acknowledged"))
        session.execute(update(Report).where(Report.id == ids[1]).values(follow_up="closed"))
    with sessions() as session:
        later = campaign_figures(session, gz, date(2023, 6, 1),
                                 datetime(2023, 9, 1, 4, 0, tzinfo=UTC))
    follow_up = later.to_json()["follow_up"]
    assert follow_up["new"] == 2 and follow_up["acknowledged"] == 1 and follow_up["closed"] == 1
    # The two still new are late on both clocks: counted once in "any".
    assert follow_up["overdue"] == {"any": 3, "acknowledgement": 2, "feedback": 3}


def test_local_hours_across_daylight_saving_changes(place_call, clock, engine, campaigns):
    ny = campaigns.by_id["ny-test"]

    def call_at(utc: datetime, *script: object) -> None:
        clock.now = utc
        place_call(*script, to_number=NY_NUMBER)

    # 5 Nov 2023: 01:00-02:00 happens twice (EDT, then EST); the day has 25 hours.
    call_at(datetime(2023, 11, 5, 4, 10, tzinfo=UTC), "1", "r10", "2")   # 00:10 EDT
    call_at(datetime(2023, 11, 5, 5, 30, tzinfo=UTC), "2", "r20", "2")   # 01:30 EDT
    call_at(datetime(2023, 11, 5, 6, 30, tzinfo=UTC), "0", "answer")     # 01:30 EST
    call_at(datetime(2023, 11, 6, 4, 30, tzinfo=UTC), "1", "r10", "2")   # 23:30 EST
    call_at(datetime(2023, 11, 6, 5, 0, tzinfo=UTC), "1", "r10", "2")    # 00:00 on 6 Nov
    # 12 Mar 2023: 02:00-03:00 does not exist; the day has 23 hours.
    call_at(datetime(2023, 3, 12, 5, 0, tzinfo=UTC), "1", "r10", "2")    # 00:00 EST
    call_at(datetime(2023, 3, 12, 7, 15, tzinfo=UTC), "1", "r10", "2")   # 03:15 EDT
    call_at(datetime(2023, 3, 13, 3, 59, tzinfo=UTC), "1", "r10", "2")   # 23:59 EDT

    now = datetime(2023, 11, 30, tzinfo=UTC)
    with make_session_factory(engine)() as session:
        fall = campaign_figures(session, ny, date(2023, 11, 5), now)
        spring = campaign_figures(session, ny, date(2023, 3, 12), now)
    assert fall.today.calls == 4
    assert {h: n for h, n in fall.hourly.items() if n} == {"00": 1, "01": 2, "23": 1}
    assert fall.today.outcomes["transferred"] == 1
    assert (fall.end - fall.start).total_seconds() == 25 * 3600
    assert spring.today.calls == 3
    assert {h: n for h, n in spring.hourly.items() if n} == {"00": 1, "03": 1, "23": 1}
    assert (spring.end - spring.start).total_seconds() == 23 * 3600


@pytest.mark.parametrize(("zone", "day", "hours"), [
    ("Asia/Kolkata", date(2023, 6, 1), 24),        # +05:30: hours cut at :30 UTC
    ("America/New_York", date(2023, 3, 12), 23),
    ("America/New_York", date(2023, 11, 5), 24),   # 01 appears once, two hours long
    ("Australia/Lord_Howe", date(2023, 4, 2), 24),  # a half-hour DST change
])
def test_hour_ranges_cover_the_local_day(zone, day, hours):
    ranges = hour_ranges(day, ZoneInfo(zone))
    assert len(ranges) == hours
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    for start, _end, hour in ranges:
        local = start.astimezone(ZoneInfo(zone))
        assert local.date() == day and local.hour == hour


def _cli(engine, campaigns_dir, *args: str):  # type: ignore[no-untyped-def]
    env = {"HOTLINE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "HOTLINE_CAMPAIGNS": str(campaigns_dir)}
    return CliRunner().invoke(main, list(args), env=env)


def test_report_command_prints_the_figures(place_call, clock, engine, campaigns_dir):
    play_a_day(place_call, clock)
    result = _cli(engine, campaigns_dir, "report", "--date", "2023-06-01",
                  "--campaign", "gz-2023", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["calls"] == 9 and data["reports"] == 4
    assert data["outcomes"]["abandoned"] == 2 and data["hourly"]["09"] == 2

    csv_out = _cli(engine, campaigns_dir, "report", "--date", "2023-06-01",
                   "--campaign", "gz-2023", "--format", "csv")
    assert csv_out.exit_code == 0
    assert "category,integrity,2,2\n" in csv_out.stdout
    html = _cli(engine, campaigns_dir, "report", "--date", "2023-06-01",
                "--campaign", "gz-2023", "--format", "html")
    assert html.exit_code == 0 and "integrity discipline" in html.stdout
    # The page stands on its own: the e-mail's chart, inline.
    assert '<img src="data:image/png;base64,' in html.stdout
    text = _cli(engine, campaigns_dir, "report", "--date", "2023-06-01",
                "--campaign", "gz-2023", "--format", "text")
    assert text.exit_code == 0 and "gave up before choosing a category" in text.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--date", "2023-06-01", "--campaign", "nope"], "no campaign 'nope'"),
    (["--date", "2023-13-01", "--campaign", "gz-2023"], "--date"),
    (["--date", "yesterday-ish", "--campaign", "gz-2023"], "YYYY-MM-DD"),
    (["--date", "2023-06-01"], "--campaign"),
])
def test_report_command_refuses_bad_input_clearly(engine, campaigns_dir, args, message):
    result = _cli(engine, campaigns_dir, "report", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
