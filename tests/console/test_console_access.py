"""Who may open what: every console route × every role × signed out."""

from __future__ import annotations

import pytest
from console_helpers import PASSWORD, csrf_token, sign_in

# (method, path, who may use it): "public", "signed_in" (any role), or a permission.
ROUTES = [
    ("GET", "/console/login", "public"),
    ("POST", "/console/login", "public"),
    ("GET", "/console/static/console.css", "public"),
    # The second factor's steps: without a pending sign-in they send back to the sign-in
    # page (enrolment is also open to a signed-in user who has no second factor yet).
    ("GET", "/console/login/code", "public"),
    ("POST", "/console/login/code", "public"),
    ("GET", "/console/login/enrol", "public"),
    ("POST", "/console/login/enrol", "public"),
    ("POST", "/console/account/recovery-codes", "signed_in"),
    ("GET", "/console/", "signed_in"),
    ("GET", "/console/account", "signed_in"),
    ("POST", "/console/account", "signed_in"),
    ("GET", "/console/inbox", "calls"),
    ("GET", "/console/inbox/counts", "calls"),
    ("POST", "/console/inbox/bulk", "calls"),
    ("GET", "/console/reports/{ref}", "calls"),
    ("POST", "/console/reports/{ref}/work", "calls"),
    ("GET", "/console/calls", "calls"),
    ("GET", "/console/calls.csv", "calls"),
    ("POST", "/console/calls/search", "calls"),
    ("GET", "/console/find?reference={ref}", "calls"),
    ("GET", "/console/calls/{sid}", "calls"),
    ("POST", "/console/calls/{sid}/number", "caller_numbers"),
    ("GET", "/console/reports/{ref}/audio", "calls"),
    ("POST", "/console/reports/{ref}/status", "calls"),
    ("POST", "/console/reports/{ref}/notes", "calls"),
    ("POST", "/console/reports/{ref}/assignee", "calls"),
    ("POST", "/console/reports/{ref}/reply", "calls"),
    ("GET", "/console/additions/unmatched", "calls"),
    ("GET", "/console/additions/{addition}/audio", "calls"),
    ("POST", "/console/reports/{ref}/original", "original_voice"),
    ("GET", "/console/reports/{ref}/original/audio", "original_voice"),  # after the POST
    ("POST", "/console/reports/{ref}/hold", "legal_hold"),
    ("GET", "/console/stats", "stats"),
    ("GET", "/console/daily-reports", "stats"),
    ("GET", "/console/daily-reports/{campaign}/{day}", "stats"),
    ("POST", "/console/daily-reports/{campaign}/{day}/send", "stats"),
    ("GET", "/console/admin/users", "admin"),
    ("POST", "/console/admin/users", "admin"),
    ("POST", "/console/admin/users/{name}/active", "admin"),
    ("POST", "/console/admin/users/{name}/campaigns", "admin"),
    ("POST", "/console/admin/users/{name}/second-factor", "admin"),
    ("GET", "/console/admin/campaigns", "admin"),
    ("GET", "/console/admin/audit", "admin"),
    ("POST", "/console/logout", "signed_in"),  # last: it signs the client out
]
POST_DATA = {
    "/console/reports/{ref}/status": {"to": "acknowledged", "expected": "new"},
    "/console/reports/{ref}/work": {"expected": "new", "note": "Called the caller back."},
    "/console/inbox/bulk": {"action": "acknowledge", "reference": "{ref}"},
    "/console/reports/{ref}/notes": {"body": "Called back; caller confirmed the details."},
    "/console/reports/{ref}/assignee": {"assignee": "operator"},
    "/console/reports/{ref}/reply": {"reply": "We are looking into it.", "language": "cmn"},
    "/console/admin/users/{name}/active": {"active": "1"},
    "/console/account": {"current": PASSWORD},
    "/console/calls/search": {"q": "+8613800138000"},
    "/console/reports/{ref}/original": {"reason": "the caller asked to be heard in person"},
    "/console/reports/{ref}/hold": {"reason": "court order 2023/17"},
    "/console/calls/{sid}/number": {"reason": "the police asked, case 2023/88"},
    "/console/admin/users/{name}/campaigns": {"campaign": "gz-2023"},
}
GRANTS = {
    "operator": {"calls"},
    "manager": {"calls", "stats", "original_voice", "legal_hold", "caller_numbers"},
    "admin": {"admin"},
}


