"""The functions the scheduler runs, referenced by name from the job store.

Jobs in a persistent store are saved as "module:function" plus arguments, so
they carry only a campaign id; the running process installs its delivery
context (database, campaigns, SMTP, clock) here once at start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from recordings.fetch import FetchSummary
from recordings.retention import CampaignPurge
from reports.delivery import Attempt, DeliveryContext, deliver_due, is_scheduled, retry_failed
from schedules.reconcile import Summary

log = logging.getLogger("hotline.schedules")

_context: DeliveryContext | None = None
_reconciler: Callable[[], Summary] | None = None


@dataclass(frozen=True)
class RecordingJobs:
    """The recordings' work, bound to this process's database, store and Twilio account."""

    fetch: Callable[[bool], FetchSummary] | None  # (sweep) -> summary; None: no credentials
    purge: Callable[[], list[CampaignPurge]]


_recordings: RecordingJobs | None = None


def install_recordings(recordings: RecordingJobs | None) -> None:
    global _recordings
    _recordings = recordings


def fetch_recordings(sweep: bool = False) -> FetchSummary | None:
    """Every half minute (and an hourly sweep of every report): bring recordings home."""
    if _recordings is None or _recordings.fetch is None:
        return None
    summary = _recordings.fetch(sweep)
    if summary.queued or summary.stored or summary.deleted or summary.failed:
        log.info("recordings: %s", summary)
    return summary


def purge_expired() -> list[CampaignPurge]:
    """Every few hours: campaigns past their retention period are purged."""
    if _recordings is None:
        return []
    return _recordings.purge()


def install(context: DeliveryContext) -> None:
    global _context
    _context = context


def install_reconciler(reconciler: Callable[[], Summary] | None) -> None:
    global _reconciler
    _reconciler = reconciler


def reconcile_calls() -> Summary | None:
    """Every quarter hour: calls stuck in progress get their true status from Twilio."""
    if _reconciler is None:
        return None
    summary = _reconciler()
    if summary.checked:
        log.info("reconciliation: %s", summary)
    return summary


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
    """Every few minutes: send again the reports whose retry time has come, and make any
    due report's claim that failed at its report_time (cheap when nothing is due)."""
    context = _installed()
    attempts = retry_failed(context)
    for campaign in context.campaigns:
        if not is_scheduled(campaign):
            continue
        try:
            attempts += deliver_due(context, campaign.id)
        except Exception:
            log.exception("daily report %s: the due-report check failed; next try in a few "
                          "minutes", campaign.id)
    return attempts
