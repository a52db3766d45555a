"""The journal file: an SQLite database on local disk, one per host.

Why SQLite rather than a segmented log of our own: it already gives what the
webhook path needs, tested for decades. An append is one short transaction in
WAL mode with `synchronous=FULL`, so it is on disk (fsync'd) when `append`
returns and survives `kill -9` of the process at any instant; several gunicorn
workers append at once through SQLite's own file locking; the writer reads in
order and deletes what it applied in transactions of its own, so a crash
between the two only ever re-applies (the call log's keys make that harmless).

Each thread keeps its own connection (a pid check drops connections inherited
across gunicorn's fork).

Group commit: the appends of one process's request threads that arrive while an
append is being written wait for it, then go to disk together, in one IMMEDIATE
transaction and one fsync, written by one of them (the leader) for the others.
Each still returns only once its own entry is durable. Other processes' appends
serialize with these on SQLite's lock as before, within the same busy timeout.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# Well under Twilio's patience and our own 2 s budget: an append waits at most this
# long for another worker's append (each takes a millisecond or two).
BUSY_TIMEOUT_MS = 1500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    call_sid TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    appended_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    parked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS entries_pending ON entries (parked, seq);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class JournalUnavailable(RuntimeError):
    """The journal file cannot be written (disk full, unwritable, locked too long)."""


@dataclass
class _Append:
    """One request's entry waiting for a group commit; done once it is durable or failed."""

    row: tuple[str, str, str, float]
    done: threading.Event = field(default_factory=threading.Event)
    seq: int | None = None
    error: JournalUnavailable | None = None


@dataclass(frozen=True)
class Entry:
    seq: int
    call_sid: str
    kind: str
    payload: dict[str, Any]
    appended_at: float
    attempts: int


