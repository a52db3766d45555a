"""Regression tests of the daily report's reviewed defects (and the CSV export's guard)."""

from __future__ import annotations

import os

from reports.delivery import DeliveryContext
from reports.export import _csv_safe


def test_export_cells_starting_with_tab_or_carriage_return_are_not_formulas():
    # Spreadsheet programs skip leading whitespace before = in some imports.
    assert _csv_safe("\t=HYPERLINK(\"http://evil\")") == "'\t=HYPERLINK(\"http://evil\")"
    assert _csv_safe("\r=1+1") == "'\r=1+1"
    assert _csv_safe("+8613800138000") == "+8613800138000"


def test_the_claimant_is_the_process_that_sends_not_the_one_that_imported(monkeypatch):
    context = DeliveryContext(sessions=None, campaigns=None, smtp=None,  # type: ignore[arg-type]
                              mail_from=None, clock=None)  # type: ignore[arg-type]
    monkeypatch.setattr(os, "getpid", lambda: 424242)  # as in a forked child
    assert context.claimant.endswith(":424242")
