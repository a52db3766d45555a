"""The retention period: once a campaign's `retention_days` after `closes` have passed,
its recordings and what identifies its callers go; the figures stay.

Purged: every recording (the sealed files overwritten then unlinked, any copy still
at Twilio deleted there), callers' numbers, operators' notes and status reasons.
Kept: calls and reports themselves with their day, hour, outcome, category, subject,
follow-up state and recording length, so the daily reports and the console's
statistics of past campaigns still add up. A report on legal hold keeps everything,
and so does its call (its number). The run is idempotent: a second run finds nothing,
and a Twilio copy that could not be deleted is tried again next time.

A call to a number of no campaign (the caller heard that the number is not in service)
belongs to no retention period: its calling number is cleared once it is
UNMATCHED_NUMBER_DAYS old, which leaves time to find a misrouted number.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from campaign.model import Campaign, Campaigns
from db import audit
from db.models import Call, Report, ReportAddition
from db.recording_models import LegalHold, RecordingFile, RecordingState
from db.user_models import ReportActivity
from recordings.store import RecordingStore
from recordings.twilio_api import RecordingsApi, TwilioFailure

log = logging.getLogger("hotline.recordings")

UNMATCHED_NUMBER_DAYS = 30
NO_CAMPAIGN = "(no campaign)"  # the purge's name for the calls that matched none


@dataclass
class CampaignPurge:
    campaign_id: str
    purge_on: str
    recordings: int = 0       # recordings removed (here and at Twilio)
    numbers: int = 0          # callers' numbers cleared
    notes: int = 0            # notes and status reasons removed
    held: int = 0             # reports on legal hold, skipped
    twilio_pending: int = 0   # copies at Twilio that could not be deleted (retried next run)

    @property
    def anything(self) -> bool:
        return bool(self.recordings or self.numbers or self.notes)

    def counts(self) -> str:
        return (f"recordings={self.recordings} numbers={self.numbers} notes={self.notes} "
                f"held={self.held} twilio_pending={self.twilio_pending}")


def due(campaigns: Campaigns, now: datetime) -> list[Campaign]:
    return [c for c in campaigns if now >= c.purge_at]


def _plan(session: Session, campaign: Campaign) -> tuple[CampaignPurge, list[int]]:
    """What would go, and the ids of the reports whose recordings go."""
    cid = campaign.id
    held_report = exists().where(LegalHold.report_id == Report.id)
    purge = CampaignPurge(cid, campaign.purge_on.isoformat())
    purge.held = session.scalar(select(func.count()).select_from(Report).where(
        Report.campaign_id == cid, held_report)) or 0
    done = exists().where(RecordingFile.report_id == Report.id,
                          RecordingFile.state == RecordingState.PURGED.value,
                          RecordingFile.deleted_at.is_not(None))
    recording_reports = list(session.scalars(select(Report.id).where(
        Report.campaign_id == cid, Report.recording_sid.is_not(None), ~held_report, ~done)))
    purge.recordings = len(recording_reports)
    call_held = exists().where(Report.call_id == Call.id, held_report)
    purge.numbers = session.scalar(select(func.count()).select_from(Call).where(
        Call.campaign_id == cid, Call.from_number.is_not(None), ~call_held)) or 0
    unheld = select(Report.id).where(Report.campaign_id == cid, ~held_report)
    purge.notes = (session.scalar(select(func.count()).select_from(ReportActivity).where(
        ReportActivity.report_id.in_(unheld), ReportActivity.body.is_not(None))) or 0) + (
        session.scalar(select(func.count()).select_from(Report).where(
            Report.id.in_(unheld), Report.follow_up_reason.is_not(None))) or 0)
    purge.recordings += len(_additions_at_twilio(session, cid))
    return purge, recording_reports


def _additions_at_twilio(session: Session, campaign_id: str) -> list[tuple[int, str]]:
    """Messages callers added (by ringing back) not purged yet, except those of reports on
    legal hold. A purged one has no URL left."""
    held = exists().where(LegalHold.report_id == ReportAddition.report_id)
    return [(row_id, sid) for row_id, sid in session.execute(
        select(ReportAddition.id, ReportAddition.recording_sid).where(
            ReportAddition.campaign_id == campaign_id, ReportAddition.recording_sid.is_not(None),
            ReportAddition.recording_url.is_not(None), ~held))]


def _purge_additions(sessions: sessionmaker[Session], store: RecordingStore,
                     twilio: RecordingsApi | None, campaign_id: str, now: datetime) -> int:
    """Shred added messages here and delete them at Twilio; returns how many Twilio copies
    are still there (tried again next run)."""
    with sessions() as session:
        waiting = _additions_at_twilio(session, campaign_id)
    pending = 0
    for row_id, sid in waiting:
        with sessions.begin() as session:
            row = session.scalar(select(RecordingFile).where(RecordingFile.addition_id == row_id))
            at_twilio = row is None or row.deleted_at is None
            if row is not None:
                for name in (row.original_file, row.disguised_file):
                    if name:
                        store.shred(name)
                row.state, row.purged_at = RecordingState.PURGED.value, row.purged_at or now
                row.original_file = row.disguised_file = None
                row.next_attempt_at = row.lease_until = None
        if at_twilio:
            try:
                if twilio is None:
                    raise TwilioFailure("TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN not set")
                twilio.delete(sid)
            except TwilioFailure:
                pending += 1
                continue
        with sessions.begin() as session:
            # No URL: nothing is left to fetch (the length and time stay for the figures).
            session.execute(update(ReportAddition).where(ReportAddition.id == row_id)
                            .values(recording_url=None))
    return pending


def _unmatched_numbers(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Calls of no campaign, older than UNMATCHED_NUMBER_DAYS, that still hold a number."""
    return (Call.campaign_id.is_(None), Call.from_number.is_not(None),
            Call.started_at < now - timedelta(days=UNMATCHED_NUMBER_DAYS))


