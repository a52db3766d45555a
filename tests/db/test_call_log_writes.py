"""The call log's writes: one transaction per webhook, all or nothing, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from db import calllog
from db.engine import make_session_factory
from db.models import Call, Report

KEY = calllog.CallKey("CA" + "5" * 32, "gz-2023", "+8613800138000", "+862087756920")
AT = datetime(2023, 6, 1, 2, 0, tzinfo=UTC)


def test_a_failed_webhook_leaves_nothing_half_written(engine) -> None:
    sessions = make_session_factory(engine, writer=True)
    with pytest.raises(RuntimeError), sessions.begin() as session:
        calllog.ensure_call(session, KEY, AT)  # uses a savepoint
        calllog.save_report(session, KEY, at=AT, number=1, reference="41052780",
                            category="work", subject=None, recording_sid=None,
                            recording_url=None, recording_seconds=None,
                            recording_status=None, new_reference=lambda: "12345671")
        raise RuntimeError("the request failed after its writes")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 0
        assert session.scalar(select(func.count()).select_from(Report)) == 0


def test_a_taken_report_reference_is_replaced(engine) -> None:
    sessions = make_session_factory(engine, writer=True)
    other = calllog.CallKey("CA" + "6" * 32, "gz-2023", "+8613800138001", "+862087756920")
    fresh = iter(["12345671"])
    with sessions.begin() as session:
        first = calllog.save_report(session, KEY, at=AT, number=1, reference="41052780",
                                    category="work", subject=None, recording_sid=None,
                                    recording_url=None, recording_seconds=None,
                                    recording_status=None, new_reference=lambda: "0")
    with sessions.begin() as session:
        second = calllog.save_report(session, other, at=AT, number=1, reference="41052780",
                                     category="work", subject=None, recording_sid=None,
                                     recording_url=None, recording_seconds=None,
                                     recording_status=None, new_reference=lambda: next(fresh))
    assert (first, second) == ("41052780", "12345671")


def test_a_retried_greeting_never_turns_a_taken_call_away(engine) -> None:
    sessions = make_session_factory(engine, writer=True)
    with sessions.begin() as session:
        calllog.log_answer(session, KEY, at=AT, refusal=None, result="language_menu")
    # The same first request retried after 17:30 would be refused by the gate: no change.
    with sessions.begin() as session:
        calllog.log_answer(session, KEY, at=AT, refusal="closed_hours", result="closed_hours")
    with sessions() as session:
        call = session.scalar(select(Call))
        assert call.refusal is None and call.outcome == "in_progress"
