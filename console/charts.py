"""The charts of the statistics page and of the manager's home, as SVG images.

Each chart is drawn by reports/chart.py from the figures engine's numbers (db/figures.py
through reports/trends.py, and the statistics page's own counts) and inlined as a
data: URI, which the Content-Security-Policy allows for images (an inline <svg> would
need inline styles). Beneath each, the same numbers as a table: the accessible reading.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from console.auth import context, db, visible_campaign_ids
from console.pages import display_zone, now, translated
from db.calllist import ReportFigures
from reports import trends
from reports.chart import AMBER, BLUE, GREY, RED, Series, bars_svg, horizontal_svg, lines_svg

HOME_DAYS = 14  # the manager's home: the last two weeks


@dataclass(frozen=True)
class ChartView:
    """One chart as the page shows it: the image, and its numbers as a table."""

    id: str
    title: str
    src: str  # data:image/svg+xml;base64,…
    headers: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    folded: bool = False  # a long table (one row a day) starts folded under the chart
    notes: list[str] = field(default_factory=list)


def _src(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def campaign_ids_of(campaign_id: str | None) -> list[str | None]:
    """The campaigns a chart counts: the one chosen, else every campaign loaded; only
    those the signed-in user may see (db/scope.py)."""
    visible: list[str | None] = list(visible_campaign_ids())
    if campaign_id:
        return [campaign_id] if campaign_id in visible else []
    return visible


def zone_of(campaign_id: str | None) -> ZoneInfo:
    """The zone of the days and hours charted: the campaign's, else the first one's."""
    campaign = context().campaigns.by_id.get(campaign_id or "")
    return campaign.timezone if campaign is not None else display_zone()


def _by_day(chart_id: str, title: str, draw: Callable[..., bytes], days: Sequence[date],
            runs: Sequence[Series], notes: list[str]) -> ChartView:
    """A chart with a value a day per run, and its table: one row a day."""
    return ChartView(
        chart_id, title, _src(draw(title, [day.strftime("%m-%d") for day in days], runs)),
        (translated("day"), *(run.label for run in runs)),
        [(day.isoformat(), *values) for day, *values in
         zip(days, *(run.values for run in runs), strict=True)],
        folded=True, notes=notes)


def trend_charts(series: trends.Trends) -> list[ChartView]:
    """Calls by day with the turned-away band, the hour profile, follow-ups by day."""
    notes = [translated("chart_zone", zone=series.zone.key)]
    if series.clipped:
        notes.append(translated("chart_clipped", days=trends.CHART_DAYS))
    by_day = _by_day("calls-by-day", translated("chart_calls_by_day"), bars_svg, series.days,
                     [Series(translated("chart_answered"), series.answered, BLUE),
                      Series(translated("chart_turned_away"), series.turned_away, GREY)],
                     notes)
    hours = [f"{hour:02d}" for hour in range(24)]
    by_hour = ChartView(
        "calls-by-hour", translated("hourly"),
        _src(bars_svg(translated("hourly"), hours, [Series("", series.by_hour, BLUE)])),
        (translated("chart_hour"), translated("chart_calls")),
        [(f"{hour}:00", count) for hour, count in zip(hours, series.by_hour, strict=True)],
        folded=True, notes=notes[:1])
    follow_ups = _by_day("follow-ups", translated("chart_follow_ups"), lines_svg, series.days,
                         [Series(translated("chart_open"), series.open_follow_ups, BLUE),
                          Series(translated("overdue"), series.overdue_follow_ups, RED)],
                         [translated("chart_day_end")])
    return [by_day, by_hour, follow_ups]


def _counted(chart_id: str, title: str, items: Sequence[tuple[str, str, int]],
             color: str) -> ChartView:
    return ChartView(chart_id, title, _src(horizontal_svg(title, items, color)),
                     (title, translated("chart_count")),
                     [(label, value) for label, _key, value in items])


def count_charts(outcomes: Mapping[str, int], figures: ReportFigures,
                 categories: Mapping[str, str], subjects: Mapping[str, str]) -> list[ChartView]:
    """Calls by outcome, reports by category and by subject: the page's own counts."""
    none = translated("no_category")
    by_category = [(label, key, figures.by_category.get(key, 0))
                   for key, label in categories.items()]
    if figures.by_category.get(None):
        by_category.append((none, "none", figures.by_category[None]))
    charts = [
        _counted("outcomes", translated("calls_by_outcome"),
                 [(translated(f"out_{key}"), key, count) for key, count in outcomes.items()
                  if count], AMBER),
        _counted("categories", translated("reports_by_category"), by_category, RED)]
    if subjects:
        charts.append(_counted("subjects", translated("reports_by_subject"),
                               [(label, key, figures.by_subject.get(key, 0))
                                for key, label in subjects.items()], RED))
    return charts


def statistics_trends(campaign_id: str | None, since: date | None, until: date | None
                      ) -> list[ChartView]:
    """The statistics page's charts over days and hours, for its campaign and dates."""
    series = trends.trends(db(), campaign_ids_of(campaign_id), zone_of(campaign_id),
                           since, until, now())
    return trend_charts(series)


def home_charts_context(campaign_ids: Sequence[str | None] | None = None) -> dict[str, Any]:
    """The context of console/charts/_home.html: the last HOME_DAYS days' calls and
    follow-ups of `campaign_ids` (None: every campaign loaded; a user limited to some
    campaigns passes theirs)."""
    ids = list(campaign_ids) if campaign_ids is not None else campaign_ids_of(None)
    zone = zone_of(ids[0] if len(ids) == 1 else None)
    today = now().astimezone(zone).date()
    since = date.fromordinal(today.toordinal() - HOME_DAYS + 1)
    series = trends.trends(db(), ids, zone, since, today, now())
    by_day, _by_hour, follow_ups = trend_charts(series)
    return {"home_charts": [by_day, follow_ups], "home_charts_days": HOME_DAYS}
