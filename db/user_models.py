"""The console's tables: users, sign-in attempts, report activity and the audit log.

They share `Base` with the call log so that one metadata (and one Alembic
history) covers the whole database. Report activity and the audit log are
append-only: the application has no code path that changes or deletes a row,
and migration 0003 adds triggers that refuse an UPDATE in the database itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, UTCDateTime
from db.models import Report

ROLES = ("operator", "manager", "admin")


class User(Base):
    """Someone who signs in to the console."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the session cookie's user id: replacing it (new password, disabled
    # account) signs the user out of every browser at once.
    session_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The second factor (console/second_factor.py): the TOTP secret sealed with the
    # recordings' key, a secret shown at enrolment awaiting its first code, the last
    # time step accepted (no code is taken twice) and when the user enrolled.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_pending: Mapped[str | None] = mapped_column(String(255))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RecoveryCode(Base):
    """One of a user's ten one-time recovery codes, as an Argon2id hash."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_recovery_codes_user", "user_id"),)


class LoginAttempt(Base):
    """One sign-in attempt; throttling counts the failures, in SQL, across processes."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(16))  # ok | failed | throttled

    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )


class ReportActivity(Base):
    """A note, status change or assignment on one report: who, what, when. Append-only."""

    __tablename__ = "report_activity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # note | status | assign
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    body: Mapped[str | None] = mapped_column(Text)

    report: Mapped[Report] = relationship()

    __table_args__ = (Index("ix_report_activity_report_at", "report_id", "at"),)


class AuditEvent(Base):
    """Who did what, when, from where. Append-only; admins read it in the console."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))  # a user name, or "(command line)"
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[str | None] = mapped_column(String(512))
    address: Mapped[str | None] = mapped_column(String(64))
    # The chain (db/audit_chain.py): the previous line's hash, and SHA-256 over it and
    # this line's content. Editing, removing or reordering a line breaks the chain.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_target_at", "target", "at"),
        Index("ix_audit_events_actor_at", "actor", "at"),
        Index("ix_audit_events_action_at", "action", "at"),
    )
