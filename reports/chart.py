"""The report's chart: calls by local hour and reports by category, as one PNG.

Drawn on a bare matplotlib Figure with the Agg canvas: no pyplot, so no global
figure state shared between the scheduler's threads and no display needed.
"""

from __future__ import annotations

import io
import textwrap

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from reports.figures import HOURS, DailyFigures

WIDTH_INCHES, HEIGHT_INCHES, DPI = 9.0, 3.4, 100


def render_chart(figures: DailyFigures) -> bytes:
    """A PNG: bars of calls per local hour (left), reports per category (right)."""
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    FigureCanvasAgg(figure)
    hours_axis, categories_axis = figure.subplots(
        1, 2, gridspec_kw={"width_ratios": [3, 2]})

    counts = [figures.hourly.get(hour, 0) for hour in HOURS]
    hours_axis.bar(range(24), counts, color="#3b6ea5")
    hours_axis.set_title("Calls by hour (local time)", fontsize=10)
    hours_axis.set_xticks(range(0, 24, 3), [HOURS[h] for h in range(0, 24, 3)], fontsize=8)
    hours_axis.yaxis.get_major_locator().set_params(integer=True)
    hours_axis.tick_params(axis="y", labelsize=8)

    categories = list(figures.today.categories)
    # Labels in the report's language may need glyphs the bundled font lacks; ids always draw.
    names = [_drawable(figures.category_labels.get(c, c), c) for c in categories]
    values = [figures.today.categories[c] for c in categories]
    positions = range(len(categories))
    categories_axis.barh(list(positions), values, color="#c0504d")
    categories_axis.set_yticks(list(positions), names, fontsize=8)
    categories_axis.invert_yaxis()
    categories_axis.set_title("Reports by category", fontsize=10)
    categories_axis.xaxis.get_major_locator().set_params(integer=True)
    categories_axis.tick_params(axis="x", labelsize=8)

    # Fixed margins instead of tight_layout(), which measures every label and doubles the time.
    figure.subplots_adjust(left=0.05, right=0.98, bottom=0.1, top=0.9, wspace=0.5)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _drawable(label: str, fallback: str) -> str:
    # Long labels wrap onto two lines so the fixed margin holds them.
    return textwrap.fill(label if label.isascii() else fallback, 18)
