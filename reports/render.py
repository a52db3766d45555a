"""The daily report as JSON, plain text, HTML and CSV: one set of figures, four shapes.

Only aggregates appear here: no caller numbers, references or recordings.
The HTML is a fragment-friendly page; the e-mail embeds the chart by Content-ID,
the console by a data: URI, both through `chart_src`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from reports.figures import HOURS, DailyFigures, Figures

OUTCOME_LABELS = {
    "reported": "made a report",
    "referred": "referred elsewhere",
    "transferred": "put through to the duty officer",
    "followed_up": "followed a report up",
    "abandoned": "hung up before reporting",
    "in_progress": "still on the line",
    "closed_hours": "turned away: outside the hours",
    "not_open_yet": "turned away: line not open yet",
    "after_cutoff": "turned away: after the closing date",
    "unknown_number": "dialled an unknown number",
}
FOLLOW_UP_LABELS = {
    "new": "new (not yet acknowledged)",
    "acknowledged": "acknowledged",
    "in_review": "in review",
    "referred": "referred",
    "closed": "closed",
}


def render_json(figures: DailyFigures) -> str:
    return json.dumps(figures.to_json(), ensure_ascii=False, indent=2) + "\n"


def subject_line(figures: DailyFigures) -> str:
    today = figures.today
    return (f"Daily report {figures.day.isoformat()}: {figures.campaign_name} — "
            f"{today.calls} calls, {today.reports} reports{_coverage(figures)}")


def report_rows(figures: DailyFigures) -> Iterator[tuple[str, str, str, Any, Any]]:
    """(figure, key, label, day, so far) for every line of the report, in reading order."""
    day, total = figures.today, figures.so_far
    yield "calls", "", "calls", day.calls, total.calls
    yield "answered", "", "answered", day.answered, total.answered
    yield "turned_away", "", "turned away", day.turned_away, total.turned_away
    for outcome in day.outcomes:
        yield ("outcome", outcome, OUTCOME_LABELS.get(outcome, outcome),
               day.outcomes[outcome], total.outcomes.get(outcome, 0))
    yield ("gave_up_before_category", "", "gave up before choosing a category",
           day.gave_up_before_category, total.gave_up_before_category)
    yield "reports", "", "reports", day.reports, total.reports
    yield ("referred_reports", "", "of which out of scope, to pass on", day.referred_reports,
           total.referred_reports)
    for category in _keys(day.categories, total.categories):
        yield ("category", category, figures.category_labels.get(category, category),
               day.categories.get(category, 0), total.categories.get(category, 0))
    for subject in _keys(day.subjects, total.subjects):
        yield ("subject", subject, figures.subject_labels.get(subject, subject),
               day.subjects.get(subject, 0), total.subjects.get(subject, 0))
    yield ("recordings", "count", "recordings", day.recordings.count, total.recordings.count)
    yield ("recordings", "seconds_total", "recorded seconds, total",
           day.recordings.seconds_total, total.recordings.seconds_total)
    yield ("recordings", "seconds_median", "recorded seconds, median",
           _number(day.recordings.seconds_median), _number(total.recordings.seconds_median))
    for state in _keys(day.follow_up.by_state, total.follow_up.by_state):
        yield ("follow_up", state, "follow-up: " + FOLLOW_UP_LABELS.get(state, state),
               day.follow_up.by_state.get(state, 0), total.follow_up.by_state.get(state, 0))
    yield ("overdue", "any", "overdue (either clock, counted once)",
           day.follow_up.overdue, total.follow_up.overdue)
    yield ("overdue", "acknowledgement", "acknowledgement overdue",
           day.follow_up.overdue_acknowledgement, total.follow_up.overdue_acknowledgement)
    yield ("overdue", "feedback", "feedback overdue",
           day.follow_up.overdue_feedback, total.follow_up.overdue_feedback)


def _keys(first: Any, second: Any) -> list[str]:
    return list(dict.fromkeys([*first, *second]))


def _number(value: float | None) -> Any:
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else round(value, 1)


def render_csv(figures: DailyFigures) -> str:
    """One row per figure: `figure,key,day,so_far`; the hourly rows have no so-far value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["campaign", figures.campaign_id, "date", figures.day.isoformat(),
                     "timezone", figures.timezone])
    writer.writerow(["figure", "key", "day", "so_far"])
    for figure, key, _label, day, so_far in report_rows(figures):
        writer.writerow([figure, key, day, so_far])
    for hour in HOURS:
        writer.writerow(["hourly", hour, figures.hourly.get(hour, 0), ""])
    return out.getvalue()