def _plan_unmatched(session: Session, now: datetime) -> CampaignPurge | None:
    numbers = session.scalar(select(func.count(Call.id)).where(*_unmatched_numbers(now))) or 0
    return CampaignPurge(NO_CAMPAIGN, f"after {UNMATCHED_NUMBER_DAYS} days",
                         numbers=numbers) if numbers else None


def plan(sessions: sessionmaker[Session], campaigns: Campaigns, now: datetime
         ) -> list[CampaignPurge]:
    """`hotline retention --dry-run`: the counts per campaign, changing nothing."""
    with sessions() as session:
        found = [_plan(session, campaign)[0] for campaign in due(campaigns, now)]
        unmatched = _plan_unmatched(session, now)
    return found + ([unmatched] if unmatched else [])


def purge(sessions: sessionmaker[Session], campaigns: Campaigns, store: RecordingStore,
          twilio: RecordingsApi | None, now: datetime, *, actor: str = audit.COMMAND_LINE
          ) -> list[CampaignPurge]:
    """Purge every campaign past its retention date; one audit line per campaign purged."""
    done = []
    for campaign in due(campaigns, now):
        with sessions() as session:
            result, report_ids = _plan(session, campaign)
        result.twilio_pending = _purge_recordings(sessions, store, twilio, report_ids, now)
        result.twilio_pending += _purge_additions(sessions, store, twilio, campaign.id, now)
        result.recordings -= result.twilio_pending
        with sessions.begin() as session:
            _clear_callers(session, campaign.id)
            if result.anything:
                audit.record(session, at=now, actor=actor, action="retention_purged",
                             target=campaign.id, detail=result.counts())
        if result.anything or result.twilio_pending:
            log.info("retention: campaign %s purged: %s", campaign.id, result.counts())
        done.append(result)
    with sessions.begin() as session:
        unmatched = _plan_unmatched(session, now)
        if unmatched:
            session.execute(update(Call).where(*_unmatched_numbers(now))
                            .values(from_number=None)
                            .execution_options(synchronize_session=False))
            audit.record(session, at=now, actor=actor, action="retention_purged",
                         target=NO_CAMPAIGN, detail=unmatched.counts())
            log.info("retention: calls of no campaign purged: %s", unmatched.counts())
            done.append(unmatched)
    return done


def _clear_callers(session: Session, campaign_id: str) -> None:
    held_report = exists().where(LegalHold.report_id == Report.id)
    call_held = exists().where(Report.call_id == Call.id, held_report)
    session.execute(update(Call).where(
        Call.campaign_id == campaign_id, Call.from_number.is_not(None), ~call_held
    ).values(from_number=None).execution_options(synchronize_session=False))
    unheld = select(Report.id).where(Report.campaign_id == campaign_id, ~held_report)
    # Report activity is append-only (no UPDATE): the purge removes the lines whole.
    session.execute(delete(ReportActivity).where(ReportActivity.report_id.in_(unheld))
                    .execution_options(synchronize_session=False))
    session.execute(update(Report).where(Report.id.in_(unheld),
                                         Report.follow_up_reason.is_not(None))
                    .values(follow_up_reason=None).execution_options(synchronize_session=False))
    # The team's reply to the caller goes with the notes (when it was heard stays).
    session.execute(update(Report).where(Report.id.in_(unheld), Report.reply_text.is_not(None))
                    .values(reply_text=None).execution_options(synchronize_session=False))
    # A message whose reference matched nothing keeps that reference only until the purge.
    session.execute(update(ReportAddition).where(
        ReportAddition.campaign_id == campaign_id, ReportAddition.report_id.is_(None),
        ReportAddition.reference.is_not(None)).values(reference=None)
        .execution_options(synchronize_session=False))


def _purge_recordings(sessions: sessionmaker[Session], store: RecordingStore,
                      twilio: RecordingsApi | None, report_ids: Sequence[int],
                      now: datetime) -> int:
    """Shred each report's files and delete its Twilio copy; returns how many Twilio
    copies are still there (not configured, or Twilio failed)."""
    pending = 0
    for report_id in report_ids:
        with sessions.begin() as session:
            row = session.scalar(select(RecordingFile).where(RecordingFile.report_id == report_id))
            if row is None:
                sid = session.scalar(select(Report.recording_sid).where(Report.id == report_id))
                try:
                    with session.begin_nested():
                        row = RecordingFile(report_id=report_id, recording_sid=sid,
                                            state=RecordingState.PURGED.value, attempts=0,
                                            queued_at=now)
                        session.add(row)
                except IntegrityError:
                    row = session.scalar(select(RecordingFile).where(
                        RecordingFile.report_id == report_id))
                    if row is None:
                        continue
            for name in (row.original_file, row.disguised_file):
                if name:
                    store.shred(name)
            at_twilio = row.deleted_at is None
            row.state, row.purged_at = RecordingState.PURGED.value, row.purged_at or now
            row.original_file = row.disguised_file = None
            row.next_attempt_at = row.lease_until = None
            sid = row.recording_sid
        if not at_twilio:
            continue
        try:
            if twilio is None:
                raise TwilioFailure("TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN not set")
            twilio.delete(sid)
        except TwilioFailure as exc:
            pending += 1
            with sessions.begin() as session:
                session.execute(update(RecordingFile).where(
                    RecordingFile.report_id == report_id).values(
                    last_error=f"purge: {exc}"[:200]))
            continue
        with sessions.begin() as session:
            session.execute(update(RecordingFile).where(RecordingFile.report_id == report_id)
                            .values(deleted_at=now, last_error=None))
    return pending
