"""The managers' statistics: the call list's filters, counted and charted."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template

from console import bp
from console.auth import db, requires
from console.charts import count_charts, statistics_trends
from console.pages import now
from console.searches import filter_choices, list_request, without_search_text
from db import calllist


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:  # the filter form has said so already
        return None


@bp.get("/stats")
@requires("stats")
def stats() -> Any:
    if (moved := without_search_text("console.stats")) is not None:
        return moved
    wanted = list_request()
    figures = calllist.report_figures(db(), wanted.filter, now())
    counts = calllist.outcome_counts(db(), wanted.filter)
    choices = filter_choices()
    values = wanted.values
    since, until = _date(values.get("since")), _date(values.get("until"))
    if since and until and until < since:
        until = None  # as the filter does
    return render_template(
        "console/stats.html", wanted=wanted, counts=counts, total=sum(counts.values()),
        figures=figures, **choices,
        trend_charts=statistics_trends(values.get("campaign") or None, since, until),
        count_charts=count_charts(counts, figures, choices["categories"],
                                  choices["subjects"]))
