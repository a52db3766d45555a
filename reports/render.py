"""The daily report as JSON, plain text, HTML and CSV: one set of figures, four shapes.

The words come from the console's gettext catalogues (reports/words.py), in the
campaign's report_language: the console and the e-mail say the same things the same
way. Beyond aggregates, only the headline's list of the day's new reports appears: their
reference and category, never a caller's number or voice. The HTML embeds the chart by
`chart_src`: a Content-ID in the e-mail, a data: URI in the console and `hotline report`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from reports.figures import HOURS, DailyFigures, Figures
from reports.words import Words, words

Row = tuple[str, str, str, Any, Any]  # (figure, key, label, day, so far)


@dataclass(frozen=True)
class Section:
    heading: str
    rows: list[Row]


def render_json(figures: DailyFigures) -> str:
    return json.dumps(figures.to_json(), ensure_ascii=False, indent=2) + "\n"


def _say(figures: DailyFigures, language: str | None) -> Words:
    return words(language or figures.language)


def subject_line(figures: DailyFigures, language: str | None = None) -> str:
    say = _say(figures, language)
    return say("rep_subject", day=figures.day.isoformat(), campaign=figures.campaign_name,
               calls=figures.today.calls, reports=figures.today.reports) + _coverage(
        figures, say)


def report_sections(figures: DailyFigures, language: str | None = None) -> list[Section]:
    """The report's tables in reading order, each under its heading."""
    say = _say(figures, language)
    day, total = figures.today, figures.so_far

    def row(figure: str, key: str, day_value: Any, so_far: Any) -> Row:
        return figure, key, say(f"f_{figure}_{key}" if key else f"f_{figure}"), day_value, so_far

    sections = [
        Section(say("rep_sec_calls"), [
            row("calls", "", day.calls, total.calls),
            row("answered", "", day.answered, total.answered),
            row("turned_away", "", day.turned_away, total.turned_away),
            row("gave_up_before_category", "", day.gave_up_before_category,
                total.gave_up_before_category)]),
        Section(say("rep_sec_outcomes"), [
            ("outcome", outcome, say(f"out_{outcome}"), day.outcomes[outcome],
             total.outcomes.get(outcome, 0)) for outcome in day.outcomes]),
        Section(say("rep_sec_reports"), [
            row("reports", "", day.reports, total.reports),
            row("referred_reports", "", day.referred_reports, total.referred_reports)]),
        Section(say("reports_by_category"), [
            ("category", key, figures.category_labels.get(key, key), day.categories.get(key, 0),
             total.categories.get(key, 0)) for key in _keys(day.categories, total.categories)]),
        Section(say("reports_by_subject"), [
            ("subject", key, figures.subject_labels.get(key, key), day.subjects.get(key, 0),
             total.subjects.get(key, 0)) for key in _keys(day.subjects, total.subjects)]),
        Section(say("rep_sec_recordings"), [
            row("recordings", "count", day.recordings.count, total.recordings.count),
            row("recordings", "seconds_total", day.recordings.seconds_total,
                total.recordings.seconds_total),
            row("recordings", "seconds_median", _number(day.recordings.seconds_median),
                _number(total.recordings.seconds_median))]),
        Section(say("rep_sec_follow_up"), [
            *[("follow_up", state, say(f"fu_{state}"), day.follow_up.by_state.get(state, 0),
               total.follow_up.by_state.get(state, 0))
              for state in _keys(day.follow_up.by_state, total.follow_up.by_state)],
            row("overdue", "any", day.follow_up.overdue, total.follow_up.overdue),
            row("overdue", "acknowledgement", day.follow_up.overdue_acknowledgement,
                total.follow_up.overdue_acknowledgement),
            row("overdue", "feedback", day.follow_up.overdue_feedback,
                total.follow_up.overdue_feedback)]),
    ]
    return [section for section in sections if section.rows]


def report_rows(figures: DailyFigures, language: str | None = None) -> Iterator[Row]:
    """(figure, key, label, day, so far) for every line of the report, in reading order."""
    for section in report_sections(figures, language):
        yield from section.rows


def _keys(first: Any, second: Any) -> list[str]:
    return list(dict.fromkeys([*first, *second]))


def _number(value: float | None) -> Any:
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else round(value, 1)