def render_text(figures: DailyFigures) -> str:
    lines = [
        f"{figures.campaign_name} ({figures.campaign_id})",
        f"Daily report for {figures.day.isoformat()}{_coverage(figures)} "
        f"({figures.timezone}), follow-ups as of {_local_time(figures)}",
        "",
        f"{'':44} {'day':>8} {'so far':>8}",
    ]
    for figure, _key, label, day, so_far in report_rows(figures):
        indent = "  " if figure in ("outcome", "category", "subject", "follow_up") else ""
        lines.append(f"{indent + label:44.44} {day!s:>8} {so_far!s:>8}")
    lines += ["", "Calls by hour (local time)"]
    busy = [hour for hour in HOURS if figures.hourly.get(hour)]
    if not busy:
        lines.append("  no calls")
    for hour in busy:
        count = figures.hourly[hour]
        lines.append(f"  {hour}:00  {count:>6}  {'#' * min(count, 50)}")
    return "\n".join(lines) + "\n"


def _coverage(figures: DailyFigures) -> str:
    """'' for a whole day; ', until 17:45 local time' for a report made before midnight."""
    if figures.complete:
        return ""
    until = figures.until.astimezone(ZoneInfo(figures.timezone)).strftime("%H:%M")
    return f", until {until}"


def _local_time(figures: DailyFigures) -> str:
    return figures.generated_at.astimezone(ZoneInfo(figures.timezone)).strftime(
        "%Y-%m-%d %H:%M")


_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_HTML = _ENV.from_string("""\
<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ title }}</title></head>
<body style="font-family: Arial, Helvetica, sans-serif; color: #222; max-width: 760px">
{{ body }}
</body></html>
""")
BODY = _ENV.from_string("""\
<h2 style="margin-bottom: 0">{{ f.campaign_name }}</h2>
<p style="margin-top: 4px; color: #555">Daily report for <strong>{{ f.day.isoformat() }}</strong>
{{- coverage }} ({{ f.timezone }}); follow-ups as of {{ as_of }}.</p>
<table style="border-collapse: collapse; margin: 12px 0">
 <tr>{% for label, value in key_figures %}
  <td style="padding: 6px 14px; text-align: center; border: 1px solid #ddd">
   <div style="font-size: 22px; font-weight: bold">{{ value }}</div>
   <div style="font-size: 12px; color: #555">{{ label }}</div></td>{% endfor %}
 </tr>
</table>
{% if chart_src %}<p><img src="{{ chart_src }}" alt="Calls by hour and reports by category"
 style="max-width: 100%"></p>{% endif %}
<table style="border-collapse: collapse; font-size: 14px">
 <thead><tr><th style="text-align: left; padding: 3px 8px"></th>
  <th style="text-align: right; padding: 3px 8px">day</th>
  <th style="text-align: right; padding: 3px 8px">campaign so far</th></tr></thead>
 <tbody>{% for figure, key, label, day, so_far in rows %}
  <tr class="{{ figure }}">
   <td style="padding: 3px 8px{% if figure in indented %}; padding-left: 24px{% endif %}">
    {{- label }}</td>
   <td style="text-align: right; padding: 3px 8px">{{ day }}</td>
   <td style="text-align: right; padding: 3px 8px">{{ so_far }}</td></tr>{% endfor %}
 </tbody>
</table>
<h3>Calls by hour (local time)</h3>
<table style="border-collapse: collapse; font-size: 13px">
 <tr>{% for hour in hours %}<th style="padding: 2px 4px">{{ hour }}</th>{% endfor %}</tr>
 <tr>{% for hour in hours %}<td style="padding: 2px 4px; text-align: center">
  {{- hourly.get(hour, 0) }}</td>{% endfor %}</tr>
</table>
""")


def render_html_body(figures: DailyFigures, chart_src: str | None = None) -> str:
    """The report without <html>/<body>, for embedding in a console page."""
    day = figures.today
    key_figures = [
        ("calls", day.calls), ("answered", day.answered), ("turned away", day.turned_away),
        ("reports", day.reports), ("recordings", day.recordings.count),
        ("overdue", day.follow_up.overdue),
    ]
    return BODY.render(
        f=figures, as_of=_local_time(figures), coverage=_coverage(figures),
        key_figures=key_figures,
        rows=list(report_rows(figures)), chart_src=chart_src, hours=HOURS, hourly=figures.hourly,
        indented={"outcome", "category", "subject", "follow_up"},
    )


def render_html(figures: DailyFigures, chart_src: str | None = None) -> str:
    # The body was rendered by an autoescaping template: mark it safe, not escape it twice.
    body = Markup(render_html_body(figures, chart_src))  # noqa: S704
    return _HTML.render(title=subject_line(figures), body=body)


def figures_for_csv_name(figures: DailyFigures) -> str:
    return f"daily-report-{figures.campaign_id}-{figures.day.isoformat()}.csv"


__all__ = ["Figures", "figures_for_csv_name", "render_csv", "render_html", "render_html_body",
           "render_json", "render_text", "report_rows", "subject_line"]
