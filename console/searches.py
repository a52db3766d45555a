"""The call list's filters, read from the URL, and the search text kept out of it.

A caller's number is never in a URL nor in the session cookie: the search text is kept
in the database (db/saved_searches.py) under a random id, and the URL carries only the
id `s`. Searching by calling number is for managers (audited when the search is made);
an operator's search finds references only. The statistics page reads the same filters.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from flask import g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from console import present
from console.auth import address, context, db, writer
from console.filters import ListRequest, area_codes, default_region, normalise_search, parse
from console.pages import now
from db import audit, calllist, followup, saved_searches
from db.models import Report
from db.outcomes import CallOutcome

NUMBERS = "caller_numbers"  # the permission to search by, and see, calling numbers


def list_request() -> ListRequest:
    """The list's filters from the URL; the search text from the database, by the
    search id `s` in the URL; limited to the campaigns the user may see."""
    args = request.args.to_dict()
    args.pop("q", None)
    search_id = args.pop("s", "")
    text = (saved_searches.text_of(db(), search_id, current_user.id, at=now())
            if search_id else None)
    if text:
        args["q"] = text
    wanted = parse(args, context().campaigns, now=now(), my_id=current_user.id,
                   visible_campaigns=current_user.campaigns)
    if search_id and not text:
        wanted.errors.append("err_search_gone")
    elif text:
        wanted.values["s"] = search_id
    if wanted.filter.from_numbers and not current_user.can(NUMBERS):
        wanted.filter = replace(wanted.filter, from_numbers=())
        if wanted.filter.reference is None:
            # Not even echoed in the search box: no page of theirs holds a number.
            wanted.errors.append("err_search_numbers")
            wanted.values["q"] = ""
            wanted.filter = replace(wanted.filter, call_ids=())
    wanted.filter = calllist.resolve_search(db(), wanted.filter)
    return wanted


def remember_search(text: str) -> str:
    """Keep the search text in the database under a new id; a manager's search by
    calling number is audited (the number masked) as it is made."""
    moment = now()
    text = text[:saved_searches.MAX_TEXT]
    with writer() as session, session.begin():
        search_id = saved_searches.keep(session, current_user.id, text, at=moment)
        numbers = _numbers_searched(session, text)
        if numbers and current_user.can(NUMBERS):
            audit.number_searched(session, at=moment, actor=current_user.name,
                                  numbers=numbers, address=address())
    return search_id


def _numbers_searched(session: Session, text: str) -> tuple[str, ...]:
    """The calling numbers a search will look for: none when it names a report."""
    campaigns = context().campaigns
    found = normalise_search(text, default_region(campaigns), area_codes(campaigns))
    if found is None or not found.numbers:
        return ()
    if found.reference is not None and session.scalar(
            select(Report.id).where(Report.reference == found.reference)) is not None:
        return ()
    return found.numbers


def without_search_text(endpoint: str) -> Any:
    """A URL with ?q= (typed by hand, or an old bookmark): the same list, by search id."""
    if not request.args.get("q"):
        return None
    args = request.args.to_dict()
    args["s"] = remember_search(args.pop("q").strip())
    return redirect(url_for(endpoint) + "?" + urlencode(args), code=303)


def filter_choices() -> dict[str, Any]:
    """What the filter form offers: the user's campaigns, categories, subjects, outcomes,
    states."""
    scope = current_user.campaigns
    campaigns = [c for c in context().campaigns if scope is None or c.id in scope]
    categories: dict[str, str] = {}
    subjects: dict[str, str] = {}
    for campaign in campaigns:
        for category in campaign.categories:
            categories.setdefault(category.id, present.label(campaign, "category", category.id,
                                                             g.lang))
        for subject in campaign.subjects:
            subjects.setdefault(subject.id, present.label(campaign, "subject", subject.id,
                                                          g.lang))
    return {"campaign_list": campaigns, "categories": categories, "subjects": subjects,
            "outcomes": [o.value for o in CallOutcome],
            "follow_ups": [s.value for s in followup.FOLLOW_UPS]}
