"""The opening gate at its edges, in the campaign's zone, DST days included."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaign.loader import load_campaign
from campaign.model import Campaign, Category
from ivr.gate import Refusal, check_gate
from tests.helpers import SEED_TOML

SEED = load_campaign(SEED_TOML)
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def local(text: str, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


@pytest.mark.parametrize(("moment", "refusal"), [
    ("2023-06-01 08:29:59", Refusal.CLOSED_HOURS),
    ("2023-06-01 08:30:00", None),
    ("2023-06-01 17:29:59", None),
    ("2023-06-01 17:30:00", Refusal.CLOSED_HOURS),
    ("2023-06-01 23:59:59", Refusal.CLOSED_HOURS),
    ("2023-06-04 10:00:00", None),  # a Sunday: the seed line is open every day
    ("2023-07-26 17:29:59", None),  # the last minute of the cutoff day
    ("2023-07-26 17:30:00", Refusal.AFTER_CUTOFF),  # the last day after hours: closed for good
    ("2023-07-26 08:29:59", Refusal.CLOSED_HOURS),  # … but that morning it still opens
    ("2023-07-27 08:30:00", Refusal.AFTER_CUTOFF),
    ("2023-07-27 00:00:00", Refusal.AFTER_CUTOFF),
])
def test_seed_gate_edges(moment: str, refusal: Refusal | None) -> None:
    assert check_gate(SEED, local(moment)).refusal == refusal


def test_the_gate_reads_the_campaign_zone_not_the_callers() -> None:
    # 01:00 UTC is 09:00 in Guangzhou: open, whatever zone the moment is given in.
    moment = datetime(2023, 6, 1, 1, 0, tzinfo=UTC)
    assert check_gate(SEED, moment).is_open
    assert check_gate(SEED, moment.astimezone(NEW_YORK)).is_open
    assert check_gate(SEED, moment).local_time.hour == 9


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        check_gate(SEED, datetime(2023, 6, 1, 10, 0))


def _line(**changes: object) -> Campaign:
    base = Campaign(
        id="ny", name="NY", numbers=("+12125550100",), timezone=NEW_YORK,
        closes=date(2023, 12, 31), hours=(time(1, 30), time(3, 30)), languages=("en",),
        categories=(Category("1", "political", {"en": "political"}),),
    )
    return Campaign(**{**base.__dict__, **changes})


def test_opens_weekdays_and_closed_dates() -> None:
    line = _line(opens=date(2023, 3, 1), hours=(time(9), time(17)),
                 weekdays=frozenset({1, 2, 3, 4, 5}), closed_on=frozenset({date(2023, 7, 4)}))
    assert check_gate(line, local("2023-02-28 10:00", NEW_YORK)).refusal == Refusal.NOT_OPEN_YET
    assert check_gate(line, local("2023-03-01 09:00", NEW_YORK)).is_open
    assert check_gate(line, local("2023-07-01 10:00", NEW_YORK)).refusal == Refusal.CLOSED_HOURS
    assert check_gate(line, local("2023-07-04 10:00", NEW_YORK)).refusal == Refusal.CLOSED_HOURS
    assert check_gate(line, local("2023-07-05 10:00", NEW_YORK)).is_open


def test_daylight_saving_change_days_follow_the_wall_clock() -> None:
    line = _line()  # open 01:30-03:30 local, New York
    # 2023-03-12: clocks jump 02:00 -> 03:00. 01:59 EST and 03:00 EDT are both open;
    # 03:30 EDT is closed, though only an hour of real time has passed since 01:30.
    spring = datetime(2023, 3, 12, 6, 59, tzinfo=UTC)          # 01:59 EST
    assert check_gate(line, spring).is_open
    assert check_gate(line, spring + timedelta(minutes=1)).local_time.hour == 3
    assert check_gate(line, spring + timedelta(minutes=1)).is_open
    assert check_gate(line, datetime(2023, 3, 12, 7, 30, tzinfo=UTC)).refusal == \
        Refusal.CLOSED_HOURS                                    # 03:30 EDT
    # 2023-11-05: 01:00-02:00 happens twice; both 01:45s are open, 03:30 EST is closed.
    assert check_gate(line, datetime(2023, 11, 5, 5, 45, tzinfo=UTC)).is_open  # 01:45 EDT
    assert check_gate(line, datetime(2023, 11, 5, 6, 45, tzinfo=UTC)).is_open  # 01:45 EST
    assert check_gate(line, datetime(2023, 11, 5, 8, 29, tzinfo=UTC)).is_open  # 03:29 EST
    assert check_gate(line, datetime(2023, 11, 5, 8, 30, tzinfo=UTC)).refusal == \
        Refusal.CLOSED_HOURS


def test_hours_to_midnight() -> None:
    line = _line(hours=(time(20), None))
    assert check_gate(line, local("2023-06-01 23:59:59", NEW_YORK)).is_open
    assert not check_gate(line, local("2023-06-02 00:00:00", NEW_YORK)).is_open


moments = st.datetimes(min_value=datetime(2022, 1, 1), max_value=datetime(2024, 12, 31),
                       timezones=st.just(UTC))
zones = st.sampled_from(["Asia/Shanghai", "America/New_York", "Europe/London",
                         "Australia/Lord_Howe", "Asia/Kathmandu"])
hours = st.tuples(st.integers(0, 22), st.integers(0, 59), st.integers(1, 23)).map(
    lambda t: (time(t[0], t[1]), time(min(23, t[0] + t[2]), t[1]) if t[0] + t[2] < 24 else None))
weekday_sets = st.frozensets(st.integers(1, 7), min_size=1)


@given(moment=moments, zone=zones, span=hours, days=weekday_sets,
       closes=st.dates(date(2022, 6, 1), date(2024, 6, 1)))
def test_gate_agrees_with_the_rules_written_out(moment: datetime, zone: str,
                                                span: tuple[time, time | None],
                                                days: frozenset[int], closes: date) -> None:
    start, end = span
    if end is not None and end <= start:
        end = None
    opens = closes - timedelta(days=120)
    line = _line(timezone=ZoneInfo(zone), hours=(start, end), weekdays=days, opens=opens,
                 closes=closes)
    decision = check_gate(line, moment)
    wall = moment.astimezone(ZoneInfo(zone))
    in_hours = start <= wall.time() and (end is None or wall.time() < end)
    if wall.date() < opens:
        expected = Refusal.NOT_OPEN_YET
    elif wall.date() > closes:
        expected = Refusal.AFTER_CUTOFF
    elif wall.isoweekday() not in days or not in_hours:
        expected = Refusal.CLOSED_HOURS
    else:
        expected = None
    if expected in (Refusal.NOT_OPEN_YET, Refusal.CLOSED_HOURS):
        # Turned away with no opening left in the campaign: the line has closed for good.
        first = max(wall.date(), opens)
        later_days = (first + timedelta(days=n) for n in range((closes - first).days + 1))
        if not any(day.isoweekday() in days and (day > wall.date() or wall.time() < start)
                   for day in later_days):
            expected = Refusal.AFTER_CUTOFF
    assert decision.refusal == expected
    assert decision.local_time == wall


def test_an_opening_time_skipped_by_the_clock_change_opens_at_the_change() -> None:
    from campaign.calendar import next_opening

    # New York skips 02:00–03:00 on 10 March 2024: a line opening at 02:30 opens at 03:00.
    line = _line(hours=(time(2, 30), time(5, 0)), closes=date(2024, 3, 31))
    before = datetime(2024, 3, 10, 1, 0, tzinfo=NEW_YORK)
    opening = next_opening(line, before)
    assert opening is not None and opening.isoformat() == "2024-03-10T03:00:00-04:00"
    assert check_gate(line, opening).is_open
    assert not check_gate(line, opening.astimezone(UTC) - timedelta(seconds=1)).is_open
    assert check_gate(line, before).next_opening == opening


def test_the_gate_names_the_next_opening_or_none_when_the_line_has_closed() -> None:
    evening = check_gate(SEED, local("2023-07-25 18:00:00"))
    assert evening.refusal == Refusal.CLOSED_HOURS
    assert evening.next_opening == local("2023-07-26 08:30:00")
    last_evening = check_gate(SEED, local("2023-07-26 18:00:00"))
    assert last_evening.refusal == Refusal.AFTER_CUTOFF and last_evening.next_opening is None
