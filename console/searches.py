"""The call list's filters, read from the URL, and the search text kept out of it.

A caller's number is never in a URL: the search text is kept in the signed-in session
under a short id, and the URL carries only the id `s`. The statistics page reads the
same filters as the call list."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from flask import g, redirect, request, session, url_for
from flask_login import current_user

from console import present
from console.auth import SESSION_HOURS, context, db
from console.filters import ListRequest, parse
from console.pages import now
from db import calllist, followup
from db.outcomes import CallOutcome

SEARCHES = "searches"
MAX_SEARCHES = 20


def list_request() -> ListRequest:
    """The list's filters from the URL; the search text from the signed-in session, by
    the search id `s` in the URL."""
    args = request.args.to_dict()
    args.pop("q", None)
    search_id = args.pop("s", "")
    text = _searches().get(search_id, {}).get("q") if search_id else None
    if text:
        args["q"] = text
    wanted = parse(args, context().campaigns, now=now(), my_id=current_user.id)
    if search_id and not text:
        wanted.errors.append("err_search_gone")
    elif text:
        wanted.values["s"] = search_id
    wanted.filter = calllist.resolve_search(db(), wanted.filter)
    return wanted


def _searches() -> dict[str, dict[str, Any]]:
    """This session's recent searches, id → {"q", "at"}; older than a session: gone."""
    found = session.get(SEARCHES)
    if not isinstance(found, dict):
        return {}
    oldest = now().timestamp() - SESSION_HOURS * 3600
    return {key: value for key, value in found.items()
            if isinstance(value, dict) and isinstance(value.get("at"), (int, float))
            and value["at"] >= oldest and isinstance(value.get("q"), str)}


def remember_search(text: str) -> str:
    """Keep the search text server-side of the URL (in the signed session) under an id."""
    searches = _searches()
    search_id = secrets.token_urlsafe(9)
    searches[search_id] = {"q": text[:64], "at": now().timestamp()}
    newest = sorted(searches.items(), key=lambda item: item[1]["at"])[-MAX_SEARCHES:]
    session[SEARCHES] = dict(newest)
    return search_id


def without_search_text(endpoint: str) -> Any:
    """A URL with ?q= (typed by hand, or an old bookmark): the same list, by search id."""
    if not request.args.get("q"):
        return None
    args = request.args.to_dict()
    args["s"] = remember_search(args.pop("q").strip())
    return redirect(url_for(endpoint) + "?" + urlencode(args), code=303)


def filter_choices() -> dict[str, Any]:
    """What the filter form offers: campaigns, categories, subjects, outcomes, states."""
    campaigns = list(context().campaigns)
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
