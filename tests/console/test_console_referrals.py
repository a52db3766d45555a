"""A message left after a referral: the operator passes it on and the day's report counts it."""

from __future__ import annotations

from datetime import date, timedelta

from console_helpers import post
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Report
from reports.figures import campaign_figures


def test_an_operator_passes_a_referred_message_on(signed_in, place_call, engine, campaigns,
                                                   clock) -> None:
    referred = place_call("1", "9", "r25", "2")          # key 9, then a message
    place_call("1", "3", "1", "r30", "2")                 # an ordinary report
    with Session(engine) as session:
        out, within = (session.scalars(select(Report).order_by(Report.id)).all())
        reference = out.reference
        assert (out.in_scope, within.in_scope) == (False, True)
    client = signed_in("operator")
    page = client.get(f"/console/calls/{referred.call_sid}?lang=en").get_data(as_text=True)
    assert "out of scope (to pass on)" in page
    # Straight from new to referred, with a note of where it went; a reason is required.
    refused = post(client, f"/console/reports/{reference}/status",
                   {"to": "referred", "expected": "new", "reason": ""})
    assert refused.status_code in (302, 400)
    done = post(client, f"/console/reports/{reference}/status",
                {"to": "referred", "expected": "new",
                 "reason": "Passed to the Guangzhou Letters and Calls Bureau"})
    assert done.status_code == 302
    page = client.get(f"/console/calls/{referred.call_sid}?lang=en").get_data(as_text=True)
    assert 'data-status="referred"' in page
    assert "Passed to the Guangzhou Letters and Calls Bureau" in page
    # An in-scope report still goes through acknowledgement first.
    with Session(engine) as session:
        ordinary = session.scalars(select(Report).where(Report.in_scope)).one()
        ordinary_reference = ordinary.reference
    post(client, f"/console/reports/{ordinary_reference}/status",
         {"to": "referred", "expected": "new", "reason": "elsewhere"})
    with Session(engine) as session:
        assert session.scalars(select(Report.follow_up).where(
            Report.reference == ordinary_reference)).one() == "new"
        figures = campaign_figures(session, campaigns.by_id["gz-2023"], date(2023, 6, 1),
                                   clock() + timedelta(hours=12))
    assert figures.today.reports == 2
    assert figures.today.referred_reports == 1
    assert figures.today.outcomes["referred"] == 1 and figures.today.outcomes["reported"] == 1
    assert figures.to_json()["referred_reports"] == 1
