"""The journal, its writer and the references it counts, without a web server."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.calllog import CallKey
from db.engine import make_session_factory
from db.models import Call, CallEvent
from ivr.references import Permutation, ReferenceMaker, is_valid_reference, new_reference
from journal import Journal, JournalUnavailable, JournalWriter, facts

KEY = b"k" * 32


def test_references_are_distinct_checked_and_nine_digits(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    make = ReferenceMaker(lambda n: journal.reserve("references", n), KEY, host=0)
    made = [make() for _ in range(5000)]
    assert len(set(made)) == len(made)
    assert all(len(r) == 9 and r[0] != "0" and is_valid_reference(r) for r in made)
    # Consecutive counters do not give neighbouring numbers: nothing to guess from.
    assert len({r[:3] for r in made[:100]}) > 50


def test_the_counter_survives_a_restart_and_hosts_never_meet(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    before = ReferenceMaker(lambda n: journal.reserve("references", n), KEY, host=0)
    first = {before() for _ in range(100)}
    # A new process on the same journal (a restart): the counter only moves forward.
    again = Journal(tmp_path / "journal.sqlite3")
    after = ReferenceMaker(lambda n: again.reserve("references", n), KEY, host=0)
    assert not first & {after() for _ in range(100)}
    # Another host, its own journal, the same key: a different part of the domain.
    other = Journal(tmp_path / "other.sqlite3")
    second_host = ReferenceMaker(lambda n: other.reserve("references", n), KEY, host=1)
    assert not first & {second_host() for _ in range(100)}


def test_the_permutation_is_a_bijection_on_a_sample() -> None:
    permute = Permutation(KEY)
    inputs = range(10_000_000, 10_000_000 + 20_000)
    outputs = {permute(value) for value in inputs}
    assert len(outputs) == len(inputs)
    assert all(10_000_000 <= value < 100_000_000 for value in outputs)
    assert Permutation(b"another key, 16+").__call__(10_000_000) != permute(10_000_000)


def test_old_eight_digit_references_stay_valid() -> None:
    old = new_reference()
    assert len(old) == 8 and is_valid_reference(old)
    assert not is_valid_reference(old[:-1] + str((int(old[-1]) + 1) % 10))


def _append_call(journal: Journal, sid: str, at) -> None:  # type: ignore[no-untyped-def]
    key = CallKey(sid, "gz-2023", "+8613800138000", "+862087756920")
    journal.append(facts.ANSWER, sid, facts.fact(key, at, refusal=None, result="menu",
                                                 language="cmn"))
    journal.append(facts.STEP, sid, facts.fact(key, at, step_no=1, step="menu",
                                               result="not_listed", digits="9",
                                               referred=True))
    journal.append(facts.STATUS, sid, facts.fact(key, at, status="completed", sequence=1,
                                                 duration=30))


def test_the_writer_applies_in_order_once_and_compacts(engine, tmp_path, clock) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    writer = JournalWriter(journal, make_session_factory(engine, writer=True), engine,
                           new_reference=new_reference)
    sid = "CA" + "1" * 32
    _append_call(journal, sid, clock())
    _append_call(journal, sid, clock())  # Twilio retried every request
    assert journal.stats().depth == 6
    assert writer.drain() == 6
    assert journal.stats().depth == 0
    with Session(engine) as session:
        call = session.scalar(select(Call).where(Call.call_sid == sid))
        assert call.outcome == "referred" and call.duration_seconds == 30
        assert session.scalar(select(func.count()).select_from(CallEvent)) == 2


def test_an_entry_the_database_refuses_is_parked_not_blocking(engine, tmp_path, clock) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    writer = JournalWriter(journal, make_session_factory(engine, writer=True), engine,
                           new_reference=new_reference)
    key = CallKey("CA" + "2" * 32, "gz-2023", None, None)
    journal.append(facts.STEP, key.call_sid, facts.fact(key, clock(), step_no=1))  # no result
    _append_call(journal, "CA" + "3" * 32, clock())
    for _ in range(3):
        writer.drain()
    stats = journal.stats()
    assert (stats.depth, stats.parked) == (0, 1)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 1


def test_concurrent_appends_share_commits_and_all_are_durable(tmp_path: Path) -> None:
    """Request threads appending at once: each gets its own entry back, on disk, and the
    group commit wrote them with fewer transactions (fsyncs) than entries."""
    threads_count = 12
    commits: list[int] = []

    def on_commit(entries: int) -> None:
        if not commits:
            # Hold the first commit until every other thread waits behind it, so that the
            # grouping does not depend on the scheduler.
            deadline = time.monotonic() + 30
            while journal.queued() < threads_count - 1 and time.monotonic() < deadline:
                time.sleep(0.001)
        commits.append(entries)

    journal = Journal(tmp_path / "journal.sqlite3", on_commit=on_commit)
    start = threading.Barrier(threads_count)
    returned: dict[str, int] = {}

    def request(number: int) -> None:
        sid = f"CA{number:032d}"
        start.wait()
        returned[sid] = journal.append(facts.ANSWER, sid, {"sid": sid, "n": number})

    threads = [threading.Thread(target=request, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(commits) == threads_count and len(commits) < threads_count
    # Another connection, as after a restart: every returned entry is there, as appended.
    stored = {entry.call_sid: entry for entry in Journal(journal.path).pending(100)}
    assert {sid: entry.seq for sid, entry in stored.items()} == returned
    assert all(entry.payload["sid"] == sid for sid, entry in stored.items())


def test_a_failed_group_commit_fails_every_append_in_it(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    blocker = sqlite3.connect(journal.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock too long
    try:
        with pytest.raises(JournalUnavailable):
            journal.append(facts.ANSWER, "CA" + "7" * 32, {"sid": "CA" + "7" * 32})
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    # The next append leads a group of its own and succeeds.
    assert journal.append(facts.ANSWER, "CA" + "8" * 32, {"sid": "CA" + "8" * 32}) > 0
    assert [entry.call_sid for entry in journal.pending(10)] == ["CA" + "8" * 32]


def test_one_writer_per_host_drains(tmp_path) -> None:
    """The lock beside the journal is exclusive across processes (flock)."""
    journal = Journal(tmp_path / "journal.sqlite3")
    lock = str(journal.path) + ".writer-lock"
    held = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(held, fcntl.LOCK_EX)
    pid = os.fork()
    if pid == 0:  # another worker of the host
        other = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os._exit(1)
        except BlockingIOError:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    os.close(held)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_second_host_has_its_own_journal(tmp_path) -> None:
    from hotline.settings import Settings

    first = Settings.from_env({"HOTLINE_INSTANCE_PATH": str(tmp_path / "a")})
    second = Settings.from_env({"HOTLINE_JOURNAL_PATH": str(tmp_path / "b" / "j.sqlite3"),
                                "HOTLINE_HOST_NUMBER": "1"})
    assert first.journal_file == tmp_path / "a" / "journal.sqlite3"
    assert second.journal_file == tmp_path / "b" / "j.sqlite3" and second.host_number == 1


@pytest.mark.parametrize("value", ["9", "x", "-1"])
def test_a_bad_host_number_stops_start_up(value: str) -> None:
    from hotline.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="HOTLINE_HOST_NUMBER"):
        Settings.from_env({"HOTLINE_HOST_NUMBER": value})


def test_the_journal_command_shows_and_drains(engine, tmp_path, clock, monkeypatch) -> None:
    from click.testing import CliRunner

    from hotline.cli import main

    path = tmp_path / "journal.sqlite3"
    monkeypatch.setenv("HOTLINE_JOURNAL_PATH", str(path))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    journal = Journal(path)
    key = CallKey("CA" + "4" * 32, "gz-2023", None, None)
    journal.append(facts.STEP, key.call_sid, facts.fact(key, clock(), step_no=1))  # refused
    _append_call(journal, "CA" + "5" * 32, clock())
    journal.park(journal.pending(1)[0].seq, 3)
    status = CliRunner().invoke(main, ["journal", "status"])
    assert status.exit_code == 0 and "3 entries waiting" in status.output
    assert "1 parked" in status.output
    drained = CliRunner().invoke(main, ["journal", "drain"])
    assert drained.exit_code == 0, drained.output
    assert "3 entr(ies) applied; 0 waiting, 1 parked" in drained.output
    again = CliRunner().invoke(main, ["journal", "drain", "--parked"])
    assert "1 parked entr(ies) put back in line" in again.output


def test_the_journal_is_private_and_forgets_what_it_applied(engine, tmp_path, clock) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    assert journal.path.stat().st_mode & 0o777 == 0o600
    _append_call(journal, "CA" + "6" * 32, clock())
    JournalWriter(journal, make_session_factory(engine, writer=True), engine,
                  new_reference=new_reference).drain()
    journal.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("journal.sqlite3*") if p.is_file())
    assert b"8613800138000" not in raw  # compacted away, bytes and all
