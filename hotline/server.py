"""Serving with gunicorn: threads suit short webhook requests."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from sqlalchemy import Engine


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def run_gunicorn(app: Flask, engine: Engine, *, bind: str, workers: int, threads: int) -> None:
    def post_fork(_server: Any, _worker: Any) -> None:
        # Connections opened before the fork must not be shared between workers.
        engine.dispose(close=False)
        # Each worker runs a journal writer; one per host drains at a time (journal/).
        # (The benchmarks' bare endpoint is served the same way and has none.)
        writer = app.extensions.get("hotline.writer")
        if writer is not None:
            writer.start()

    def child_exit(_server: Any, worker: Any) -> None:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # Drop a dead worker's live gauges from the summed metrics.
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(worker.pid)

    # No access log: step URLs carry the caller's menu choices and references.
    _Gunicorn(app, {
        "bind": bind, "workers": workers, "threads": threads, "worker_class": "gthread",
        "timeout": 30, "graceful_timeout": 20, "post_fork": post_fork,
        "child_exit": child_exit, "accesslog": None, "errorlog": "-", "loglevel": "info",
    }).run()
