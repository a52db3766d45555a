"""The servers under test, started as a user would, and what they cost the machine.

`hotline serve` and the bare endpoint (`python -m bench.bare`) run as child
processes with the same gunicorn settings (gthread, the same workers and
threads). A server's cost is read from /proc: the user + system CPU time of
every process in its tree (the master, the workers and every thread in them,
the journal writer included) and the sum of their resident memory.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.engine import make_engine
from db.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "campaigns" / "guangzhou-2023.toml"
TOKEN = "bench-" + "0123456789abcdef" * 2
OPEN_NUMBER = "+862087756920"
CLOSED_NUMBER = "+862087756921"
POSTGRES_ADMIN = os.environ.get("HOTLINE_BENCH_POSTGRES_URL",
                                "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- campaigns that are open (and one closed) today ---------------------------------------------

def write_campaigns(folder: Path, today: datetime | None = None) -> Path:
    """The seed campaign, open all day until 2099, and its twin line that is closed today."""
    folder.mkdir(parents=True, exist_ok=True)
    seed = SEED.read_text(encoding="utf-8")
    seed = re.sub(r"^closes = .*$", "closes = 2099-12-31", seed, flags=re.M)
    open_line = re.sub(r"^hours = .*$", 'hours = ["00:00", "24:00"]', seed, flags=re.M)
    (folder / "open.toml").write_text(open_line, encoding="utf-8")
    now = (today or datetime.now(UTC)).date()
    closed_days = ", ".join(str(now + timedelta(days=d)) for d in (-1, 0, 1))
    closed = re.sub(r'^id = .*$', 'id = "gz-closed"', open_line, count=1, flags=re.M)
    closed = closed.replace(OPEN_NUMBER, CLOSED_NUMBER)
    closed = re.sub(r"^(hours = .*)$", rf"\1\nclosed_on = [{closed_days}]", closed, count=1,
                    flags=re.M)
    (folder / "closed.toml").write_text(closed, encoding="utf-8")
    return folder


# --- databases the bench makes and drops ---------------------------------------------------------

@contextmanager
def bench_database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh, migrated database of its own: an SQLite file, or a throw-away PostgreSQL one."""
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'served.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    admin = make_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"hotline_bench_{os.getpid()}_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN).set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_reachable() -> str | None:
    """None when the bench's PostgreSQL answers, else why not."""
    try:
        admin = make_engine(POSTGRES_ADMIN, connect_args={"connect_timeout": 3})
        with admin.connect() as connection:
            connection.execute(text("select 1"))
        admin.dispose()
    except Exception as exc:
        return str(exc).strip().splitlines()[0]
    return None


# --- the process tree ----------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
    except OSError:
        pass
    return found


def process_tree(pid: int) -> list[int]:
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        tree.append(current)
        queue.extend(_children(current))
    return tree


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of every live process of the tree (every thread included)."""
    total = 0
    for member in process_tree(pid):
        try:
            with open(f"/proc/{member}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / TICKS


def tree_rss_bytes(pid: int) -> int:
    total = 0
    for member in process_tree(pid):
        try:
            with open(f"/proc/{member}/statm") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except OSError:
            continue
    return total


class MemoryWatch:
    """Samples a tree's resident memory in the background; `peak` is the largest sum seen."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid, self.interval, self.peak = pid, interval, tree_rss_bytes(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, tree_rss_bytes(self.pid))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


# --- starting and stopping -----------------------------------------------------------------------

@dataclass
class Server:
    """A gunicorn server running as a child process; `url` is its origin."""

    label: str
    process: subprocess.Popen[str]
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.log.read_text(errors="replace")


def _environment(folder: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "HOTLINE_"))}
    env.update({
        "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_CAMPAIGNS": str(write_campaigns(folder / "campaigns")),
        "HOTLINE_INSTANCE_PATH": str(folder / "instance"),
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PYTHONPATH": str(ROOT),
    })
    (folder / "instance").mkdir(parents=True, exist_ok=True)
    return env


def _start(label: str, command: list[str], env: dict[str, str], folder: Path,
           health: str) -> Server:
    port = free_port()
    log = folder / f"{label}.log"
    with log.open("w") as out:
        # The bench's own fixed commands (this interpreter, -m hotline / bench.bare).
        process = subprocess.Popen([*command, "--port", str(port)], cwd=folder, env=env,  # noqa: S603
                                   stdout=out, stderr=subprocess.STDOUT, text=True)
    server = Server(label, process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{label} exited at start-up:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(server.url + health, timeout=1) as response:  # noqa: S310
                if response.status == 200 and len(process_tree(process.pid)) > 1:
                    time.sleep(0.5)  # every worker forked and listening
                    return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{label} did not become healthy in 60 s:\n{log.read_text()}")


def start_hotline(folder: Path, database_url: str, workers: int, threads: int) -> Server:
    folder.mkdir(parents=True, exist_ok=True)
    env = _environment(folder, database_url)
    return _start("hotline", [sys.executable, "-m", "hotline", "serve", "--workers",
                              str(workers), "--threads", str(threads)], env, folder, "/healthz")


def start_bare(folder: Path, workers: int, threads: int) -> Server:
    folder.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "HOTLINE_"))}
    env["PYTHONPATH"] = str(ROOT)
    return _start("bare", [sys.executable, "-m", "bench.bare", "--workers", str(workers),
                           "--threads", str(threads)], env, folder, "/healthz")
