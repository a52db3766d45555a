"""The load generator: whole calls played over HTTP against a running server, as Twilio plays them.

Each virtual caller runs hotline.simulator's CallSimulator (it signs every
request with twilio's RequestValidator and follows the TwiML: Gather to its
action, Record to its action plus the recording status callback, Redirect,
Dial to its action, the status callback at the end) over a keep-alive HTTP
connection of its own. Callers are threads spread over a few processes, so
the generator is not held back by one interpreter lock; each process reports
its own CPU time.

Three ways to load a server:
- "closed": N callers, no pause: the server's saturated throughput.
- "rate": a fixed number of requests per second (the latency runs).
- "pace": N simultaneous calls at a real caller's pace, a request about every
  8 s, the pause compressed uniformly when there are fewer threads than calls.
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import random
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.servers import CLOSED_NUMBER, OPEN_NUMBER
from hotline.simulator import HANGUP, CallSimulator, sign

CALLER_PAUSE = 8.0  # seconds between a real caller's requests (prompts heard, keys pressed)
IDLE_RECONNECT = 1.0  # gunicorn closes a keep-alive connection idle for 2 s


@dataclass(frozen=True)
class Kind:
    """One row of the call mix: how often, which line, what the caller does."""

    name: str
    weight: int
    line: str
    script: tuple[object, ...]


# The realistic mix. Script items as in hotline.simulator.ScriptedCaller: a key,
# "rN" = N seconds of message, "hangup", "answer"/"no-answer" for the duty officer.
# Follow-ups by reference ("#", the digits, "#") join this table once the menu has them.
MIX: tuple[Kind, ...] = (
    Kind("one matter", 55, OPEN_NUMBER, ("1", "3", "1", "r40", "2")),
    Kind("two matters", 10, OPEN_NUMBER, ("2", "3", "1", "r30", "1", "5", "2", "r20", "2")),
    # A referred caller may leave a message to be passed on (r…) or stay silent (-).
    Kind("referred, message passed on", 5, OPEN_NUMBER, ("1", "9", "r20", "2")),
    Kind("referred", 3, OPEN_NUMBER, ("1", "9", "-", "2")),
    Kind("out-of-scope subject", 4, OPEN_NUMBER, ("3", "2", "4", "-", "2")),
    Kind("hung up in the menu", 10, OPEN_NUMBER, ("1", "hangup")),
    Kind("hung up while recording", 3, OPEN_NUMBER, ("1", "1", "2", "hangup")),
    Kind("out of hours", 10, CLOSED_NUMBER, ()),
)


class MixCaller:
    """Plays a script; against the bare endpoint every item is just a key pressed."""

    def __init__(self, script: Sequence[object], bare: bool) -> None:
        self.items = list(script)
        self.bare = bare
        self.ran_out = False

    def _next(self) -> object:
        if not self.items:
            self.ran_out = True
            return HANGUP
        return self.items.pop(0)

    def hear(self, text: str) -> None:
        pass

    def press(self) -> str | None:
        item = self._next()
        if item == HANGUP or self.bare:
            return HANGUP if item == HANGUP else "1"
        return None if item in (None, "-") else str(item)

    def speak(self) -> int | str | None:
        item = self._next()
        if item == HANGUP:
            return HANGUP
        # "-": the caller stays silent at the beep (Twilio keeps no recording).
        return None if item in (None, "-") else int(str(item).removeprefix("r"))

    def officer_answers(self) -> bool:
        return self._next() == "answer"


@dataclass
class Spec:
    url: str
    mode: str                 # closed | rate | pace
    threads: int              # callers in this process
    seconds: float            # measured window
    warmup: float = 1.0
    rate: float = 0.0         # mode "rate": requests per second from this process
    pause: float = 0.0        # mode "pace": seconds between a caller's requests
    bare: bool = False
    seed: int = 1


@dataclass
class Result:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: list[str] = field(default_factory=list)
    calls: int = 0
    sent: int = 0             # every request, in the window or not (for CPU per request)
    cpu: float = 0.0
    seconds: float = 0.0

    def merge(self, other: Result) -> None:
        for step, values in other.latencies.items():
            self.latencies[step].extend(values)
        for step, count in other.errors.items():
            self.errors[step] += count
        self.samples.extend(other.samples[: max(0, 5 - len(self.samples))])
        self.calls += other.calls
        self.sent += other.sent
        self.cpu += other.cpu
        self.seconds = max(self.seconds, other.seconds)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


class _Stop(Exception):
    pass


class _Transport:
    """One caller's connection: paces, posts, times and labels every request."""

    def __init__(self, spec: Spec, clock: _Window, slots: _Slots | None, result: Result,
                 lock: threading.Lock, rng: random.Random) -> None:
        self.spec, self.clock, self.slots, self.result, self.lock = spec, clock, slots, result, lock
        self.rng = rng
        parts = urllib.parse.urlsplit(spec.url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.connection: http.client.HTTPConnection | None = None
        self.last_used = 0.0

    def _wait(self) -> None:
        if self.spec.mode == "rate" and self.slots:
            self.slots.wait()
        elif self.spec.mode == "pace":
            time.sleep(self.spec.pause * self.rng.uniform(0.5, 1.5))
        if time.monotonic() >= self.clock.end:
            raise _Stop

    def _send(self, path: str, body: str, headers: dict[str, str]) -> tuple[int, str]:
        fresh = self.connection is None or time.monotonic() - self.last_used > IDLE_RECONNECT
        if fresh:
            if self.connection is not None:
                self.connection.close()
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        assert self.connection is not None
        try:
            self.connection.request("POST", path, body=body, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.connection.close()
            self.connection = None
            if fresh:
                raise
            return self._send(path, body, headers)  # the server closed an idle connection
        finally:
            self.last_used = time.monotonic()
        return response.status, text

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        self._wait()
        parts = urllib.parse.urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        step = parts.path.removeprefix("/twilio/") or "voice"
        headers = {"X-Twilio-Signature": sign(TOKEN_HOLDER[0], url, params),
                   "Content-Type": "application/x-www-form-urlencoded"}
        body = urllib.parse.urlencode(params)
        began = time.monotonic()
        try:
            status, text = self._send(path, body, headers)
        except OSError as exc:
            status, text = 599, f"{type(exc).__name__}: {exc}"
        took = time.monotonic() - began
        with self.lock:
            self.result.sent += 1
        if self.clock.start <= began < self.clock.end:
            with self.lock:
                self.result.latencies[step].append(took)
                if status >= 400:
                    self.result.errors[step] += 1
                    if len(self.result.samples) < 5:
                        self.result.samples.append(f"{step}: {status} {text[:120]}")
        return status, text


TOKEN_HOLDER = [""]  # the auth token, set once per generator process


@dataclass
class _Window:
    start: float
    end: float


class _Slots:
    """Requests at a fixed rate: each caller takes the next free slot and waits for it."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            slot = max(time.monotonic(), self.next)
            self.next = slot + self.interval
        delay = slot - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def pick_kind(rng: random.Random) -> Kind:
    return rng.choices(MIX, weights=[kind.weight for kind in MIX])[0]


def _caller_thread(spec: Spec, number: int, clock: _Window, slots: _Slots | None,
                   result: Result, lock: threading.Lock) -> None:
    rng = random.Random(spec.seed * 1000 + number)
    transport = _Transport(spec, clock, slots, result, lock, rng)
    while time.monotonic() < clock.end:
        kind = pick_kind(rng)
        caller = MixCaller(kind.script, spec.bare)
        simulator = CallSimulator(transport, spec.url, caller,
                                  from_number=f"+86138{rng.randint(0, 99_999_999):08d}",
                                  to_number=kind.line)
        try:
            simulator.run()
        except _Stop:
            break
        except AssertionError as exc:  # a 4xx/5xx answer ends the call (already counted)
            if "answered" not in str(exc):
                with lock:
                    result.errors["flow"] += 1
                    result.samples.append(f"{kind.name}: {exc}"[:200])
            continue
        if caller.ran_out and not spec.bare:
            with lock:
                result.errors["flow"] += 1
                result.samples.append(f"{kind.name}: the script ran out")
        if clock.start <= time.monotonic() < clock.end:
            with lock:
                result.calls += 1


def _run_process(spec: Spec, token: str, begin_at: float, out: Any) -> None:
    TOKEN_HOLDER[0] = token
    cpu_before = sum(os.times()[:2])
    while time.monotonic() < begin_at:
        time.sleep(min(0.01, begin_at - time.monotonic()))
    clock = _Window(begin_at + spec.warmup, begin_at + spec.warmup + spec.seconds)
    result, lock = Result(), threading.Lock()
    slots = _Slots(spec.rate) if spec.mode == "rate" else None
    threads = [threading.Thread(target=_caller_thread, args=(spec, n, clock, slots, result, lock),
                                daemon=True) for n in range(spec.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=spec.warmup + spec.seconds + 40)
    result.cpu = sum(os.times()[:2]) - cpu_before
    result.seconds = spec.seconds
    result.latencies = dict(result.latencies)
    result.errors = dict(result.errors)
    out.send(result)
    out.close()


def play(url: str, token: str, *, mode: str, callers: int, seconds: float, warmup: float = 1.0,
         rate: float = 0.0, calls: int = 0, bare: bool = False, processes: int = 2,
         seed: int = 1) -> Result:
    """Load `url` for `seconds` (after `warmup`) and return what every request took.

    closed: `callers` without pause; rate: `rate` requests/s in total over `callers`
    threads; pace: `calls` simultaneous calls at CALLER_PAUSE, played by `callers` threads.
    """
    context = multiprocessing.get_context("fork")
    processes = max(1, min(processes, callers))
    shares = [callers // processes + (1 if n < callers % processes else 0)
              for n in range(processes)]
    begin_at = time.monotonic() + 0.3
    pipes, workers = [], []
    for n, share in enumerate(shares):
        pause = CALLER_PAUSE * callers / calls if mode == "pace" else 0.0
        spec = Spec(url=url, mode=mode, threads=share, seconds=seconds, warmup=warmup,
                    rate=rate * share / callers, pause=pause, bare=bare, seed=seed * 10 + n)
        receive, send = context.Pipe(duplex=False)
        worker = context.Process(target=_run_process, args=(spec, token, begin_at, send))
        worker.start()
        send.close()
        pipes.append(receive)
        workers.append(worker)
    total = Result()
    for receive in pipes:
        total.merge(receive.recv())
    for worker in workers:
        worker.join()
    return total
