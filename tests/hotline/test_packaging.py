"""The installed `hotline` command works outside the checkout: every package it imports
is declared in pyproject.toml (an editable install maps only the declared ones)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT


def test_the_installed_command_imports_every_package_from_anywhere(tmp_path: Path) -> None:
    command = Path(sys.executable).parent / "hotline"
    result = subprocess.run(
        [str(command), "campaigns", "check", str(ROOT / "campaigns" / "guangzhou-2023.toml")],
        cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    packages = sorted(p.parent.name for p in ROOT.glob("*/__init__.py")
                      if p.parent.name not in {"tests", "bench"})
    imported = subprocess.run(
        [str(command.with_name("python")), "-c", "import " + ", ".join(packages)],
        cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert imported.returncode == 0, imported.stderr
