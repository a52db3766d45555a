"""The managers' statistics: the call list's filters, counted."""

from __future__ import annotations

from typing import Any

from flask import render_template

from console import bp
from console.auth import db, requires
from console.pages import now
from console.searches import filter_choices, list_request, without_search_text
from db import calllist


@bp.get("/stats")
@requires("stats")
def stats() -> Any:
    if (moved := without_search_text("console.stats")) is not None:
        return moved
    wanted = list_request()
    figures = calllist.report_figures(db(), wanted.filter, now())
    counts = calllist.outcome_counts(db(), wanted.filter)
    return render_template("console/stats.html", wanted=wanted, counts=counts,
                           total=sum(counts.values()), figures=figures, **filter_choices())
