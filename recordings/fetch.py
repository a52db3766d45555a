"""Bringing recordings home: download, verify, seal (and disguise), then delete at Twilio.

Runs in the scheduler process, never on the webhook path. Each report whose
recording Twilio confirmed (`recording_status = completed`) in a campaign with
`recordings = "local"` gets a row in recording_files (and so does each message a caller
added to a report by ringing back with its reference); then, one row at a time:

1. download the WAV (exactly Content-Length bytes);
2. verify: a WAV whose duration is RecordingDuration within a second; SHA-256 kept;
3. seal the copies the campaign's voice_disguise asks for, and read each back;
4. only then DELETE the recording at Twilio.

A failed step changes nothing at Twilio and is retried with back-off; the row says
why in `last_error` for the console. No database transaction is open while Twilio
or the vocoder works.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from campaign.model import Campaigns
from db.engine import rows_changed
from db.models import Report, ReportAddition
from db.recording_models import RecordingFile, RecordingState
from recordings.audio import NotAudio, wav_seconds
from recordings.disguise import DisguiseFailed, disguised_wav
from recordings.sealed import SealedError
from recordings.store import Copy, RecordingStore
from recordings.twilio_api import RecordingsApi, TwilioFailure

log = logging.getLogger("hotline.recordings")

RETRY_DELAYS = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10),
                timedelta(minutes=30), timedelta(hours=2), timedelta(hours=6))
RECENT = timedelta(days=3)  # the frequent run looks at reports this young
LEASE = timedelta(minutes=15)
DURATION_TOLERANCE_SECONDS = 1.0
WAITING = (RecordingState.AT_TWILIO.value, RecordingState.FAILED.value)


@dataclass(frozen=True)
class FetchContext:
    sessions: sessionmaker[Session]  # writer sessions
    store: RecordingStore
    twilio: RecordingsApi
    campaigns: Campaigns
    clock: Callable[[], datetime]


@dataclass
class FetchSummary:
    queued: int = 0
    stored: int = 0
    deleted: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return (f"{self.queued} recording(s) newly confirmed, {self.stored} stored here, "
                f"{self.deleted} deleted at Twilio, {self.failed} failed (retried later)")


def retry_delay(attempts: int) -> timedelta:
    return RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]


def local_campaign_ids(campaigns: Campaigns, now: datetime) -> list[str]:
    """Campaigns whose recordings come home (none past its purge date: those go)."""
    return [c.id for c in campaigns if c.recordings == "local" and now < c.purge_at]


def queue_confirmed(context: FetchContext, since: datetime | None) -> int:
    """A row for each confirmed recording of a "local" campaign that has none yet."""
    now = context.clock()
    wanted = local_campaign_ids(context.campaigns, now)
    if not wanted:
        return 0
    query = (select(Report.id, Report.recording_sid)
             .where(Report.recording_status == "completed", Report.recording_sid.is_not(None),
                    Report.campaign_id.in_(wanted),
                    ~exists().where(RecordingFile.report_id == Report.id))
             .order_by(Report.id).limit(1000))
    if since is not None:
        query = query.where(Report.created_at >= since)
    # Messages callers added to a report later (follow-up calls) come home the same way.
    added = (select(ReportAddition.id, ReportAddition.recording_sid)
             .where(ReportAddition.recording_status == "completed",
                    ReportAddition.recording_sid.is_not(None),
                    ReportAddition.recording_url.is_not(None),
                    ReportAddition.campaign_id.in_(wanted),
                    ~exists().where(RecordingFile.addition_id == ReportAddition.id))
             .order_by(ReportAddition.id).limit(1000))
    if since is not None:
        added = added.where(ReportAddition.at >= since)
    queued = 0
    with context.sessions.begin() as session:
        found = [({"report_id": report_id}, sid) for report_id, sid in session.execute(query)]
        found += [({"addition_id": row_id}, sid) for row_id, sid in session.execute(added)]
        for owner, recording_sid in found:
            try:
                with session.begin_nested():
                    session.add(RecordingFile(
                        **owner, recording_sid=recording_sid,
                        state=RecordingState.AT_TWILIO.value, attempts=0, queued_at=now,
                        next_attempt_at=now))
                queued += 1
            except IntegrityError:
                pass  # another worker queued it first
    return queued


def _claim(context: FetchContext, row_id: int) -> RecordingFile | None:
    now = context.clock()
    with context.sessions.begin() as session:
        claimed = rows_changed(session.execute(
            update(RecordingFile)
            .where(RecordingFile.id == row_id,
                   or_(RecordingFile.lease_until.is_(None), RecordingFile.lease_until < now))
            .values(lease_until=now + LEASE)))
        if not claimed:
            return None
        return session.get(RecordingFile, row_id)


def fetch_due(context: FetchContext, *, sweep: bool = False, limit: int = 20) -> FetchSummary:
    """Queue newly confirmed recordings, then work on the rows that are due.

    The frequent run queues reports of the last few days (an index read); `sweep`
    looks at every report (hourly, and `hotline recordings fetch`).
    """
    now = context.clock()
    summary = FetchSummary()
    summary.queued = queue_confirmed(context, None if sweep else now - RECENT)
    with context.sessions() as session:
        due = session.scalars(
            select(RecordingFile.id)
            .where(RecordingFile.state.in_([*WAITING, RecordingState.DOWNLOADED.value]),
                   RecordingFile.next_attempt_at <= now)
            .order_by(RecordingFile.next_attempt_at).limit(limit)).all()
    for row_id in due:
        row = _claim(context, row_id)
        if row is None:
            continue
        if row.state in WAITING and not _bring_home(context, row, summary):
            continue
        _delete_at_twilio(context, row, summary)
    return summary


def _bring_home(context: FetchContext, row: RecordingFile, summary: FetchSummary) -> bool:
    with context.sessions() as session:
        owner = (session.get(Report, row.report_id) if row.report_id is not None
                 else session.get(ReportAddition, row.addition_id))
        expected_seconds = owner.recording_seconds if owner else None
        campaign = context.campaigns.by_id.get(owner.campaign_id or "") if owner else None
    if campaign is None or campaign.id not in local_campaign_ids(context.campaigns,
                                                                 context.clock()):
        # No longer configured, kept at Twilio now, or past its purge date: leave it.
        with context.sessions.begin() as session:
            session.execute(update(RecordingFile).where(RecordingFile.id == row.id)
                            .values(lease_until=None, next_attempt_at=None))
        return False
    mode = campaign.voice_disguise
    written: list[str] = []
    try:
        audio = context.twilio.download(row.recording_sid)
        seconds = wav_seconds(audio)
        if expected_seconds is not None and abs(seconds - expected_seconds) > \
                DURATION_TOLERANCE_SECONDS:
            raise TwilioFailure(f"{seconds:.1f} s of audio, Twilio said {expected_seconds} s")
        digest = hashlib.sha256(audio).hexdigest()
        original = disguised = disguised_digest = None
        if mode != "always":
            original = context.store.write(row.recording_sid, Copy.ORIGINAL, audio)
            written.append(original)
            _verify(context, row.recording_sid, Copy.ORIGINAL, original, digest)
        if mode != "off":
            voice = disguised_wav(audio)
            disguised_digest = hashlib.sha256(voice).hexdigest()
            disguised = context.store.write(row.recording_sid, Copy.DISGUISED, voice)
            written.append(disguised)
            _verify(context, row.recording_sid, Copy.DISGUISED, disguised, disguised_digest)
    except (TwilioFailure, NotAudio, DisguiseFailed, SealedError, OSError) as exc:
        for name in written:
            context.store.shred(name)
        _failed(context, row, str(exc) or type(exc).__name__, summary, download=True)
        return False
    now = context.clock()
    with context.sessions.begin() as session:
        # Only a row still waiting: the retention purge may have come meanwhile.
        recorded = rows_changed(session.execute(
            update(RecordingFile)
            .where(RecordingFile.id == row.id, RecordingFile.state.in_(WAITING))
            .values(state=RecordingState.DOWNLOADED.value, downloaded_at=now,
                    next_attempt_at=now, attempts=0, last_error=None,
                    size_bytes=len(audio), duration_ms=round(seconds * 1000), sha256=digest,
                    disguise=mode, original_file=original, disguised_file=disguised,
                    disguised_sha256=disguised_digest,
                    key_id=context.store.keyring.current.id)))
    if not recorded:
        for name in written:
            context.store.shred(name)
        return False
    row.state, row.attempts = RecordingState.DOWNLOADED.value, 0
    summary.stored += 1
    return True


def _verify(context: FetchContext, recording_sid: str, copy: Copy, name: str,
            digest: str) -> None:
    """Read the sealed copy back from disk: it must decrypt to exactly what was meant."""
    if hashlib.sha256(context.store.read(recording_sid, copy, name)).hexdigest() != digest:
        raise SealedError("the copy on disk does not match its checksum")


def _delete_at_twilio(context: FetchContext, row: RecordingFile,
                      summary: FetchSummary) -> None:
    try:
        context.twilio.delete(row.recording_sid)
    except TwilioFailure as exc:
        _failed(context, row, str(exc), summary, download=False)
        return
    now = context.clock()
    with context.sessions.begin() as session:
        session.execute(update(RecordingFile).where(RecordingFile.id == row.id).values(
            state=RecordingState.DELETED.value, deleted_at=now, next_attempt_at=None,
            lease_until=None, last_error=None))
    summary.deleted += 1


def _failed(context: FetchContext, row: RecordingFile, reason: str, summary: FetchSummary,
            *, download: bool) -> None:
    now = context.clock()
    attempts = row.attempts + 1
    values: dict[str, object] = {
        "attempts": attempts, "next_attempt_at": now + retry_delay(attempts),
        "last_error": reason[:200], "lease_until": None}
    if download:
        values["state"] = RecordingState.FAILED.value
    with context.sessions.begin() as session:
        session.execute(update(RecordingFile).where(RecordingFile.id == row.id).values(values))
    summary.failed += 1
    # The reason names Twilio's answer, never the caller or the audio.
    log.warning("recording %s: %s (attempt %d)", "download" if download else "delete at Twilio",
                reason, attempts)
