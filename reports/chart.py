"""Every chart the hotline draws: the daily report's PNG, and the console's SVG charts.

Drawn on bare matplotlib Figures with the Agg canvas: no pyplot, so no global figure
state shared between the scheduler's and the web server's threads, and no display.
Text goes through reports/fonts.py (Noto Sans CJK, then DejaVu Sans), so Chinese labels
draw as Chinese. The SVGs carry a viewBox and no fixed size: shown as an <img> at 100%
width they fit a phone or a laptop; their glyphs are paths, so no font is needed to
view them. Labels arrive translated: the callers choose the language.
"""

from __future__ import annotations

import base64
import io
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from reports import fonts
from reports.figures import HOURS, DailyFigures
from reports.words import words

WIDTH_INCHES, HEIGHT_INCHES = 9.0, 3.4
DPI = 200  # 2×: sharp on a high-density screen, still a small attachment
SVG_WIDTH, SVG_HEIGHT = 6.0, 3.0  # small inches, so that text stays legible on a phone
BLUE, RED, GREY, AMBER = "#3b6ea5", "#c0504d", "#9aa5b1", "#d08c1e"
_SIZE = re.compile(r'(<svg\b[^>]*?)\s(?:width|height)="[^"]*"')


@dataclass(frozen=True)
class Series:
    """One run of values to draw, with its legend label and colour."""

    label: str
    values: Sequence[int]
    color: str = BLUE


def _figure(width: float, height: float, dpi: int = 100) -> Figure:
    fonts.configure()
    figure = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(figure)
    return figure


def _integer_axis(axis: Axes, which: str = "y") -> None:
    (axis.yaxis if which == "y" else axis.xaxis).set_major_locator(MaxNLocator(integer=True))
    axis.tick_params(labelsize=9)
    axis.spines[["top", "right"]].set_visible(False)


def render_chart(figures: DailyFigures, language: str | None = None) -> bytes:
    """The daily report's PNG at 2×: calls per local hour (left), reports per category
    (right), titled in the report's language (or `language`, a catalogue's)."""
    say = words(language or figures.language)
    titles = say("hourly"), say("reports_by_category")
    figure = _figure(WIDTH_INCHES, HEIGHT_INCHES, DPI)
    hours_axis, categories_axis = figure.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    _bars(hours_axis, list(HOURS), [Series("", [figures.hourly.get(h, 0) for h in HOURS])],
          every=3)
    hours_axis.set_title(titles[0], fontsize=10)
    categories = list(figures.today.categories)
    _horizontal(categories_axis, [(_wrapped(figures.category_labels.get(c, c), c),
                                   figures.today.categories[c]) for c in categories], RED)
    categories_axis.set_title(titles[1], fontsize=10)
    # Fixed margins instead of tight_layout(), which measures every label and doubles the time.
    figure.subplots_adjust(left=0.05, right=0.98, bottom=0.1, top=0.9, wspace=0.5)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def chart_data_uri(figures: DailyFigures, language: str | None = None) -> str:
    """render_chart as a data: URI, for a page that carries its chart inline."""
    png = base64.b64encode(render_chart(figures, language)).decode()
    return f"data:image/png;base64,{png}"


def _wrapped(label: str, fallback: str) -> str:
    # Long labels wrap onto two lines so the fixed margin holds them.
    return textwrap.fill(fonts.drawable(label, fallback), 18)


def _bars(axis: Axes, labels: Sequence[str], series: Sequence[Series], every: int = 1) -> None:
    """Vertical bars, the series stacked (the first at the bottom)."""
    positions = list(range(len(labels)))
    bottom = [0] * len(labels)
    for run in series:
        axis.bar(positions, run.values, bottom=bottom, color=run.color, label=run.label or None)
        bottom = [b + v for b, v in zip(bottom, run.values, strict=True)]
    ticks = positions[::max(1, every)]
    axis.set_xticks(ticks, [labels[t] for t in ticks], fontsize=9)
    _integer_axis(axis)
    if len(series) > 1:
        _legend(axis, len(series))


def _legend(axis: Axes, entries: int) -> None:
    # Above the plot, on the title's line (the title sits left): never over a bar.
    axis.legend(fontsize=9, frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0),
                ncols=entries, borderaxespad=0.2)


def _horizontal(axis: Axes, items: Sequence[tuple[str, int]], color: str) -> None:
    positions = list(range(len(items)))
    axis.barh(positions, [value for _, value in items], color=color)
    axis.set_yticks(positions, [label for label, _ in items], fontsize=9)
    axis.invert_yaxis()
    _integer_axis(axis, "x")


def _svg(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue().decode()
    # Keep the viewBox, drop the fixed size: the page sizes the image (width 100%).
    while (shorter := _SIZE.sub(r"\1", text, count=1)) != text:
        text = shorter
    return text.encode()


def bars_svg(title: str, labels: Sequence[str], series: Sequence[Series]) -> bytes:
    """Vertical bars by day or hour, stacked series (calls answered, turned away)."""
    figure = _figure(SVG_WIDTH, SVG_HEIGHT)
    axis = figure.subplots()
    _bars(axis, labels, series, every=max(1, len(labels) // 7))
    axis.set_title(title, fontsize=11, loc="left")
    figure.subplots_adjust(left=0.08, right=0.99, bottom=0.12, top=0.88)
    return _svg(figure)


def horizontal_svg(title: str, items: Sequence[tuple[str, str, int]], color: str = RED
                   ) -> bytes:
    """Horizontal bars (categories, subjects, outcomes): (label, id to draw if the label
    cannot be, value), in the order given."""
    rows = max(1, len(items))
    height = min(8.0, 1.0 + 0.36 * rows)
    figure = _figure(SVG_WIDTH, height)
    axis = figure.subplots()
    _horizontal(axis, [(_wrapped(label, key), value) for label, key, value in items], color)
    axis.set_title(title, fontsize=11)
    figure.subplots_adjust(left=0.36, right=0.97, bottom=0.5 / height, top=1 - 0.4 / height)
    return _svg(figure)


def lines_svg(title: str, labels: Sequence[str], series: Sequence[Series]) -> bytes:
    """Lines over days (open and overdue follow-ups)."""
    figure = _figure(SVG_WIDTH, SVG_HEIGHT)
    axis = figure.subplots()
    positions = list(range(len(labels)))
    for run in series:
        axis.plot(positions, run.values, color=run.color, label=run.label, marker=".")
    every = max(1, len(labels) // 7)
    axis.set_xticks(positions[::every], list(labels)[::every], fontsize=9)
    axis.set_ylim(bottom=0)
    _integer_axis(axis)
    _legend(axis, len(series))
    axis.set_title(title, fontsize=11, loc="left")
    figure.subplots_adjust(left=0.08, right=0.99, bottom=0.12, top=0.88)
    return _svg(figure)
