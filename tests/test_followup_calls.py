"""Returning callers: a report followed up by its reference, by phone (both databases)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Call, CallEvent, Report
from tests.test_calls import INTEGRITY, MANDARIN, CITY_LEADERSHIP, heard_references, logged

ENGLISH = "3"


def test_smoke(place_call, engine, campaigns) -> None:
    first = place_call(ENGLISH, INTEGRITY, CITY_LEADERSHIP, "r30", "2")
    reference = heard_references(first.heard)[0]
    again = place_call(ENGLISH, "#", reference + "#", "1", "r20", "2")
    print("\n".join(again.heard))
    record = logged(engine, campaigns, again.call_sid)
    print(record)