def headline(figures: DailyFigures, say: Words) -> str:
    """The day against the 7 days before it, in one sentence."""
    average = figures.week_average
    return say("rep_headline", calls=figures.today.calls, reports=figures.today.reports,
               calls_avg=_number(average.get("calls", 0.0)),
               reports_avg=_number(average.get("reports", 0.0)))


def overdue_lines(figures: DailyFigures, say: Words) -> list[tuple[str, int]]:
    """(assignee, overdue reports), the most overdue first; nobody's as "unassigned"."""
    return [(name or say("rep_unassigned"), count) for name, count in sorted(
        figures.overdue_by_assignee.items(), key=lambda item: (-item[1], item[0]))]


def _new_more(figures: DailyFigures) -> int:
    return max(0, figures.today.reports - len(figures.new_reports))


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


def render_text(figures: DailyFigures, console_url: str | None = None) -> str:
    say = _say(figures, None)
    lines = [f"{figures.campaign_name} ({figures.campaign_id})", _dateline(figures, say), "",
             headline(figures, say), "", say("rep_new_reports")]
    for reference, category in figures.new_reports:
        link = f"  {_link(console_url, reference)}" if console_url else ""
        label = figures.category_labels.get(category or "", category or "—")
        lines.append(f"  {reference}  {label}{link}")
    if not figures.new_reports:
        lines.append("  " + say("rep_no_new"))
    if _new_more(figures):
        lines.append("  " + say("rep_new_more", count=_new_more(figures)))
    lines += ["", say("rep_overdue_by_assignee")]
    lines += [f"  {name:30} {count:>6}" for name, count in overdue_lines(figures, say)] or [
        "  " + say("rep_none_overdue")]
    day_label, so_far_label = say("rep_day"), say("so_far")
    columns = f"{'':44} {day_label:>8} {so_far_label:>8}"
    for section in report_sections(figures):
        lines += ["", section.heading, columns]
        lines += [f"  {label:42.42} {day!s:>8} {so_far!s:>8}"
                  for _figure, _key, label, day, so_far in section.rows]
    lines += ["", say("hourly")]
    busy = [hour for hour in HOURS if figures.hourly.get(hour)]
    if not busy:
        lines.append("  " + say("rep_no_calls"))
    for hour in busy:
        count = figures.hourly[hour]
        lines.append(f"  {hour}:00  {count:>6}  {'#' * min(count, 50)}")
    return "\n".join(lines) + "\n"


def _link(console_url: str | None, reference: str) -> str:
    return f"{(console_url or '').rstrip('/')}/console/find?reference={quote(reference)}"


def _dateline(figures: DailyFigures, say: Words) -> str:
    return say("rep_for", day=figures.day.isoformat(), coverage=_coverage(figures, say),
               zone=figures.timezone, moment=_local_time(figures))


def _coverage(figures: DailyFigures, say: Words) -> str:
    """'' for a whole day; ', until 17:45' for a report made before midnight."""
    if figures.complete:
        return ""
    until = figures.until.astimezone(ZoneInfo(figures.timezone)).strftime("%H:%M")
    return say("rep_until", time=until)


def _local_time(figures: DailyFigures) -> str:
    return figures.generated_at.astimezone(ZoneInfo(figures.timezone)).strftime(
        "%Y-%m-%d %H:%M")


