"""Junk in the console's URLs and forms is a 400, a 404 or an ignored filter with a
message: never a 500. Known awkward values first (dates at the ends of the calendar,
cursors past a BIGINT, NUL bytes), then Hypothesis over every
query parameter of the console's reading pages."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from console_helpers import csrf_token
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

PAGES = ("/console/calls", "/console/stats", "/console/calls.csv", "/console/find")
PARAMS = ("campaign", "since", "until", "outcome", "category", "subject", "follow_up", "q",
          "mine", "older", "newer", "lang", "reference", "check")
AUDIT_PARAMS = ("actor", "action", "since", "until", "older", "lang")
NASTY = ("9999-12-31", "0001-01-01", "0000-00-00", "2023-02-30", "0.9999999999999999999",
         "-99999999999999999999.1", "99999999999999999999.9999999999999999999",
         "253402300800000000.1", "\x00", "a\x00b", "%00", "-1", "1e400", "nan",
         "+8613800138000", "１３８００１３８０００", "８７７５６９２０", "87756920",
         "48291733", "+", "++", "0" * 70, "gz-2023", "overdue", "in_review", "\u202e",
         "𝟙𝟚𝟛", "' OR 1=1 --", "２０２３-０６-０１")
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
VALUE = st.one_of(st.sampled_from(NASTY), TEXT)


def _ok(response) -> None:  # type: ignore[no-untyped-def]
    response.get_data()  # a streamed body fails while it is read
    assert response.status_code < 500, response.status_code


@pytest.mark.parametrize("query", [
    "until=9999-12-31", "since=0001-01-01", "since=0001-01-01&until=9999-12-31",
    "older=0.9999999999999999999", "newer=1.18446744073709551615",
    "category=%00", "subject=a%00b", "q=%00", "campaign=%00"])
def test_dates_cursors_and_nul_bytes_at_the_limits_are_not_500s(
        signed_in, reported_call, query) -> None:
    client = signed_in("manager")
    for page in ("/console/calls", "/console/stats", "/console/calls.csv"):
        _ok(client.get(f"{page}?{query}"))


def test_dates_out_of_range_are_ignored_with_a_message(signed_in, reported_call) -> None:
    page = signed_in("operator").get("/console/calls?until=9999-12-31&lang=en")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count('class="ref"') == 1 and "years 1900 to 9000; ignored" in text


def test_nul_bytes_in_paths_forms_and_the_audit_filter(app, signed_in, reported_call) -> None:
    client = signed_in("operator")
    for path in ("/console/calls/CA%00", "/console/reports/1%002/audio",
                 "/console/find?reference=%00"):
        _ok(client.get(path))
    admin = signed_in("admin")
    for query in ("actor=%00", "action=a%00", "since=9999-12-31&until=9999-12-31",
                  "since=0001-01-01", "older=0.99999999999999999999"):
        _ok(admin.get(f"/console/admin/audit?{query}"))
    anonymous = app.test_client()
    token = csrf_token(anonymous)
    _ok(anonymous.post("/console/login", data={"csrf_token": token, "name": "op\x00",
                                                "password": "x\x00y"}))


@hypothesis_settings(max_examples=60, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture,
                                            HealthCheck.too_slow])
@given(page=st.sampled_from(PAGES),
       params=st.dictionaries(st.sampled_from(PARAMS), VALUE, max_size=5))
def test_no_query_string_is_a_server_error(signed_in, reported_call, page, params) -> None:
    # A ?q= moves to a search id (303): follow it, so the search itself is tried too.
    _ok(signed_in("manager").get(page, query_string=params, follow_redirects=True))


@hypothesis_settings(max_examples=40, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture,
                                            HealthCheck.too_slow])
@given(params=st.dictionaries(st.sampled_from(AUDIT_PARAMS), VALUE, max_size=4),
       segment=VALUE)
def test_no_audit_filter_or_path_is_a_server_error(signed_in, reported_call, params,
                                                   segment) -> None:
    _ok(signed_in("admin").get("/console/admin/audit", query_string=params))
    operator = signed_in("operator")
    _ok(operator.get("/console/calls/" + quote(segment, safe="")))
    _ok(operator.get("/console/reports/" + quote(segment, safe="") + "/audio"))
