"""A page of the call list filtered by a report's category or subject (db/calllist.py)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import calllist
from db.models import Call, Report


def _plan(session: Session, query) -> str:  # type: ignore[no-untyped-def]
    compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    return " ".join(str(row) for row in session.connection().exec_driver_sql(
        "EXPLAIN QUERY PLAN " + str(compiled)))


def test_a_category_page_lists_calls_with_a_matching_report_newest_first(
        engine, backend, place_call, clock) -> None:
    integrity = place_call("1", "3", "1", "r30", "2")
    clock.advance(600)
    place_call("1", "5", "2", "r20", "2", from_number="+8613900000001")
    clock.advance(600)
    # Two matters: the second is of the category asked for.
    both = place_call("1", "5", "2", "r20", "1", "3", "1", "r30", "2",
                      from_number="+8613900000002")
    with Session(engine) as session:
        other_subject = session.scalar(select(Report.subject).join(Call).where(
            Call.from_number == "+8613900000001"))
        page = calllist.page(session, calllist.CallFilter(category="integrity"))
        assert [call.call_sid for call in page.calls] == [both.call_sid, integrity.call_sid]
        # Every report filter holds for one and the same report: the two-matter call has
        # an integrity report and a report of the other subject, but not one report with both.
        mixed = calllist.page(session, calllist.CallFilter(category="integrity",
                                                           subject=other_subject))
        assert mixed.calls == []
        assert [c.call_sid for c in calllist.page(
            session, calllist.CallFilter(category="integrity"), size=1).calls] == [
                both.call_sid]
        if backend == "sqlite":
            # Read in page order, each call's reports probed: neither every matching report
            # listed first nor the matches sorted (flat however long the history).
            query = calllist._filtered(select(Call), calllist.CallFilter(
                category="integrity"), ordered=True).order_by(
                    Call.started_at.desc(), Call.id.desc()).limit(51)
            plan = _plan(session, query)
            assert "LIST SUBQUERY" not in plan and "TEMP B-TREE" not in plan, plan


def test_the_counts_of_a_category_list_count_each_call_once_by_its_outcome(
        engine, place_call, clock) -> None:
    # Counted from the value tallies the webhooks' writes keep (migration 0019), not from
    # the history's rows: the same figures a count over the rows gives.
    place_call("1", "3", "1", "r30", "2")                       # integrity, reported
    clock.advance(600)
    place_call("1", "3", "1", "r30", "1", "3", "2", "r20", "2",  # integrity twice: once
               from_number="+8613900000003")
    clock.advance(600)
    place_call("1", "5", "2", "r20", "2", from_number="+8613900000001")  # another category
    clock.advance(600)
    place_call("1", "3", "1", "hangup", from_number="+8613900000004")  # hung up at the beep
    with Session(engine) as session:
        counted = calllist.outcome_counts(session, calllist.CallFilter(category="integrity"))
        by_rows = dict(session.execute(
            select(Call.outcome, func.count()).where(Call.id.in_(
                select(Report.call_id).where(Report.category == "integrity")))
            .group_by(Call.outcome)).all())
        assert counted == by_rows
        assert sum(counted.values()) == 3  # the two-matter call once, the other category not
        # The outcome picked does not hide the others' counts.
        assert calllist.outcome_counts(session, calllist.CallFilter(
            category="integrity", outcome="abandoned")) == counted
        subject = session.scalar(select(Report.subject).where(Report.category == "integrity"))
        assert sum(calllist.outcome_counts(
            session, calllist.CallFilter(subject=subject)).values()) >= 2