_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_HTML = _ENV.from_string("""\
<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title></head>
<body style="font-family: Arial, Helvetica, 'Noto Sans CJK SC', sans-serif; color: #222;
 max-width: 760px">
{{ body }}
</body></html>
""")
_CELL = "padding: 3px 8px"
BODY = _ENV.from_string("""\
<h2 style="margin-bottom: 0">{{ f.campaign_name }}</h2>
<p style="margin-top: 4px; color: #555">{{ dateline }}</p>
<p class="headline" style="font-size: 17px; margin: 12px 0"><strong>{{ headline }}</strong></p>
<table style="border-collapse: collapse; margin: 12px 0">
 <tr>{% for label, value in key_figures %}
  <td style="padding: 6px 14px; text-align: center; border: 1px solid #ddd">
   <div style="font-size: 22px; font-weight: bold">{{ value }}</div>
   <div style="font-size: 12px; color: #555">{{ label }}</div></td>{% endfor %}
 </tr>
</table>
<h3>{{ say('rep_new_reports') }}</h3>
{% if f.new_reports %}<table class="new-reports" style="border-collapse: collapse; font-size: 14px">
 <thead><tr><th style="text-align: left; {{ cell }}">{{ say('rep_reference') }}</th>
  <th style="text-align: left; {{ cell }}">{{ say('category') }}</th></tr></thead>
 <tbody>{% for reference, category in f.new_reports %}
  <tr><td style="{{ cell }}">{% if console_url -%}
   <a href="{{ link(console_url, reference) }}">{{ reference }}</a>
   {%- else %}{{ reference }}{% endif %}</td>
   <td style="{{ cell }}">{{ f.category_labels.get(category or '', category or '—') }}</td></tr>
 {%- endfor %}
 </tbody></table>{% else %}<p>{{ say('rep_no_new') }}</p>{% endif %}
{% if more %}<p>{{ say('rep_new_more', count=more) }}</p>{% endif %}
<h3>{{ say('rep_overdue_by_assignee') }}</h3>
{% if overdue %}<table class="overdue-by-assignee"
 style="border-collapse: collapse; font-size: 14px">
 <tbody>{% for name, count in overdue %}
  <tr><th style="text-align: left; {{ cell }}">{{ name }}</th>
  <td style="text-align: right; {{ cell }}; color: #b00020">{{ count }}</td></tr>{% endfor %}
 </tbody>
</table>{% else %}<p>{{ say('rep_none_overdue') }}</p>{% endif %}
{% if chart_src %}<p><img src="{{ chart_src }}" alt="{{ say('chart') }}" width="760"
 style="width: 100%; max-width: 760px; height: auto"></p>{% endif %}
{% for section in sections %}
<h3 class="section">{{ section.heading }}</h3>
<table class="figures" style="border-collapse: collapse; font-size: 14px; min-width: 60%">
 <thead><tr><th style="text-align: left; {{ cell }}"></th>
  <th style="text-align: right; {{ cell }}">{{ say('rep_day') }}</th>
  <th style="text-align: right; {{ cell }}">{{ say('so_far') }}</th></tr></thead>
 <tbody>{% for figure, key, label, day, so_far in section.rows %}
  <tr class="{{ figure }}">
   <th style="text-align: left; font-weight: normal; {{ cell }}">{{ label }}</th>
   <td style="text-align: right; {{ cell }}">{{ day }}</td>
   <td style="text-align: right; {{ cell }}">{{ so_far }}</td></tr>{% endfor %}
 </tbody>
</table>{% endfor %}
<h3>{{ say('hourly') }}</h3>
<table style="border-collapse: collapse; font-size: 13px">
 <tr>{% for hour in hours %}<th style="padding: 2px 4px">{{ hour }}</th>{% endfor %}</tr>
 <tr>{% for hour in hours %}<td style="padding: 2px 4px; text-align: center">
  {{- hourly.get(hour, 0) }}</td>{% endfor %}</tr>
</table>
""")


def render_html_body(figures: DailyFigures, chart_src: str | None = None,
                     console_url: str | None = None, language: str | None = None) -> str:
    """The report without <html>/<body>, for embedding in a console page."""
    say = _say(figures, language)
    day: Figures = figures.today
    key_figures = [(say("f_calls"), day.calls), (say("f_answered"), day.answered),
                   (say("f_turned_away"), day.turned_away), (say("f_reports"), day.reports),
                   (say("f_recordings_count"), day.recordings.count),
                   (say("overdue"), day.follow_up.overdue)]
    return BODY.render(
        f=figures, say=say, dateline=_dateline(figures, say), headline=headline(figures, say),
        key_figures=key_figures, sections=report_sections(figures, language),
        overdue=overdue_lines(figures, say), more=_new_more(figures), link=_link,
        console_url=console_url, chart_src=chart_src, hours=HOURS, hourly=figures.hourly,
        cell=_CELL)


def render_html(figures: DailyFigures, chart_src: str | None = None,
                console_url: str | None = None) -> str:
    # The body was rendered by an autoescaping template: mark it safe, not escape it twice.
    body = Markup(render_html_body(figures, chart_src, console_url))  # noqa: S704
    return _HTML.render(title=subject_line(figures), body=body, lang=figures.language)


def figures_for_csv_name(figures: DailyFigures) -> str:
    return f"daily-report-{figures.campaign_id}-{figures.day.isoformat()}.csv"


__all__ = ["Figures", "figures_for_csv_name", "render_csv", "render_html", "render_html_body",
           "render_json", "render_text", "report_rows", "report_sections", "subject_line"]
