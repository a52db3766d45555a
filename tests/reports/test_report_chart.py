"""The charts draw Chinese with the CJK font Debian installs, found by its file path,
and fail loudly (a missing-glyph warning is an error here) when a glyph would be a box."""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from db.engine import make_session_factory
from reports import fonts
from reports.chart import DPI, Series, bars_svg, horizontal_svg, lines_svg, render_chart
from reports.figures import campaign_figures
from tests.reports.report_helpers import play_a_day

needs_cjk_font = pytest.mark.skipif(not any(Path(p).is_file() for p in fonts.CJK_FONT_FILES),
                                    reason=f"no CJK font: {fonts.INSTALL_HINT}")


@pytest.fixture
def glyphs_checked():  # type: ignore[no-untyped-def]
    """Every warning is an error: matplotlib warns "Glyph … missing from font(s)"."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@needs_cjk_font
def test_the_cjk_font_is_the_file_debian_installs() -> None:
    family = fonts.cjk_font()
    assert family == "Noto Sans CJK SC"
    found = font_manager.fontManager.findfont(font_manager.FontProperties(family=family),
                                              fallback_to_default=False)
    assert found in fonts.CJK_FONT_FILES


@needs_cjk_font
def test_chinese_labels_draw_without_a_missing_glyph(glyphs_checked) -> None:
    svg = horizontal_svg("举报（按类别）", [("政治纪律", "political", 3),
                                         ("廉洁纪律", "integrity", 1)])
    bars_svg("每日来电", ["06-01", "06-02"], [Series("接听", [3, 1]), Series("拒接", [1, 0])])
    lines_svg("未结与逾期的跟进", ["06-01", "06-02"], [Series("未结", [2, 1])])
    # The glyphs are paths (no font needed to view it), and the image scales to its box.
    root = re.search(rb"<svg\b[^>]*>", svg)
    assert root is not None and b"viewBox" in root.group() and b"width=" not in root.group()


def test_the_check_fails_where_a_font_lacks_the_glyphs(glyphs_checked) -> None:
    figure = Figure()
    FigureCanvasAgg(figure)
    figure.text(0.5, 0.5, "政治纪律", fontfamily="DejaVu Sans")
    with pytest.raises(UserWarning, match="missing from font"):
        figure.savefig(io.BytesIO(), format="png")


@needs_cjk_font
def test_the_daily_reports_chart_is_sharp_and_speaks_chinese(place_call, clock, engine,
                                                              campaigns, glyphs_checked):
    play_a_day(place_call, clock)
    campaign = campaigns.by_id["gz-2023"]
    with make_session_factory(engine)() as session:
        figures = campaign_figures(session, campaign, date(2023, 6, 1),
                                   datetime(2023, 6, 1, 18, tzinfo=UTC))
    chinese = replace(figures, language="zh", category_labels={
        c.id: campaign.label("category", c.id, "cmn") for c in campaign.categories})
    image = Image.open(io.BytesIO(render_chart(chinese)))
    assert DPI == 200 and image.size == (1800, 680)  # 9 × 3.4 inches at 2×


def test_without_the_font_the_error_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setenv("HOTLINE_CJK_FONT", "/nonexistent/NotoSansCJK-Regular.ttc")
    fonts._registered.cache_clear()
    try:
        with pytest.raises(fonts.FontMissing, match="fonts-noto-cjk"):
            fonts.cjk_font()
        assert fonts.drawable("政治纪律", "political") == "political"
        assert fonts.drawable("political discipline", "political") == "political discipline"
    finally:
        monkeypatch.delenv("HOTLINE_CJK_FONT")
        fonts._registered.cache_clear()
