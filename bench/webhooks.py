"""Webhook latency: whole calls played through the app, timed per step.

    python -m bench.webhooks [--calls N] [--database URL]

Plays N calls (two reports each, through every kind of step) in-process
against a fresh SQLite file, or the database given, and prints the median,
95th percentile and maximum time to answer each kind of webhook, and the server's CPU time
per webhook (the request thread's `time.thread_time()` around the WSGI app, so
the simulated caller's own work is not counted), then drains the journal and
prints the writer's CPU time per entry applied. Target: the 95th percentile of
every step under 20 ms on SQLite on the reference machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from db.engine import make_engine
from db.migrate import upgrade
from hotline.app import create_app
from hotline.settings import Settings
from hotline.simulator import CallSimulator, FlaskTransport, ScriptedCaller

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-0123456789abcdef0123"  # noqa: S105 - signs in-process requests only


class ServerCpu:
    """WSGI middleware: CPU seconds the server spends in each request's own thread."""

    def __init__(self, wsgi_app) -> None:  # type: ignore[no-untyped-def]
        self.wsgi_app = wsgi_app
        self.seconds: list[float] = []

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        started = time.thread_time()
        try:
            # The test client reads the body after the call; Flask's is already built.
            return list(self.wsgi_app(environ, start_response))
        finally:
            self.seconds.append(time.thread_time() - started)


class TimedTransport(FlaskTransport):
    def __init__(self, app, token: str) -> None:  # type: ignore[no-untyped-def]
        super().__init__(app, token)
        self.timings: dict[str, list[float]] = defaultdict(list)

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        path = url.split("?", 1)[0].removeprefix("http://localhost/twilio/")
        started = time.perf_counter()
        result = super().post(url, params)
        self.timings[path].append(time.perf_counter() - started)
        return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--database", help="a database URL (default: a fresh SQLite file)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        moment = [datetime(2023, 6, 1, 2, 0, tzinfo=UTC)]
        settings = Settings(database_url=url, campaigns_path=ROOT / "campaigns",
                            instance_path=Path(folder), twilio_auth_token=TOKEN)
        app = create_app(settings, clock=lambda: moment[0], engine=engine)
        # The webhooks only journal; the writer's share is measured apart, below.
        context = app.extensions["hotline.webhooks"]
        app.extensions["hotline.webhooks"] = replace(context, after_append=None)
        cpu = ServerCpu(app.wsgi_app)
        app.wsgi_app = cpu  # type: ignore[method-assign]
        transport = TimedTransport(app, TOKEN)
        started = time.perf_counter()
        for number in range(args.calls):
            moment[0] += timedelta(seconds=20)
            script = ["2", "3", "1", "r30", "1", "5", "3", "r20", "2"]
            CallSimulator(transport, "http://localhost", ScriptedCaller(script),
                          from_number=f"+86138{number:08d}", to_number="+862087756920").run()
        elapsed = time.perf_counter() - started
        total = sum(len(v) for v in transport.timings.values())
        drain_started, drain_cpu = time.perf_counter(), time.thread_time()
        applied = app.extensions["hotline.writer"].drain()
        drain_cpu = time.thread_time() - drain_cpu
        drain_seconds = time.perf_counter() - drain_started
        print(f"{args.calls} calls, {total} webhooks in {elapsed:.1f} s on "
              f"{engine.dialect.name}")
        print(f"server CPU per webhook: {statistics.mean(cpu.seconds) * 1000:.3f} ms mean, "
              f"{statistics.median(cpu.seconds) * 1000:.3f} ms median; the journal's writer "
              f"then applied {applied} entries in {drain_seconds:.1f} s, "
              f"{drain_cpu / max(applied, 1) * 1000:.3f} ms CPU each")
        print(f"{'step':<22}{'n':>7}{'median ms':>12}{'p95 ms':>10}{'max ms':>10}")
        for step, values in sorted(transport.timings.items()):
            ordered = sorted(values)
            p95 = ordered[int(len(ordered) * 0.95) - 1] if len(ordered) > 1 else ordered[0]
            print(f"{step:<22}{len(values):>7}{statistics.median(values) * 1000:>12.2f}"
                  f"{p95 * 1000:>10.2f}{ordered[-1] * 1000:>10.2f}")
        engine.dispose()


if __name__ == "__main__":
    main()
