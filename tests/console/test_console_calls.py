"""The call log: masked numbers, filters, search, counts per outcome, keyset pages, timeline."""

from __future__ import annotations

import re

REFS = re.compile(r'class="ref">(\d{8,9})<')


def search(client, text: str, **filters: str) -> str:  # type: ignore[no-untyped-def]
    """The search box as a browser without JavaScript uses it: a form post, then the
    list at a URL that does not carry the search text."""
    from console_helpers import csrf_token

    posted = client.post("/console/calls/search", data={
        "csrf_token": csrf_token(client, "/console/calls"), "q": text, **filters})
    assert posted.status_code == 303
    location = posted.headers["Location"]
    digits = "".join(ch for ch in text if ch.isdigit())
    assert "q=" not in location and (not digits or digits[-8:] not in location), location
    return client.get(location).get_data(as_text=True)


def call_rows(html: str) -> int:
    return html.count('<td data-label="来电时间">')


def test_numbers_are_masked_in_the_list_and_on_the_call(signed_in, reported_call) -> None:
    client = signed_in("operator")
    listing = client.get("/console/calls").get_data(as_text=True)
    assert "+8613800138000" not in listing and "•••• 8000" in listing
    detail = client.get(f"/console/calls/{reported_call.call_sid}").get_data(as_text=True)
    assert '<dd class="number" id="caller-number">•••• 8000</dd>' in detail
    assert "13800138000" not in detail


def test_the_timeline_is_in_local_time_with_labels_from_the_campaign(signed_in,
                                                                     reported_call) -> None:
    page = signed_in("operator").get(f"/console/calls/{reported_call.call_sid}").get_data(
        as_text=True)
    # Asia/Shanghai, not UTC (02:00), by its offset: "CST" also names Cuba's and Chicago's.
    assert "2023-06-01 10:00:00 +08:00" in page and "CST" not in page
    assert "选择类别：廉洁纪律" in page and "选择反映对象：广州市领导班子及其成员" in page
    assert "选择语言：普通话" in page and "留言已录音" in page
    english = signed_in("manager").get(
        f"/console/calls/{reported_call.call_sid}?lang=en").get_data(as_text=True)
    assert "chose category: integrity discipline" in english


def test_filters_search_and_counts(signed_in, place_call, clock) -> None:
    first = place_call("1", "3", "1", "r30", "2")
    clock.advance(600)
    # Referred (a subject out of scope), and leaves a message to be passed on.
    place_call("2", "1", "4", "r20", "2", from_number="+85291234567")
    clock.set_local("2023-06-02 18:00")  # after hours
    place_call(from_number="+8613912345678")
    client = signed_in("operator")
    everything = client.get("/console/calls").get_data(as_text=True)
    assert call_rows(everything) == 3
    assert 'data-outcome="reported">已举报 <b>1</b>' in everything
    assert 'data-outcome="closed_hours">非接听时间 <b>1</b>' in everything
    assert call_rows(client.get("/console/calls?outcome=referred").get_data(as_text=True)) == 1
    assert call_rows(client.get("/console/calls?category=integrity").get_data(
        as_text=True)) == 1
    assert call_rows(client.get("/console/calls?subject=city-leadership").get_data(
        as_text=True)) == 1
    assert call_rows(client.get("/console/calls?follow_up=new").get_data(as_text=True)) == 2
    # The messages left after a referral, to pass on, and those within the scope.
    passed_on = client.get("/console/calls?scope=out").get_data(as_text=True)
    assert call_rows(passed_on) == 1 and "•••• 4567" in passed_on
    assert "不属受理范围（转交）" in passed_on
    within = client.get("/console/calls?scope=in").get_data(as_text=True)
    assert call_rows(within) == 1 and first.call_sid in within
    # Dates are local days: 18:00 on 2 June in Shanghai is 10:00 UTC the same day.
    day_two = client.get("/console/calls?since=2023-06-02&until=2023-06-02").get_data(
        as_text=True)
    assert call_rows(day_two) == 1 and "非接听时间 <b>1</b>" in day_two
    # Counts cover the filtered range whatever outcome is picked.
    picked = client.get("/console/calls?since=2023-06-01&until=2023-06-01&outcome=reported") \
        .get_data(as_text=True)
    assert call_rows(picked) == 1 and 'data-outcome="referred">已转告 <b>1</b>' in picked
    # Search by number (managers) in any usual spelling, or by reference (anyone).
    manager = signed_in("manager")
    for spelling in ("+852 9123 4567", "+85291234567"):
        found = search(manager, spelling)
        assert call_rows(found) == 1 and "•••• 4567" in found
    assert call_rows(search(manager, "139-1234-5678")) == 1
    reference = REFS.search(within).group(1)  # type: ignore[union-attr]
    by_reference = search(client, reference)
    assert call_rows(by_reference) == 1 and first.call_sid in by_reference
    bad = search(client, "hello", since="June")
    assert "请输入8位受理编号或电话号码" in bad and "日期格式应为" in bad


