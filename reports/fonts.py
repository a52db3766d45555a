"""The charts' fonts: Noto Sans CJK (Debian's fonts-noto-cjk), found by its file path.

matplotlib's own DejaVu Sans has no Chinese glyphs: a category label would be drawn as
boxes. The CJK font is registered from the file Debian installs (or the one named by
HOTLINE_CJK_FONT), never by searching the system, so a chart draws the same on every
machine. Without it, charts still draw, with ids for labels their font cannot show, and
`cjk_font()` says what to install.
"""

from __future__ import annotations

import os
import threading
from functools import cache
from pathlib import Path

import matplotlib
from matplotlib import font_manager

CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian, Ubuntu
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",       # Fedora, Arch
)
# The Simplified Chinese face of the collection: its glyph shapes are the ones readers
# in mainland China expect (the file also holds the JP, KR, TC and HK faces).
CJK_FAMILY = "Noto Sans CJK SC"
LATIN_FAMILY = "DejaVu Sans"  # bundled with matplotlib: always there
INSTALL_HINT = "install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk)"
_lock = threading.Lock()


class FontMissing(RuntimeError):
    """No CJK font file: the message says which files were looked for, and what to do."""


def _candidates() -> list[Path]:
    named = os.environ.get("HOTLINE_CJK_FONT")
    return [Path(named)] if named else [Path(p) for p in CJK_FONT_FILES]


@cache
def _registered() -> str | None:
    """Register the first CJK font file found; its family name, or None."""
    for path in _candidates():
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
            names = {entry.name for entry in font_manager.fontManager.ttflist
                     if entry.fname == str(path)}
            return CJK_FAMILY if CJK_FAMILY in names else font_manager.FontProperties(
                fname=str(path)).get_name()
    return None


def cjk_font() -> str:
    """The CJK family's name, registered with matplotlib; FontMissing when absent."""
    family = _registered()
    if family is None:
        looked = ", ".join(str(p) for p in _candidates())
        raise FontMissing(f"no CJK font for the charts (looked for {looked}); {INSTALL_HINT}")
    return family


def has_cjk_font() -> bool:
    return _registered() is not None


def configure() -> None:
    """Make every chart's text try the CJK font, then DejaVu Sans (matplotlib falls back
    glyph by glyph along the list). Idempotent; the same value is set by every caller, so
    threads drawing at once see one setting."""
    families = [*([_registered()] if has_cjk_font() else []), LATIN_FAMILY]
    with _lock:
        if matplotlib.rcParams["font.family"] != families:
            matplotlib.rcParams["font.family"] = families
            # Stable ids in the SVG: the same figures give the same bytes.
            matplotlib.rcParams["svg.hashsalt"] = "hotline"


def drawable(label: str, fallback: str) -> str:
    """`label` if the charts' fonts can draw it, else `fallback` (an id, always ASCII)."""
    return label if label.isascii() or has_cjk_font() else fallback
