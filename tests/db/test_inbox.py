"""The inbox's queues and due clocks (db/inbox.py), on SQLite and PostgreSQL: which
reports each queue holds, its count, its pages, and what a row says of its deadline."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from campaign.model import Campaigns
from db import inbox
from db.followup import overdue
from db.inbox import Queue, Viewer
from db.models import Call, Report
from db.user_models import User
from tests.helpers import SHANGHAI

NOW = datetime(2023, 6, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _user(session: Session, name: str) -> User:
    user = User(name=name, role="operator", password_hash="-", active=True,
                session_token=name, created_at=NOW, password_changed_at=NOW)
    session.add(user)
    session.flush()
    return user


def _report(session: Session, number: int, *, made: datetime, state: str = "new",
            assignee: User | None = None, campaign: str = "gz-2023", new_info: bool = False,
            ack_days: float = 7, feedback_days: float = 90) -> Report:
    call = Call(call_sid=f"CA{number:032d}", campaign_id=campaign, started_at=made,
                status="completed", outcome="reported")
    session.add(call)
    session.flush()
    report = Report(call_id=call.id, number=1, reference=f"{number:09d}", category="integrity",
                    created_at=made, follow_up=state, campaign_id=campaign,
                    call_started_at=made, acknowledge_due=made + timedelta(days=ack_days),
                    feedback_due=made + timedelta(days=feedback_days),
                    assignee_id=assignee.id if assignee else None,
                    new_info_at=made if new_info else None)
    session.add(report)
    session.flush()
    return report


def _refs(reports: list[Report]) -> list[str]:
    return [r.reference for r in reports]


@pytest.fixture
def desk(engine: Engine) -> dict[str, object]:
    """Reports in every situation a case officer meets, and the two officers."""
    with Session(engine) as session, session.begin():
        lin, wang = _user(session, "lin"), _user(session, "wang")
        day = timedelta(days=1)
        _report(session, 1, made=NOW - 1 * day, assignee=lin)            # mine, new
        _report(session, 2, made=NOW - 6 * day)                          # unassigned, due in 1 day
        _report(session, 3, made=NOW - 9 * day, assignee=wang)           # overdue acknowledgement
        _report(session, 4, made=NOW - 20 * day, state="closed", assignee=lin)  # done
        _report(session, 5, made=NOW - 30 * day, state="in_review", assignee=lin,
                new_info=True)                                           # mine, new information
        _report(session, 6, made=NOW - 89 * day - timedelta(hours=1), state="acknowledged")
        # A wound-up campaign's report, long past every deadline.
        _report(session, 7, made=NOW - 400 * day, campaign="old-line")
        return {"lin": lin.id, "wang": wang.id}


def test_each_queue_holds_what_its_name_says(engine: Engine, desk: dict[str, int]) -> None:
    lin = Viewer(user_id=desk["lin"], now=NOW)
    with Session(engine) as session:
        found = {q: _refs(inbox.page(session, q, lin).reports) for q in inbox.QUEUES}
        counts = inbox.counts(session, lin)
    assert found[Queue.MINE] == ["000000001", "000000005"]   # open only: 4 is closed
    assert found[Queue.UNASSIGNED] == ["000000002", "000000006", "000000007"]
    # Oldest first: the longest overdue, and the soonest due, lead.
    assert found[Queue.OVERDUE] == ["000000007", "000000003"]
    assert found[Queue.DUE_SOON] == ["000000006", "000000002"]
    assert found[Queue.NEW_INFO] == ["000000005"]
    assert len(found[Queue.ALL]) == 7
    assert counts == {q: len(refs) for q, refs in found.items()}


def test_a_wound_up_campaign_is_not_overdue_work(engine: Engine, desk: dict[str, int],
                                                 campaigns: Campaigns) -> None:
    old = replace(next(iter(campaigns)), id="old-line", closes=(NOW - timedelta(days=200)).date())
    assert inbox.wound_up([old, *campaigns], NOW) == ("old-line",)
    lin = Viewer(user_id=desk["lin"], now=NOW, wound_up=("old-line",))
    with Session(engine) as session:
        assert _refs(inbox.page(session, Queue.OVERDUE, lin).reports) == ["000000003"]
        assert inbox.count(session, Queue.OVERDUE, lin) == 1
        # Still the team's to finish: listed, but as lapsed rather than late.
        assert "000000007" in _refs(inbox.page(session, Queue.UNASSIGNED, lin).reports)
        lapsed = session.scalar(select(Report).where(Report.reference == "000000007"))
        assert lapsed is not None
        assert inbox.due_clock(lapsed, NOW, SHANGHAI, wound_up=True).kind == "lapsed"
        assert inbox.new_reports(session, lin) == 3   # 1, 2 and 3; 7 is wound up


def test_pages_follow_each_other_without_gaps(engine: Engine, desk: dict[str, int]) -> None:
    lin = Viewer(user_id=desk["lin"], now=NOW)
    with Session(engine) as session:
        seen, after = [], None
        while True:
            found = inbox.page(session, Queue.ALL, lin, after=after, size=3)
            seen += _refs(found.reports)
            if found.after is None:
                break
            after = found.after
        assert seen == [f"{n:09d}" for n in range(1, 8)]   # newest first, each once
        # The assignee queues merge one range per open state: pages still follow on.
        first = inbox.page(session, Queue.UNASSIGNED, lin, size=2)
        rest = inbox.page(session, Queue.UNASSIGNED, lin, after=first.after, size=2)
        assert _refs(first.reports) + _refs(rest.reports) == ["000000002", "000000006",
                                                             "000000007"]
        assert rest.after is None
        soon = inbox.page(session, Queue.DUE_SOON, lin, size=1)
        later = inbox.page(session, Queue.DUE_SOON, lin, after=soon.after, size=1)
        assert _refs(soon.reports) + _refs(later.reports) == ["000000006", "000000002"]
        assert later.after is None
        report = session.get(Report, inbox.page(session, Queue.ALL, lin).reports[1].id)
        assert report is not None
        assert inbox.neighbours(session, Queue.ALL, lin, report) == ("000000001", "000000003")


def test_counts_stop_at_the_cap(engine: Engine, desk: dict[str, int],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inbox, "COUNT_CAP", 2)
    with Session(engine) as session:
        assert inbox.count(session, Queue.ALL, Viewer(user_id=desk["lin"], now=NOW)) == 3


@pytest.mark.parametrize(("due_in", "state", "expected"), [
    (timedelta(days=3), "new", ("due", 3, "acknowledge")),
    (timedelta(days=1), "new", ("due", 1, "acknowledge")),
    (timedelta(hours=5), "new", ("today", 0, "acknowledge")),       # 15:00 the same day
    (timedelta(hours=-1), "new", ("overdue", 0, "acknowledge")),    # 09:00 today: just late
    (timedelta(days=-4), "new", ("overdue", 4, "acknowledge")),
    (timedelta(days=2), "acknowledged", ("due", 88, "feedback")),   # acknowledged: the answer
    (timedelta(days=-4), "closed", ("done", 0, "")),
])
def test_the_due_clock_counts_local_days(due_in: timedelta, state: str,
                                         expected: tuple[str, int, str]) -> None:
    report = Report(follow_up=state, acknowledge_due=NOW + due_in,
                    feedback_due=NOW + due_in + timedelta(days=86))
    clock = inbox.due_clock(report, NOW, SHANGHAI)
    assert (clock.kind, clock.days, clock.which) == expected


def test_the_due_clock_turns_at_local_midnight() -> None:
    # 23:30 in Shanghai, due at 00:30 the next local day: "due in 1 day", not "today".
    late_evening = datetime(2023, 6, 10, 15, 30, tzinfo=UTC)
    report = Report(follow_up="new", acknowledge_due=late_evening + timedelta(hours=1),
                    feedback_due=late_evening + timedelta(days=90))
    assert inbox.due_clock(report, late_evening, SHANGHAI).kind == "due"
    assert inbox.due_clock(report, late_evening, UTC).kind == "today"


def test_due_soon_holds_what_the_overdue_rule_says_two_days_ahead_and_not_now(
        engine: Engine) -> None:
    # Reports late, due soon and far off on either clock, in every state, some with no
    # due date at all (never late): the queue is exactly overdue(now + 2 days) and not
    # overdue(now), by db/followup's rule applied to each row.
    rng = random.Random(5)
    with Session(engine) as session, session.begin():
        lin = _user(session, "lin")
        for number in range(1, 301):
            report = _report(session, number, made=NOW - timedelta(days=rng.randint(0, 40)),
                             state=rng.choice(["new", "acknowledged", "in_review", "closed"]),
                             ack_days=rng.choice([1, 5, 8, 9.5, 30]),
                             feedback_days=rng.choice([3, 9, 35, 41, 60]))
            if rng.random() < 0.15:
                report.acknowledge_due = None
            if rng.random() < 0.15:
                report.feedback_due = None
        viewer = Viewer(user_id=lin.id, now=NOW)
    with Session(engine) as session:
        expected = sorted(
            r.reference for r in session.scalars(select(Report))
            if overdue(r, NOW + inbox.DUE_SOON) and not overdue(r, NOW))
        listed = inbox.page(session, Queue.DUE_SOON, viewer, size=300).reports
        assert sorted(_refs(listed)) == expected
        assert inbox.count(session, Queue.DUE_SOON, viewer) == len(expected) > 5
