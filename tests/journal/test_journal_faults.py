"""Bursts of whole calls against `hotline serve` (gunicorn, three workers) through real faults.

Each test plays calls while the database refuses, stalls or vanishes, or while
the web process is killed with SIGKILL and started again, then checks the
export: every call, choice, report, reference and recording is there exactly
once, every webhook answered within 2 s, and no caller heard anything but the
menu. The journal's real background writer does the work (no inline drain).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from db.engine import make_engine
from db.migrate import upgrade
from db.models import Call, CallEvent
from hotline.simulator import CallSimulator, HttpTransport, ScriptedCaller
from journal import Journal
from tests.helpers import ROOT, free_port, heard_references, write_campaign

LINE = "+14155550100"
SCRIPT = ["1", "1", "r20", "2"]        # Mandarin, political, a message, finish
STEPS_PER_CALL = 5                     # voice, language, menu, recorded, after
BUDGET = 2.0                           # seconds a webhook may take, whatever the database does
PACE = 0.1                             # seconds a caller takes between two requests (compressed)
# The "database down for a minute" test: seconds of real outage, past the writer's longest
# back-off (5 s) twice over, yet short enough for the suite's 10-minute budget (set
# HOTLINE_LONG_OUTAGE_SECONDS=60 for the full minute).
LONG_OUTAGE = float(os.environ.get("HOTLINE_LONG_OUTAGE_SECONDS", "12"))
BIT = "journal: cannot apply entries"  # the writer's log line when the fault bites


class Host:
    """`hotline serve --workers 3` in its own process group, so SIGKILL takes it all."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.port = env, port
        self.url = f"http://127.0.0.1:{port}"
        self.output = ""
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hotline", "serve", "--port", str(self.port),
             "--workers", "3"], cwd=self.env["HOTLINE_INSTANCE_PATH"], env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1):
                    return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("hotline serve did not start in 30 s")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.output += self.process.communicate()[0]

    def stop(self) -> str:
        if self.process.returncode is not None:
            return self.output
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.output += self.process.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.output += self.process.communicate()[0]
        return self.output


@dataclass
class Played:
    """What the callers did and were told, as Twilio would see it."""

    calls: list[tuple[str, str, str]] = field(default_factory=list)  # sid, reference, RE…
    timings: list[tuple[int, float]] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)
    refused_while_down: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class TimedTransport:
    """Signed HTTP as Twilio sends it; a refused connection (the host being restarted) is
    tried again, as Twilio's connection overrides and the caller's next step would."""

    def __init__(self, token: str, played: Played) -> None:
        self.http = HttpTransport(token, timeout=15)
        self.played = played

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        time.sleep(PACE)
        for _ in range(300):
            started = time.monotonic()
            try:
                code, body = self.http.post(url, params)
            except (OSError, http.client.HTTPException):  # refused, reset, cut off mid-answer
                with self.played.lock:
                    self.played.refused_while_down += 1
                time.sleep(0.1)
                continue
            with self.played.lock:
                self.played.timings.append((code, time.monotonic() - started))
            return code, body
        raise AssertionError("the host never came back")


def play_calls(host: Host, token: str, played: Played, count: int, at_once: int = 4,
               until: threading.Event | None = None) -> None:
    """`count` calls, `at_once` at a time (or, with `until`, keep calling until it is set)."""
    remaining = [count]

    def caller() -> None:
        while True:
            with played.lock:
                if until is None and remaining[0] <= 0:
                    return
                remaining[0] -= 1
            if until is not None and until.is_set():
                return
            result = CallSimulator(TimedTransport(token, played), host.url,
                                   ScriptedCaller(SCRIPT), from_number="+8613800138000",
                                   to_number=LINE).run()
            reference = heard_references(result.heard)[0]
            with played.lock:
                played.calls.append((result.call_sid, reference, result.recordings[0]))
                played.heard += result.heard

    threads = [threading.Thread(target=caller) for _ in range(at_once)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)


@pytest.fixture
def line(engine: Engine, tmp_path: Path) -> Iterator[tuple[Host, str, Engine, Path]]:
    """A served line on the backend's database (SQLite: a file of this test's own)."""
    campaigns = tmp_path / "campaigns"
    campaigns.mkdir()
    write_campaign(campaigns, hours='["00:00", "24:00"]', closes="2099-12-31")
    instance = tmp_path / "instance"
    instance.mkdir()
    served = engine
    if engine.dialect.name == "sqlite":
        (tmp_path / "db").mkdir()
        served = make_engine(f"sqlite:///{tmp_path / 'db' / 'hotline.sqlite3'}")
        upgrade(served)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "HOTLINE_"))}
    env.update({"HOTLINE_DATABASE_URL": served.url.render_as_string(hide_password=False),
                "HOTLINE_CAMPAIGNS": str(campaigns), "HOTLINE_INSTANCE_PATH": str(instance),
                "PYTHONPATH": str(ROOT)})
    host = Host(env, free_port())
    token = (instance / "twilio-local-auth-token").read_text().strip()
    try:
        yield host, token, served, instance
    finally:
        output = host.stop()
        assert "Traceback" not in output, output
        assert "8613800138000" not in output  # no caller data in the log, faults or not
        if served is not engine:
            served.dispose()


