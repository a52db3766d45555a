"""Recordings at rest: where each report's audio is (Twilio, this server, gone) and holds.

One row per report recording, made by the download job the first time it sees the
report's recording confirmed. Its `state` is what the console and /metrics show.
A legal hold keeps a report out of the retention purge until a manager lifts it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime
from db.models import Report


class RecordingState(StrEnum):
    AT_TWILIO = "at_twilio"    # confirmed by Twilio, not yet home
    FAILED = "failed"          # the last download failed (last_error); retried at next_attempt_at
    DOWNLOADED = "downloaded"  # verified and encrypted here; the copy at Twilio not yet deleted
    DELETED = "deleted"        # home, and deleted at Twilio
    PURGED = "purged"          # removed everywhere by the retention period


class RecordingFile(Base):
    """A report's recording: its download, verification, encryption and deletion at Twilio."""

    __tablename__ = "recording_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A report's own recording, or (addition_id) a message a caller added to it later.
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"),
                                                  unique=True)
    addition_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_additions.id", ondelete="CASCADE"), unique=True)
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # downloads, then deletes
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A worker holds the row until then; another (a second scheduler, the CLI) skips it.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    downloaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # at Twilio
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))  # of the audio as Twilio sent it
    disguise: Mapped[str | None] = mapped_column(String(16))  # off | playback | always
    original_file: Mapped[str | None] = mapped_column(String(128))  # None: never kept
    disguised_file: Mapped[str | None] = mapped_column(String(128))
    disguised_sha256: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(16))  # the key the files are under

    __table_args__ = (Index("ix_recording_files_state_next", "state", "next_attempt_at"),)


class LegalHold(Base):
    """A report kept out of the retention purge: who placed the hold, when and why."""

    __tablename__ = "legal_holds"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"),
                                           primary_key=True)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    placed_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))


# The download job looks at recent reports first: an index of its own on reports.
Index("ix_reports_created_at", Report.created_at)