def test_every_console_route_is_in_the_matrix(app) -> None:
    served = {(method, rule.rule) for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("console.")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    listed = {(method, path.split("?")[0].replace("{ref}", "<reference>")
               .replace("{sid}", "<call_sid>").replace("{name}", "<name>")
               .replace("{campaign}", "<campaign_id>").replace("{day}", "<day_text>")
               .replace("{addition}", "<int:addition_id>")
               .replace("console.css", "<path:filename>"))
              for method, path, _ in ROUTES}
    assert served == listed


@pytest.mark.parametrize("who", ["signed_out", "operator", "manager", "admin"])
def test_access_matrix(who, app, users, reported_call, engine) -> None:
    from sqlalchemy import select

    from db.models import Report

    with engine.connect() as connection:
        reference = connection.execute(select(Report.reference)).scalar_one()
    client = app.test_client()
    if who != "signed_out":
        assert sign_in(client, who).status_code == 302
    wrong = []
    for method, template, rule in ROUTES:
        path = template.format(ref=reference, sid=reported_call.call_sid, name="operator",
                               campaign="gz-2023", day="2023-06-01", addition=1)
        if method == "POST":
            token = csrf_token(client, "/console/login")
            data = {name: value.format(ref=reference)
                    for name, value in POST_DATA.get(template, {}).items()}
            response = client.post(path, data={"csrf_token": token, **data})
        else:
            response = client.get(path)
        response.close()
        location = response.headers.get("Location", "")
        # Flask-Login's redirect names the page to come back to; signing out does not.
        to_sign_in = response.status_code == 302 and "/console/login?next=" in location
        if rule == "public":
            expected = "open"
        elif who == "signed_out":
            expected = "sign-in"
        elif rule == "signed_in" or rule in GRANTS[who]:
            expected = "open"
        else:
            expected = "403"
        got = ("sign-in" if to_sign_in else "403" if response.status_code == 403
               else "error" if response.status_code >= 500 else "open")
        if got != expected:
            wrong.append(f"{method} {template}: expected {expected}, got "
                         f"{response.status_code} {location}")
    assert not wrong, "\n".join(wrong)


def test_an_operator_gets_a_403_page_on_admin_pages(signed_in) -> None:
    client = signed_in("operator")
    for path in ("/console/admin/users", "/console/admin/audit", "/console/admin/campaigns"):
        response = client.get(path)
        assert response.status_code == 403
        assert "Your role does not allow this page" in response.get_data(as_text=True) \
            or "您的角色无权打开此页面" in response.get_data(as_text=True)


def test_a_signed_out_visitor_is_sent_to_sign_in_and_back_afterwards(app, users) -> None:
    client = app.test_client()
    response = client.get("/console/stats?since=2023-06-01")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/login?next=")
    page = client.get(response.headers["Location"])
    token = csrf_token(client, response.headers["Location"])
    assert 'name="next" value="/console/stats?since=2023-06-01"' in page.get_data(as_text=True)
    signed = client.post("/console/login", data={
        "csrf_token": token, "name": "manager", "password": PASSWORD,
        "next": "/console/stats?since=2023-06-01"})
    assert signed.headers["Location"] == "/console/stats?since=2023-06-01"


def test_sign_in_never_redirects_to_another_site(app, users) -> None:
    for target in ("//evil.example/console/", "https://evil.example/", "/console/\\evil"):
        client = app.test_client()
        token = csrf_token(client)
        response = client.post("/console/login", data={
            "csrf_token": token, "name": "operator", "password": PASSWORD, "next": target})
        assert response.headers["Location"] == "/console/"
