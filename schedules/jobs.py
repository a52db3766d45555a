"""The functions the scheduler runs, referenced by name from the job store.

Jobs in a persistent store are saved as "module:function" plus arguments, so
they carry only a campaign id; the running process installs its delivery
context (database, campaigns, SMTP, clock) here once at start.
"""

from __future__ import annotations

import logging

from reports.delivery import Attempt, DeliveryContext, deliver_due, retry_failed

log = logging.getLogger("hotline.schedules")

_context: DeliveryContext | None = None


def install(context: DeliveryContext) -> None:
    global _context
    _context = context


def _installed() -> DeliveryContext:
    if _context is None:
        raise RuntimeError("schedules.jobs.install() was not called in this process")
    return _context


def daily_report(campaign_id: str) -> list[Attempt]:
    """The campaign's cron job: send today's report and any missed day not yet sent."""
    attempts = deliver_due(_installed(), campaign_id)
    for attempt in attempts:
        log.info("daily report %s %s: %s", attempt.campaign_id, attempt.day, attempt.state)
    return attempts


def retry_reports() -> list[Attempt]:
    """Every few minutes: send again the reports whose retry time has come."""
    return retry_failed(_installed())
