"""Where a webhook's CPU goes: the same call mix played in-process, timed by phase.

    python -m bench.costs [--database URL] [--calls N]

The served figures (bench/calls.py) say how much CPU a webhook costs against
the bare endpoint; this says what it is spent on, so that `make bench` can name
the cause of a miss. Calls of bench.load's mix are played through the app's
WSGI callable in this thread (no HTTP, no gunicorn), and the request thread's
CPU time (`time.thread_time`) is split into:

- signature: the X-Twilio-Signature check, which is the first to read the form;
- journal: the durable append (one IMMEDIATE transaction, fsync'd before the answer);
- TwiML: writing the answer's text;
- the rest: Flask's request machinery, routing, the call flow, the hooks.

The bare endpoint's app is played the same calls in the same way. Then the
journal is drained in this thread: the writer's CPU per entry applied.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import webhooks
from bench import bare as bare_endpoint
from bench.load import MixCaller, pick_kind
from bench.servers import TOKEN, write_campaigns
from db.engine import make_engine
from db.migrate import upgrade
from hotline.app import create_app
from hotline.settings import Settings
from hotline.simulator import CallSimulator, FlaskTransport
from ivr import records, twiml_text


@dataclass
class Costs:
    webhooks: int
    bare_us: float        # the bare endpoint's request, in-process
    request_us: float     # Hotline's request, in-process
    signature_us: float
    journal_us: float
    twiml_us: float
    rest_us: float
    writer_us: float      # the writer, per entry applied
    entries: int


class _Timer:
    """Thread CPU of the wrapped calls, summed."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.thread_time() - began
        return timed


@contextmanager
def _patched(target: Any, name: str, timer: _Timer) -> Iterator[None]:
    original = getattr(target, name)
    setattr(target, name, timer.wrap(original))
    try:
        yield
    finally:
        setattr(target, name, original)


def _play(app: Any, calls: int, bare: bool, seed: int) -> tuple[int, float]:
    """(requests, request thread CPU seconds) for `calls` calls of the mix."""
    request = _Timer()
    app.wsgi_app = request.wrap(app.wsgi_app)
    transport = FlaskTransport(app, TOKEN)
    rng = random.Random(seed)
    sent = 0
    for _ in range(calls):
        kind = pick_kind(rng)
        counting = _Counting(transport)
        CallSimulator(counting, "http://localhost", MixCaller(kind.script, bare),
                      from_number=f"+86138{rng.randint(0, 99_999_999):08d}",
                      to_number=kind.line).run()
        sent += counting.sent
    return sent, request.seconds


class _Counting:
    def __init__(self, transport: FlaskTransport) -> None:
        self.transport, self.sent = transport, 0

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        self.sent += 1
        return self.transport.post(url, params)


def measure(database_url: str, folder: Path, calls: int = 300) -> Costs:
    """Play `calls` calls against Hotline on `database_url` (migrated) and the bare app."""
    settings = Settings(database_url=database_url,
                        campaigns_path=write_campaigns(folder / "campaigns"),
                        instance_path=folder, twilio_auth_token=TOKEN)
    engine = make_engine(database_url)
    app = create_app(settings, engine=engine)
    context = app.extensions["hotline.webhooks"]
    # Only the request's own work here; the writer is measured on its own below.
    app.extensions["hotline.webhooks"] = replace(context, after_append=None)
    journal = app.extensions["hotline.journal"]
    signature, appending, writing = _Timer(), _Timer(), _Timer()
    _play(app, 20, False, seed=7)  # warm: caches, statements, the journal file
    app.extensions["hotline.writer"].drain()
    with _patched(webhooks, "is_signed", signature), _patched(journal, "append", appending), \
            _patched(twiml_text, "render", writing), _patched(records, "render", writing):
        sent, seconds = _play(app, calls, False, seed=1)
    began = time.thread_time()
    entries = app.extensions["hotline.writer"].drain()
    writer = time.thread_time() - began
    engine.dispose()
    bare_app = bare_endpoint.make_app()
    _play(bare_app, 20, True, seed=7)
    bare_sent, bare_seconds = _play(bare_app, calls, True, seed=1)
    per = 1e6 / max(1, sent)
    return Costs(
        webhooks=sent, bare_us=bare_seconds * 1e6 / max(1, bare_sent), request_us=seconds * per,
        signature_us=signature.seconds * per, journal_us=appending.seconds * per,
        twiml_us=writing.seconds * per,
        rest_us=(seconds - signature.seconds - appending.seconds - writing.seconds) * per,
        writer_us=writer * 1e6 / max(1, entries), entries=entries)


def describe(costs: dict[str, Any]) -> str:
    """One line: where Hotline's CPU per webhook goes, against the bare app's."""
    return (f"in-process, a webhook costs {costs['request_us']:.0f} µs against bare's "
            f"{costs['bare_us']:.0f} µs: the fsync'd journal append {costs['journal_us']:.0f}, "
            f"signature and form {costs['signature_us']:.0f}, TwiML {costs['twiml_us']:.0f}, "
            f"Flask, routing and the call flow {costs['rest_us']:.0f}; then the writer "
            f"{costs['writer_us']:.0f} µs per entry applied")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a migrated database URL (default: a fresh SQLite)")
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hotline-costs-") as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'costs.sqlite3'}"
        if not args.database:
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
        found = asdict(measure(url, Path(folder), args.calls))
    print(describe(found))
    return found

if __name__ == "__main__":
    main()
