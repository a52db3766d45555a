"""Small helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path

SEED_TOML = (Path(__file__).resolve().parent.parent / "campaigns" / "guangzhou-2023.toml")


def campaign_toml(**overrides: str) -> str:
    """A small valid campaign file; each override replaces or adds one top-level line."""
    fields = {
        "id": '"test-line"',
        "name": '"Test line"',
        "numbers": '["+14155550100"]',
        "timezone": '"Asia/Shanghai"',
        "closes": "2023-07-26",
        "hours": '["08:30", "17:30"]',
        "languages": '["cmn", "en"]',
    }
    fields.update(overrides)
    lines = [f"{key} = {value}" for key, value in fields.items() if value is not None]
    categories = textwrap.dedent("""
        [[categories]]
        key = "1"
        id = "political"
        label = { cmn = "政治纪律", en = "political discipline" }

        [[categories]]
        key = "2"
        id = "integrity"
        label = { cmn = "廉洁纪律", en = "integrity discipline" }
    """)
    return "\n".join(lines) + "\n" + categories


def write_campaign(folder: Path, name: str = "line.toml", **overrides: str) -> Path:
    path = folder / name
    path.write_text(campaign_toml(**overrides), encoding="utf-8")
    return path
