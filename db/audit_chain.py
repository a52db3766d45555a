"""The audit log as a hash chain, so that a line edited, removed or put out of order in
the database is found.

Each line carries `prev_hash`, the hash of the line before it (GENESIS for the first),
and `hash` = SHA-256(prev_hash, "\\n", its canonical content). The canonical content is
the UTF-8 of a compact JSON array: [at, actor, action, target, detail, address], `at` in
UTC as ISO 8601 with microseconds and no offset, absent values as null. The order is
the lines' ids.

Writers must not fork the chain (two lines naming the same predecessor). On PostgreSQL
a writer takes a transaction-scoped advisory lock before it reads the head, held until
its transaction ends; on SQLite the database's single write lock does the same.

Removing the newest lines leaves a shorter chain that is still whole: `hotline audit
verify` prints the head's hash so that it can be noted elsewhere and compared later.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.user_models import AuditEvent

GENESIS = "0" * 64
# pg_advisory_xact_lock's key for the audit chain ("hotline audit" folded into 63 bits).
LOCK_KEY = int.from_bytes(hashlib.sha256(b"hotline audit chain").digest()[:8], "big") >> 1


def canonical(at: datetime, actor: str, action: str, target: str | None,
              detail: str | None, address: str | None) -> bytes:
    """A line's content as the bytes that are hashed (naive `at` is UTC, as stored)."""
    moment = at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
    fields = [moment.isoformat(timespec="microseconds"), actor, action, target, detail,
              address]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def digest(prev_hash: str, content: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + content).hexdigest()


def _content(event: AuditEvent) -> bytes:
    return canonical(event.at, event.actor, event.action, event.target, event.detail,
                     event.address)


def seal(session: Session, event: AuditEvent) -> None:
    """Link a new line to the chain's head; call it just before the line is flushed."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))
    head = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    event.prev_hash = head or GENESIS
    event.hash = digest(event.prev_hash, _content(event))


@dataclass(frozen=True)
class ChainBreak:
    line_id: int
    at: datetime
    reason: str  # "edited": its content does not match its hash; "unlinked": it does
    #              not name the line before it (one removed, inserted or reordered)


@dataclass(frozen=True)
class Verdict:
    lines: int                     # lines checked before the break (all, when whole)
    head: str                      # the hash of the last good line
    broken: ChainBreak | None


def _lines(session: Session, batch: int) -> Iterator[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=batch)
    for partition in session.execute(query).scalars().partitions():
        yield from partition


def verify(session: Session, batch: int = 1000) -> Verdict:
    """Walk the chain oldest first; the first line that breaks it, if any."""
    previous, checked = GENESIS, 0
    for event in _lines(session, batch):
        if event.prev_hash != previous:
            return Verdict(checked, previous, ChainBreak(event.id, event.at, "unlinked"))
        if event.hash != digest(previous, _content(event)):
            return Verdict(checked, previous, ChainBreak(event.id, event.at, "edited"))
        previous = event.hash
        checked += 1
    return Verdict(checked, previous, None)
