"""The writer: drains the journal into the database, in order, in batches.

Every web process runs one as a daemon thread, and exactly one per host drains
at a time: the holder of an exclusive `flock` on a lock file beside the
journal. If that process dies (even by SIGKILL) the kernel releases the lock
and another process's writer takes over within a second. Each batch is one
database transaction; only after it commits are its entries deleted from the
journal, so a crash in between re-applies them, which the call log's keys make
harmless. While the database is away (refused, stalled past the timeouts, the
file gone) the writer backs off (0.25 s doubling to 5 s) and tries again; the
journal keeps everything meanwhile.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from journal.facts import apply_fact
from journal.store import Entry, Journal, JournalUnavailable

log = logging.getLogger("hotline.journal")

BATCH = 200
IDLE_SECONDS = 0.2        # how often an idle writer looks for new entries
# Woken by a webhook, the writer waits this long first, so that the entries of the next
# few webhooks share one database transaction and one journal compaction (applied one
# by one, each paid both). Durability does not wait on it: the journal already has them.
GATHER_SECONDS = 0.05
LOCK_RETRY_SECONDS = 0.5  # how often a standby writer tries to take over
MAX_BACKOFF_SECONDS = 5.0
PARK_AFTER = 3            # attempts before an entry the database refuses is set aside


class DatabaseAway(Exception):
    """The database cannot take writes right now (refused, timed out, locked, gone)."""


def _is_away(exc: BaseException) -> bool:
    if isinstance(exc, (OperationalError, PoolTimeout)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class JournalWriter:
    def __init__(self, journal: Journal, sessions: sessionmaker[Session], engine: Engine, *,
                 new_reference: Callable[[], str],
                 on_applied: Callable[[int], None] | None = None,
                 on_failure: Callable[[], None] | None = None) -> None:
        self.journal = journal
        self.sessions = sessions
        self.engine = engine
        self.new_reference = new_reference
        self.on_applied = on_applied
        self.on_failure = on_failure
        self.lock_path = journal.path.with_name(journal.path.name + ".writer-lock")
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._start_lock = threading.Lock()
        self._attempts: dict[int, int] = {}

    # --- applying ---------------------------------------------------------------------------

    def _apply(self, entries: list[Entry]) -> None:
        with self.sessions.begin() as session:
            for entry in entries:
                apply_fact(session, entry.kind, entry.payload, self.new_reference)

    def _apply_batch(self, entries: list[Entry]) -> int:
        try:
            self._apply(entries)
        except Exception as exc:
            if _is_away(exc):
                raise DatabaseAway(type(getattr(exc, "orig", None) or exc).__name__) from exc
            return self._apply_one_by_one(entries)
        self.journal.remove(entry.seq for entry in entries)
        return len(entries)

    def _apply_one_by_one(self, entries: list[Entry]) -> int:
        """A batch failed for something in it: find the entry, let the others through."""
        applied = []
        try:
            for entry in entries:
                try:
                    self._apply([entry])
                except Exception as exc:
                    if _is_away(exc):
                        raise DatabaseAway(type(exc).__name__) from exc
                    attempts = self._attempts.get(entry.seq, entry.attempts) + 1
                    self._attempts[entry.seq] = attempts
                    if self.on_failure:
                        self.on_failure()
                    # The entry's kind and the error class only: no caller data in logs.
                    log.error("journal entry %s (%s) refused by the database: %s (attempt %s)",
                              entry.seq, entry.kind, type(exc).__name__, attempts)
                    if attempts >= PARK_AFTER:
                        self.journal.park(entry.seq, attempts)
                        self._attempts.pop(entry.seq, None)
                    else:
                        break  # keep the call's order: try it again before what follows
                else:
                    applied.append(entry.seq)
        finally:
            self.journal.remove(applied)
        return len(applied)

    def _drain_locked(self) -> int:
        total = 0
        while entries := self.journal.pending(BATCH):
            done = self._apply_batch(entries)
            total += done
            if self.on_applied and done:
                self.on_applied(done)
            if done == 0:
                break
        return total

    # --- the lock ---------------------------------------------------------------------------

    def _open_lock(self) -> int:
        return os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)

    def drain(self) -> int:
        """Apply everything pending now, in this thread (tests, `hotline call`, shutdown).

        Waits for the host's lock; a DatabaseAway or JournalUnavailable is raised to the
        caller. Returns the number of entries applied.
        """
        fd = self._open_lock()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            return self._drain_locked()
        finally:
            os.close(fd)

    def drain_quietly(self) -> None:
        """drain(), logging instead of raising: the entries wait in the journal."""
        try:
            self.drain()
        except (DatabaseAway, JournalUnavailable, SQLAlchemyError) as exc:
            log.warning("journal: the database is not taking writes (%s); entries wait in the "
                        "journal", exc)

    # --- the thread -------------------------------------------------------------------------

    def start(self) -> None:
        """Start this process's writer thread (again after a fork: threads do not survive it)."""
        with self._start_lock:
            if (self._pid == os.getpid() and self._thread is not None
                    and self._thread.is_alive()):
                return
            self._pid = os.getpid()
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="journal-writer",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def notify(self) -> None:
        """A new entry is in the journal: look now rather than at the next tick."""
        if self._pid != os.getpid():
            self.start()
        self._wake.set()

    def _run(self) -> None:
        fd = self._open_lock()
        holding = False
        backoff = 0.0
        away_since: float | None = None
        try:
            while not self._stop.is_set():
                if not holding:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        holding = True
                    except BlockingIOError:
                        self._stop.wait(LOCK_RETRY_SECONDS)
                        continue
                try:
                    applied = self._drain_locked()
                except (DatabaseAway, JournalUnavailable, SQLAlchemyError) as exc:
                    if away_since is None:
                        away_since = time.monotonic()
                        log.warning("journal: cannot apply entries (%s); retrying with back-off",
                                    exc)
                        if self.on_failure:
                            self.on_failure()
                    with contextlib.suppress(Exception):
                        self.engine.dispose()  # drop connections the outage broke
                    backoff = min(max(backoff * 2, 0.25), MAX_BACKOFF_SECONDS)
                    self._stop.wait(backoff)
                    continue
                except Exception:
                    log.exception("journal writer: unexpected error; retrying in a second")
                    self._stop.wait(1.0)
                    continue
                if away_since is not None:
                    log.warning("journal: the database takes writes again after %.1f s",
                                time.monotonic() - away_since)
                    away_since = None
                backoff = 0.0
                if not applied:
                    if self._wake.wait(IDLE_SECONDS):
                        self._stop.wait(GATHER_SECONDS)
                    self._wake.clear()
        finally:
            os.close(fd)  # releases the lock for the next process
