"""Callers' numbers on a need-to-know basis: an operator never sees a whole number; a
manager sees it masked and may reveal it for one page, with a reason, audited; number
searches are for managers and audited; every opening of a call page is audited and the
page says who has opened it; searches are kept on the server, not in the cookie."""

from __future__ import annotations

import re

from console_helpers import csrf_token, post, sign_in
from sqlalchemy import func, select

from db.access_models import SavedSearch
from db.models import Report
from db.user_models import AuditEvent

CALLER = "+8613912345678"
# The number as a page, a CSV cell or a JSON value could spell it.
SPELLINGS = (CALLER, CALLER[1:], CALLER[3:], "139 1234 5678", "139-1234-5678")
HREF = re.compile(r'(?:href|action)="(/console/[^"#]*)"')


def leaks(body: str) -> list[str]:
    return [spelling for spelling in SPELLINGS if spelling in body]


def lines(engine, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return list(connection.execute(select(AuditEvent).where(AuditEvent.action == action)
                                       .order_by(AuditEvent.id)).all())


def search(client, text: str):  # type: ignore[no-untyped-def]
    posted = client.post("/console/calls/search", data={
        "csrf_token": csrf_token(client, "/console/calls"), "q": text})
    assert posted.status_code == 303
    return client.get(posted.headers["Location"])


def test_an_operators_pages_csv_and_searches_never_hold_a_whole_number(signed_in, place_call,
                                                                       engine) -> None:
    call = place_call("1", "3", "1", "r30", "2", from_number=CALLER)
    with engine.connect() as connection:
        reference = connection.execute(select(Report.reference)).scalar_one()
    place_call("1", "#", reference + "#", "1", "r20", "2", from_number=CALLER)  # an addition
    client = signed_in("operator")
    # Every page an operator reaches from the call list and the call page, in both
    # languages, and the answers to searches by number and by reference.
    bodies: dict[str, str] = {}
    queue = ["/console/", "/console/calls", f"/console/calls/{call.call_sid}",
             "/console/calls?lang=en", f"/console/calls/{call.call_sid}?lang=en",
             f"/console/find?reference={reference}", "/console/calls.csv",
             "/console/additions/unmatched", "/console/account"]
    while queue:
        path = queue.pop(0)
        if path in bodies or "/audio" in path or path.startswith("/console/logout"):
            continue
        response = client.get(path, follow_redirects=True)
        bodies[path] = response.get_data(as_text=True)
        if response.mimetype == "text/html" and len(bodies) < 40:
            queue += [link.replace("&amp;", "&") for link in HREF.findall(bodies[path])]
    for text in (CALLER, "139 1234 5678", "13912345678", reference):
        bodies[f"search {text}"] = search(client, text).get_data(as_text=True)
    assert len(bodies) > 12
    assert {path: leaks(body) for path, body in bodies.items() if leaks(body)} == {}
    assert "•••• 5678" in bodies[f"/console/calls/{call.call_sid}"]
    assert "•••• 5678" in bodies["/console/calls.csv"]
    # A number search is refused in words, finds nothing and is not a number search.
    refused = bodies[f"search {CALLER}"]
    assert "Only managers can search by calling number" in refused and call.call_sid not in refused
    assert call.call_sid in bodies[f"search {reference}"]
    assert lines(engine, "number_searched") == []
    # Nor is the number in the session cookie, nor in the URL the list is at.
    cookie = client.get_cookie("session")
    assert cookie is not None and not leaks(cookie.value)


def test_a_manager_reveals_a_number_for_one_page_with_a_reason(signed_in, reported_call,
                                                               engine) -> None:
    client = signed_in("manager")
    page = f"/console/calls/{reported_call.call_sid}"
    masked = client.get(page).get_data(as_text=True)
    assert "•••• 8000" in masked and "+8613800138000" not in masked
    assert 'action="/console/calls/' + reported_call.call_sid + '/number"' in masked
    # No reason: nothing shown, nothing audited.
    refused = post(client, page + "/number", {"reason": "  "}, page=page)
    assert refused.status_code == 302
    assert "显示完整号码须填写理由" in client.get(refused.headers["Location"]).get_data(
        as_text=True)
    assert lines(engine, "number_revealed") == []
    shown = post(client, page + "/number", {"reason": "police request 2023/88"}, page=page)
    assert shown.status_code == 200
    body = shown.get_data(as_text=True)
    assert '<span class="revealed">+8613800138000</span>' in body
    assert shown.headers["Cache-Control"] == "no-store"
    revealed = lines(engine, "number_revealed")
    assert [(line.actor, line.target, line.detail) for line in revealed] == [
        ("manager", reported_call.call_sid, "police request 2023/88")]
    # For that answer only: the page opened again is masked.
    again = client.get(page).get_data(as_text=True)
    assert "+8613800138000" not in again and "•••• 8000" in again


def test_an_operator_cannot_reveal_a_number(signed_in, reported_call, engine) -> None:
    client = signed_in("operator")
    page = f"/console/calls/{reported_call.call_sid}"
    assert "/number" not in client.get(page).get_data(as_text=True)
    answer = post(client, page + "/number", {"reason": "curious"}, page=page)
    assert answer.status_code == 403 and "13800138000" not in answer.get_data(as_text=True)
    assert lines(engine, "number_revealed") == []


def test_a_managers_number_search_is_audited_with_the_number_masked(signed_in, app,
                                                                   place_call, engine) -> None:
    call = place_call("1", "3", "1", "r30", "2", from_number=CALLER)
    place_call("hangup", from_number="+8613700001111")
    found = search(signed_in("manager"), "139 1234 5678").get_data(as_text=True)
    assert call.call_sid in found and found.count('<td data-label="来电时间">') == 1
    searched = lines(engine, "number_searched")
    assert [(line.actor, line.detail) for line in searched] == [("manager", "•••• 5678")]
    with engine.connect() as connection:
        details = " ".join(filter(None, connection.execute(select(AuditEvent.detail)).scalars()))
    assert not leaks(details)
    admin = app.test_client()
    assert sign_in(admin, "admin").status_code == 302
    audit_page = admin.get("/console/admin/audit?action=number_searched").get_data(as_text=True)
    assert "•••• 5678" in audit_page and not leaks(audit_page)


def test_every_opening_of_a_call_page_is_audited_and_shown(signed_in, reported_call,
                                                          engine, clock) -> None:
    page = f"/console/calls/{reported_call.call_sid}"
    operator = signed_in("operator")
    operator.get(page)
    clock.advance(60)
    operator.get(page)
    clock.advance(60)
    body = signed_in("manager").get(page + "?lang=en").get_data(as_text=True)
    viewed = lines(engine, "call_viewed")
    with engine.connect() as connection:
        reference = connection.execute(select(Report.reference)).scalar_one()
    assert [(line.actor, line.target, line.detail) for line in viewed] == [
        ("operator", reported_call.call_sid, reference)] * 2 + [
        ("manager", reported_call.call_sid, reference)]
    shown = body[body.index('id="viewed-by"'):]
    shown = shown[:shown.index("</section>")]
    assert "<b>manager</b> · 1 times" in shown and "<b>operator</b> · 2 times" in shown
    assert shown.index("manager") < shown.index("operator")  # the latest first
    # A page that is not found is no view.
    assert operator.get("/console/calls/CA" + "0" * 32).status_code == 404
    assert len(lines(engine, "call_viewed")) == 3


def test_searches_live_on_the_server_for_their_user_and_a_working_day(signed_in, place_call,
                                                                     engine, clock) -> None:
    call = place_call("1", "3", "1", "r30", "2", from_number=CALLER)
    client = signed_in("manager")
    posted = client.post("/console/calls/search", data={
        "csrf_token": csrf_token(client, "/console/calls"), "q": CALLER})
    location = posted.headers["Location"]
    assert not leaks(location) and call.call_sid in client.get(location).get_data(as_text=True)
    with engine.connect() as connection:
        kept = connection.execute(select(SavedSearch.text)).scalars().all()
    assert kept == [CALLER]
    # Another user holding the URL does not get the search (the list, unsearched).
    other = signed_in("operator").get(location + "&lang=en").get_data(as_text=True)
    assert "That search has expired" in other and not leaks(other)
    # After a working day it is gone, and the next search purges it.
    clock.advance(13 * 3600)
    client = signed_in("manager")
    assert "该搜索已过期" in client.get(location).get_data(as_text=True)
    search(client, "+8613700001111")
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(SavedSearch)).scalar() == 1
        assert connection.execute(select(SavedSearch.text)).scalar() == "+8613700001111"