def test_find_by_reference_tells_when_there_is_none(signed_in, reported_call) -> None:
    client = signed_in("operator")
    response = client.get("/console/find?reference=12345678", follow_redirects=True)
    assert "没有编号为 12345678 的举报" in response.get_data(as_text=True)


def test_keyset_pages_walk_every_call_once(signed_in, place_call, clock, console) -> None:
    console.page_size = 2
    sids = []
    for minute in range(5):
        clock.set_local(f"2023-06-01 10:{minute:02d}")
        sids.append(place_call("hangup").call_sid)  # abandoned calls are enough here
    client = signed_in("operator")
    seen, url, pages = [], "/console/calls", []
    while url:
        html = client.get(url).get_data(as_text=True)
        pages.append(html)
        seen += re.findall(r'href="/console/calls/(CA[0-9a-f]+)"', html)
        older = re.search(r'href="(/console/calls\?[^"]*older=[^"]+)" rel="next"', html)
        url = older.group(1).replace("&amp;", "&") if older else None
    assert list(dict.fromkeys(seen)) == list(reversed(sids))
    assert len(pages) == 3
    newer = re.search(r'href="(/console/calls\?[^"]*newer=[^"]+)" rel="prev"', pages[-1])
    back = client.get(newer.group(1).replace("&amp;", "&")).get_data(as_text=True)  # type: ignore[union-attr]
    assert list(dict.fromkeys(re.findall(r'href="/console/calls/(CA[0-9a-f]+)"', back))) == \
        list(reversed(sids))[2:4]


def test_a_page_is_one_index_range_scan(engine, backend) -> None:
    """The newest-first page and its keyset condition use the started_at index, no sort."""
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session

    from db import calllist

    if backend != "sqlite":
        return  # PostgreSQL's planner picks plans by table size; checked on SQLite
    with Session(engine) as session:
        query = calllist._filtered(calllist.select(calllist.Call), calllist.CallFilter()) \
            .where(calllist.tuple_(calllist.Call.started_at, calllist.Call.id) <
                   calllist._key((datetime(2023, 6, 1, tzinfo=UTC), 10))) \
            .order_by(calllist.Call.started_at.desc(), calllist.Call.id.desc()).limit(51)
        compiled = query.compile(engine)
        plan = " ".join(str(row) for row in session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + str(compiled), ("2023-06-01 00:00:00", 10, 51, 0)))
    assert "ix_calls_started_at" in plan and "TEMP B-TREE" not in plan


def test_the_interface_reads_on_a_phone(signed_in, reported_call) -> None:
    page = signed_in("operator").get("/console/calls").get_data(as_text=True)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert 'data-label="来电号码"' in page  # the labels the phone layout shows per cell


def _plan(session, engine, query) -> str:  # type: ignore[no-untyped-def]
    compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
    return " ".join(str(row) for row in session.connection().exec_driver_sql(
        "EXPLAIN QUERY PLAN " + str(compiled)))


def test_a_date_filtered_page_of_any_campaign_walks_the_index(engine, backend,
                                                              campaigns) -> None:
    """Dates with "any campaign" are an OR across the campaigns' windows: the page must
    still read started_at in index order, not sort every call of the range."""
    from datetime import UTC, date, datetime

    from sqlalchemy.orm import Session

    from db import calllist
    from reports.export import windows_for

    if backend != "sqlite":
        return  # PostgreSQL's planner picks plans by table size; checked on SQLite
    where = calllist.CallFilter(windows=windows_for(campaigns, date(2023, 6, 1),
                                                    date(2023, 6, 30), None))
    with Session(engine) as session:
        query = calllist._filtered(calllist.select(calllist.Call), where, ordered=True) \
            .where(calllist.tuple_(calllist.Call.started_at, calllist.Call.id) <
                   calllist._key((datetime(2023, 6, 20, tzinfo=UTC), 10))) \
            .order_by(calllist.Call.started_at.desc(), calllist.Call.id.desc()).limit(51)
        plan = _plan(session, engine, query)
    assert "ix_calls_started_at" in plan and "TEMP B-TREE" not in plan, plan