class Journal:
    """Append-only facts, durable before a webhook answers."""

    def __init__(self, path: Path, *, on_commit: Callable[[int], None] | None = None) -> None:
        self.path = Path(path)
        # Told the number of entries each group commit made durable (one fsync each).
        self.on_commit = on_commit
        self._group_lock = threading.Lock()
        self._queue: list[_Append] = []
        self._leading = False
        self._group_pid = os.getpid()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Callers' numbers pass through here: only the service's user may read the file
        # (SQLite gives its -wal and -shm files the same mode).
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        self._local = threading.local()
        self._connection().executescript(_SCHEMA)
        # No connection is kept open by whoever made the journal (gunicorn's master):
        # SQLite connections must not cross a fork.
        self.close()

    # --- connections ------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.connection = None
            local.pid = os.getpid()
        if local.connection is None:
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000,
                                         isolation_level=None, check_same_thread=True)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            # Applied entries are deleted with their bytes overwritten, not left in free pages.
            connection.execute("PRAGMA secure_delete=ON")
            connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            local.connection = connection
        opened: sqlite3.Connection = local.connection
        return opened

    def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(connection)` in one IMMEDIATE transaction; errors become
        JournalUnavailable (and the connection is reopened next time)."""
        try:
            connection = self._connection()
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(connection)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            return result
        except sqlite3.Error as exc:
            self.close()
            raise JournalUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None and getattr(self._local, "pid", None) == os.getpid():
            with contextlib.suppress(sqlite3.Error):
                connection.close()
        self._local.connection = None

    # --- the webhook side ------------------------------------------------------------------

    def append(self, kind: str, call_sid: str, payload: dict[str, Any]) -> int:
        """Write one fact durably; its sequence number. Raises JournalUnavailable."""
        text = json.dumps(payload, separators=(",", ":"), sort_keys=True)
        waiting = _Append((call_sid, kind, text, time.time()))
        if self._group_pid != os.getpid():
            self._reset_group()  # a lock held across a fork would never be released
        with self._group_lock:
            self._queue.append(waiting)
            leads = not self._leading
            self._leading = True
        if not leads:
            waiting.done.wait()  # the leader wrote it, or handed this thread the lead
        if waiting.seq is None and waiting.error is None:
            self._commit_group()
        if waiting.error is not None:
            raise waiting.error
        assert waiting.seq is not None  # an INSERT always gives its row id
        return waiting.seq

    def queued(self) -> int:
        """Appends of this process waiting for the next group commit."""
        with self._group_lock:
            return len(self._queue)

    def _reset_group(self) -> None:
        self._group_lock = threading.Lock()
        self._queue = []
        self._leading = False
        self._group_pid = os.getpid()

    def _commit_group(self) -> None:
        """As the leader: write every queued append in one transaction, then wake them, and
        hand the lead to the first of those that queued meanwhile."""
        with self._group_lock:
            group, self._queue = self._queue, []
        try:
            sequences = self._write(lambda c: [c.execute(
                "INSERT INTO entries (call_sid, kind, payload, appended_at) "
                "VALUES (?, ?, ?, ?)", waiting.row).lastrowid for waiting in group])
        except JournalUnavailable as exc:
            for waiting in group:
                waiting.error = exc
        except BaseException as exc:
            for waiting in group:
                waiting.error = JournalUnavailable(type(exc).__name__)
            raise
        else:
            for waiting, sequence in zip(group, sequences, strict=True):
                waiting.seq = sequence
            if self.on_commit:
                self.on_commit(len(group))
        finally:
            with self._group_lock:
                if self._queue:
                    self._queue[0].done.set()  # no result yet: it leads the next group
                else:
                    self._leading = False
            for waiting in group:
                waiting.done.set()

    def reserve(self, name: str, count: int) -> range:
        """`count` fresh values of a counter that never goes back (kept in this file)."""
        def work(connection: sqlite3.Connection) -> int:
            connection.execute("INSERT OR IGNORE INTO counters (name, value) VALUES (?, 0)",
                               (name,))
            row = connection.execute(
                "UPDATE counters SET value = value + ? WHERE name = ? RETURNING value",
                (count, name)).fetchone()
            return int(row[0])
        end = self._write(work)
        return range(end - count, end)

    def check_writable(self) -> None:
        """Raises JournalUnavailable unless a write transaction can be taken right now."""
        self._write(lambda c: c.execute(
            "INSERT OR REPLACE INTO counters (name, value) VALUES ('health', ?)",
            (int(time.time()),)))

    # --- the writer side -------------------------------------------------------------------

    def pending(self, limit: int) -> list[Entry]:
        """The oldest entries not yet applied, in append order."""
        rows = self._connection().execute(
            "SELECT seq, call_sid, kind, payload, appended_at, attempts FROM entries "
            "WHERE parked = 0 ORDER BY seq LIMIT ?", (limit,)).fetchall()
        return [Entry(seq, sid, kind, json.loads(payload), at, attempts)
                for seq, sid, kind, payload, at, attempts in rows]

    def remove(self, seqs: Iterable[int]) -> None:
        """Compaction: entries applied to the database leave the journal."""
        numbers = [(seq,) for seq in seqs]
        if numbers:
            self._write(lambda c: c.executemany("DELETE FROM entries WHERE seq = ?", numbers))

    def park(self, seq: int, attempts: int) -> None:
        """An entry the database refuses for its content (not for being away): set aside,
        kept, counted, so that it does not hold up the calls behind it."""
        self._write(lambda c: c.execute(
            "UPDATE entries SET parked = 1, attempts = ? WHERE seq = ?", (attempts, seq)))

    def unpark(self) -> int:
        """Put every parked entry back in line (after the cause was fixed)."""
        return self._write(lambda c: c.execute(
            "UPDATE entries SET parked = 0, attempts = 0 WHERE parked = 1").rowcount)

    def stats(self) -> JournalStats:
        row = self._connection().execute(
            "SELECT count(*), min(CASE WHEN parked = 0 THEN appended_at END), sum(parked) "
            "FROM entries").fetchone()
        count, oldest, parked = row[0], row[1], row[2] or 0
        return JournalStats(depth=count - parked, parked=parked,
                            oldest_age=(time.time() - oldest) if oldest else 0.0)


@dataclass(frozen=True)
class JournalStats:
    depth: int           # entries not yet in the database
    parked: int          # entries the database refused (kept for an operator)
    oldest_age: float    # seconds since the oldest entry still in the journal was appended
