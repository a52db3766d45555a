"""GET /metrics in Prometheus format.

Per-process figures (webhook latency, signature failures, journal failures,
entries applied and apply failures) are
kept by prometheus-client; with several gunicorn workers set
PROMETHEUS_MULTIPROC_DIR so they are summed across processes. Figures of the
call log itself (calls by campaign and outcome, report deliveries) are read
from the database at scrape time, so every process reports the same truth;
the journal's depth and age are read from the host's journal file.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Iterator, Mapping
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from db import deliveries as stored_deliveries
from db import figures
from ivr.flow import STEPS
from journal import Journal


class _WebMetrics:
    """The web process's own metrics, made on first use: with PROMETHEUS_MULTIPROC_DIR set,
    making one opens a file there, which other commands (the scheduler, `db upgrade`)
    must not need."""

    def __init__(self) -> None:
        self.webhook_seconds = Histogram(
            "hotline_webhook_seconds", "Time to answer a Twilio webhook, by step", ["step"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))
        self.signature_failures = Counter(
            "hotline_signature_failures_total",
            "Webhook requests refused for a missing or bad signature")
        self.database_errors = Counter(
            "hotline_database_errors_total",
            "Database reads for metrics that failed", ["step"])
        self.journal_errors = Counter(
            "hotline_journal_append_failures_total",
            "Facts a webhook could not journal (the caller heard the fallback)", ["kind"])
        self.applied = Counter(
            "hotline_journal_applied_total",
            "Journal entries applied to the database (rate() is the apply rate)")
        self.apply_failures = Counter(
            "hotline_journal_apply_failures_total",
            "Batches or entries the database did not take (an outage, a refused entry)")


_web: _WebMetrics | None = None


def _web_metrics() -> _WebMetrics:
    global _web  # one set per process, as prometheus-client requires
    if _web is None:
        _web = _WebMetrics()
    return _web


class CallLogCollector(Collector):
    """Reads the call log's own figures at scrape time (GROUP BY in the database)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        calls = GaugeMetricFamily("hotline_calls", "Calls in the log by campaign and outcome",
                                  labels=["campaign", "outcome"])
        deliveries = GaugeMetricFamily(
            "hotline_report_deliveries", "Daily report deliveries by state", labels=["state"])
        try:
            with Session(self.engine) as session:
                # The figures engine's counts, the same SQL as the console's and the report's.
                for (campaign, outcome), count in \
                        figures.calls_by_campaign_and_outcome(session).items():
                    calls.add_metric([campaign or "", outcome], count)
                for state, count in stored_deliveries.counts_by_state(session).items():
                    deliveries.add_metric([state], count)
        except SQLAlchemyError:
            count_database_error("metrics")
            return
        yield calls
        yield deliveries


class JournalCollector(Collector):
    """The host's journal at scrape time: how much waits for the database, and how long."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            stats = self.journal.stats()
        except Exception:  # an unreadable journal shows as missing gauges (and in /healthz)
            return
        yield GaugeMetricFamily("hotline_journal_depth",
                                "Journal entries not yet applied to the database",
                                value=stats.depth)
        yield GaugeMetricFamily("hotline_journal_oldest_age_seconds",
                                "Age of the oldest journal entry not yet applied",
                                value=stats.oldest_age)
        yield GaugeMetricFamily("hotline_journal_parked",
                                "Journal entries the database refused, kept for an operator",
                                value=stats.parked)


def _registry(engine: Engine, journal: Journal) -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        web = _web_metrics()
        for metric in (web.webhook_seconds, web.signature_failures, web.database_errors,
                       web.journal_errors, web.applied, web.apply_failures):
            registry.register(metric)
    registry.register(CallLogCollector(engine))
    from hotline.recording_metrics import RecordingsCollector

    registry.register(RecordingsCollector(engine, count_database_error))
    registry.register(JournalCollector(journal))
    return registry


def from_loopback(environ: Mapping[str, Any]) -> bool:
    """The request came straight from this host: the TCP peer (before ProxyFix rewrote
    REMOTE_ADDR from X-Forwarded-For) is loopback, and no proxy forwarded it (nginx
    runs on the same host, so everything it forwards comes from loopback too)."""
    if environ.get("HTTP_X_FORWARDED_FOR") is not None:  # ProxyFix leaves the header
        return False
    original = environ.get("werkzeug.proxy_fix.orig") or environ
    try:
        return ipaddress.ip_address(original.get("REMOTE_ADDR") or "").is_loopback
    except ValueError:
        return False


def _bearer_matches(header: str | None, token: str | None) -> bool:
    scheme, _, given = (header or "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), (token or "").encode())


def init_app(app: Flask, engine: Engine, journal: Journal, *, token: str | None = None
             ) -> None:
    """`token`: HOTLINE_METRICS_TOKEN; without it /metrics answers loopback only."""
    registry = _registry(engine, journal)
    web = _web_metrics()

    @app.before_request
    def _start_timer() -> None:
        g.hotline_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        if request.path.startswith("/twilio/"):
            if response.status_code == 403:
                web.signature_failures.inc()
            name = (request.view_args or {}).get("name")
            if name is not None:
                step = name if name in STEPS else "unknown"  # bounded label values
            else:
                step = (request.endpoint or "unknown").removeprefix("twilio.")
            started = g.get("hotline_started")
            if started is not None:
                web.webhook_seconds.labels(step=step).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        if not (from_loopback(request.environ)
                or _bearer_matches(request.headers.get("Authorization"), token)):
            return Response("forbidden\n", status=403, mimetype="text/plain",
                            headers={"WWW-Authenticate": "Bearer"} if token else {})
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def count_database_error(step: str) -> None:
    _web_metrics().database_errors.labels(step=step).inc()


def count_journal_error(kind: str) -> None:
    _web_metrics().journal_errors.labels(kind=kind).inc()


def count_applied(entries: int) -> None:
    _web_metrics().applied.inc(entries)


def count_apply_failure() -> None:
    _web_metrics().apply_failures.inc()