def check(played: Played, host: Host, served: Engine, instance: Path, what: str) -> None:
    """Drained, exported, and every fact there exactly once."""
    journal = Journal(instance / "journal.sqlite3")
    deadline = time.monotonic() + 60
    while journal.stats().depth and time.monotonic() < deadline:
        time.sleep(0.1)
    assert journal.stats().depth == 0 and journal.stats().parked == 0
    exported = json.loads(subprocess.run(
        [sys.executable, "-m", "hotline", "export", "calls"], cwd=instance, env=host.env,
        capture_output=True, text=True, timeout=60, check=True).stdout)
    by_sid = {c["call_sid"]: c for c in exported}
    with Session(served) as session:
        events = dict(session.execute(select(Call.call_sid, func.count(CallEvent.id))
                                      .join(CallEvent).group_by(Call.call_sid)).all())
    found_reports = sum(len(c["reports"]) for c in exported)
    slow = [t for code, t in played.timings if t >= BUDGET]
    print(f"\n{what}: played {len(played.calls)} calls, {len(played.timings)} webhooks "
          f"({played.refused_while_down} refused while the host was down); found "
          f"{len(exported)} calls, {sum(events.values())} steps, {found_reports} reports; "
          f"slowest answer {max(t for _, t in played.timings):.3f} s")
    assert len(exported) == len(by_sid) == len(played.calls)
    for call_sid, reference, recording in played.calls:
        call = by_sid[call_sid]
        assert call["outcome"] == "reported" and call["status"] == "completed"
        assert events[call_sid] == STEPS_PER_CALL
        [report] = call["reports"]
        assert (report["category"], report["reference"], report["recording_sid"]) == \
            ("political", reference, recording)
    assert len({r for _, r, _ in played.calls}) == len(played.calls)
    assert {code for code, _ in played.timings} <= {200, 204}
    assert not slow, f"{len(slow)} webhooks took {BUDGET} s or more: {max(slow):.2f} s"
    assert not [h for h in played.heard if "故障" in h]  # nobody heard of a problem


# --- the faults ------------------------------------------------------------------------------

def _admin(served: Engine) -> Engine:
    return make_engine(served.url.set(database="postgres").render_as_string(
        hide_password=False), isolation_level="AUTOCOMMIT")


def refuse(served: Engine, seconds: float) -> None:
    """PostgreSQL refuses new connections and drops the open ones; SQLite's folder vanishes
    (an unmounted volume), then both come back."""
    if served.dialect.name == "postgresql":
        name = served.url.database
        admin = _admin(served)
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
            time.sleep(seconds)
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
        return
    folder = Path(served.url.database).parent
    hidden = folder.with_name("db-away")
    shutil.move(folder, hidden)
    time.sleep(seconds)
    shutil.move(hidden, folder)


def stall(served: Engine, seconds: float) -> None:
    """A lock held on the call log: statements wait rather than fail."""
    if served.dialect.name == "postgresql":
        with served.connect() as connection:
            connection.execute(text("LOCK TABLE calls IN ACCESS EXCLUSIVE MODE"))
            time.sleep(seconds)
            connection.rollback()
        return
    holder = sqlite3.connect(served.url.database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    time.sleep(seconds)
    holder.execute("ROLLBACK")
    holder.close()


def during(fault: Callable[[], None], host: Host, token: str, at_once: int = 4) -> Played:
    """Calls keep coming, `at_once` at a time, from a second before the fault until it is
    over; the fault begins while calls are in flight."""
    played = Played()
    over = threading.Event()

    def run_fault() -> None:
        time.sleep(1.0)
        try:
            fault()
        finally:
            over.set()

    worker = threading.Thread(target=run_fault)
    worker.start()
    play_calls(host, token, played, 0, at_once=at_once, until=over)
    worker.join(300)
    return played


def test_a_burst_while_the_database_refuses(line) -> None:
    host, token, served, instance = line
    played = during(lambda: refuse(served, 4), host, token, at_once=2)
    check(played, host, served, instance, f"refused ({served.dialect.name}, 4 s)")
    if served.dialect.name == "postgresql":
        # (SQLite's open connection keeps writing through the files it has open when
        # their folder moves; new connections fail. Webhooks never notice either way.)
        assert BIT in host.stop()


def test_a_burst_while_the_database_stalls(line) -> None:
    host, token, served, instance = line
    played = during(lambda: stall(served, 5), host, token, at_once=2)
    check(played, host, served, instance, f"stalled ({served.dialect.name}, 5 s)")
    assert BIT in host.stop()


def test_the_web_process_killed_mid_burst(line) -> None:
    host, token, served, instance = line

    def kill_and_restart() -> None:
        host.kill()
        time.sleep(0.5)
        host.start()
        time.sleep(2.0)  # and more calls on the new processes

    played = during(kill_and_restart, host, token, at_once=4)
    assert played.refused_while_down > 0, "no request met the dead host"
    check(played, host, served, instance, f"SIGKILL ({served.dialect.name})")


def test_a_journal_filled_while_the_database_is_down_then_drained(line) -> None:
    host, token, served, instance = line
    fault = refuse if served.dialect.name == "postgresql" else stall
    played = during(lambda: fault(served, LONG_OUTAGE), host, token, at_once=1)
    check(played, host, served, instance,
          f"down {LONG_OUTAGE:.0f} s ({served.dialect.name})")
    assert BIT in host.stop()