def test_report_filters_and_searches_are_not_probed_per_call(engine, backend, place_call,
                                                            app) -> None:
    """A report filter is one IN over the matching reports (no correlated subquery per
    call); a searched reference becomes its call's id first (a primary-key lookup);
    statistics of everything read the reports alone."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from db import calllist
    from db.models import Report

    place_call("1", "3", "1", "r30", "2")
    with Session(engine) as session:
        reference = session.scalar(select(Report.reference))
        where = calllist.CallFilter(category="integrity", follow_up="new")
        counts = calllist._filtered(select(calllist.Call.outcome, func.count())
                                    .select_from(calllist.Call), where, with_outcome=False) \
            .group_by(calllist.Call.outcome)
        assert "EXISTS" not in str(counts.compile(engine))
        if backend == "sqlite":
            assert "CORRELATED" not in _plan(session, engine, counts)
        assert calllist.outcome_counts(session, where) == {"reported": 1}
        resolved = calllist.resolve_search(session, calllist.CallFilter(
            reference=reference, from_numbers=("+8613800138000",)))
        assert resolved.call_ids is not None and len(resolved.call_ids) == 1
        assert resolved.from_numbers == ()
        if backend == "sqlite":
            page = calllist._filtered(select(calllist.Call), resolved, ordered=True) \
                .order_by(calllist.Call.started_at.desc(), calllist.Call.id.desc()).limit(51)
            assert "PRIMARY KEY" in _plan(session, engine, page)
        missing = calllist.resolve_search(session, calllist.CallFilter(
            reference="10000009", from_numbers=("+8613800138000",)))
        assert missing.call_ids is None and missing.reference is None  # the number, then
        assert len(calllist.page(session, missing).calls) == 1
        statements: list[str] = []
        from sqlalchemy import event

        def seen(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", seen)
        try:
            figures = calllist.report_figures(session, calllist.CallFilter(), app.extensions[
                "hotline.console"].clock())
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert figures.by_category == {"integrity": 1} and figures.by_follow_up == {"new": 1}
        # Unfiltered, the figures are the tallies' sums per campaign in the log (found by
        # seeks on the campaign index) and the overdue reports' counts: no statement reads
        # every call or every report.
        assert any("report_tallies" in statement for statement in statements), statements
        assert all("report_tallies" in statement or "_due <" in statement
                   or "min(calls.campaign_id)" in statement
                   for statement in statements), statements


def test_search_reads_full_width_digits_check_digits_and_local_numbers(signed_in,
                                                                        place_call) -> None:
    from ivr.references import is_valid_reference

    first = place_call("1", "3", "1", "r30", "2", from_number="+8613912345678")
    place_call("2", "1", "4", "-", "2", from_number="+862087756920")  # a landline of the city
    client = signed_in("operator")
    everything = client.get("/console/calls").get_data(as_text=True)
    reference = REFS.search(everything).group(1)  # type: ignore[union-attr]
    full_width = "".join(chr(ord(digit) + 0xFEE0) for digit in reference)
    found = search(client, full_width)
    assert call_rows(found) == 1 and first.call_sid in found
    manager = signed_in("manager")
    assert call_rows(search(manager, "１３９ １２３４ ５６７８")) == 1
    # An 8-digit landline typed without its area code is a number in the line's own
    # area. 87756920 even has a valid check digit, but no report has it as reference.
    assert is_valid_reference("87756920")
    landline = search(manager, "87756920")
    assert call_rows(landline) == 1 and "•••• 6920" in landline


def test_calls_of_campaigns_no_longer_configured_keep_their_place(signed_in, place_call,
                                                                  engine, campaigns) -> None:
    from datetime import date

    from sqlalchemy import update

    from db.models import Call
    from db.queries import iter_calls
    from reports.export import windows_for

    place_call("1", "3", "1", "r30", "2")
    with engine.begin() as connection:
        connection.execute(update(Call).values(campaign_id="gz-2022"))
    windows = windows_for(campaigns, date(2023, 6, 1), date(2023, 6, 1), None)
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        assert len(list(iter_calls(session, windows))) == 1
    page = signed_in("operator").get("/console/calls?since=2023-06-01&until=2023-06-01")
    assert call_rows(page.get_data(as_text=True)) == 1
    assert '已举报 <b>1</b>' in page.get_data(as_text=True)  # and counted
    # Counting spells the catch-all out per campaign found in the log (equalities the
    # covering campaign indexes serve), found by a skip scan.
    from db.queries import campaign_ids, concrete_windows

    with Session(engine) as session:
        assert campaign_ids(session) == ["gz-2022"]
        spelt = concrete_windows(session, windows)
    assert spelt is not None
    assert [(w.campaign_id, w.others_than) for w in spelt] == [
        ("gz-2023", None), (None, None), ("gz-2022", None)]
    assert spelt[2].start == windows[-1].start  # by UTC days, as the catch-all


def test_no_searched_number_is_ever_in_a_url(signed_in, place_call) -> None:
    place_call("1", "3", "1", "r30", "2", from_number="+8613912345678")
    client = signed_in("manager")
    page = search(client, "+86 139 1234 5678", outcome="reported")
    assert call_rows(page) == 1
    # Links on the page (pages, counts, export, languages) carry the search id only.
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert hrefs and not any("13912345678" in href or "q=" in href for href in hrefs)
    export = next(href for href in hrefs if "calls.csv" in href).replace("&amp;", "&")
    exported = client.get(export).get_data(as_text=True)
    assert "•••• 5678" in exported and "13912345678" not in exported
    # A URL with the number (typed, an old bookmark) moves to one without it.
    typed = client.get("/console/calls?q=%2B8613912345678&outcome=reported")
    assert typed.status_code == 303 and "13912345678" not in typed.headers["Location"]
    assert call_rows(client.get(typed.headers["Location"]).get_data(as_text=True)) == 1
    # Another user does not have this user's searches.
    other = signed_in("operator")
    gone = other.get(typed.headers["Location"] + "&lang=en").get_data(as_text=True)
    assert "That search has expired" in gone
