"""Running tallies of the call log by UTC month, day and hour, kept by database triggers.

Every insert, update or delete of a call or a report adjusts its month's, day's
and hour's tallies in the same transaction (migration 0013), whichever code
wrote it (a webhook, the journal's writer, the console, a migration), so a
tally is never stale. A read over a long window (the campaign so far, the call
list's counts) sums a few rows per month, day and hour instead of scanning
every call; db/tallies.py counts the partial hours at a window's edges from
the facts themselves, so the sums are exact.

Keys never hold NULL (a primary key cannot): no campaign or value is ''.
`period` is UTC text: 'YYYY-MM' (level 0), 'YYYY-MM-DD' (1), 'YYYY-MM-DD HH' (2),
'all' (3: every call of the campaign, so "so far" on the last day is the total
less the few hours since), or 'YYYY' (4, migration 0021: a window of many months,
such as "so far" on an old day, reads a row per year, not one per month).
Reports are tallied per dimension (category, subject, follow-up, and the recording's
length in seconds, a histogram for the median), each on its own: the figures need
those totals, never their cross product.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, PrimaryKeyConstraint, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base

MONTH, DAY, HOUR, ALL_TIME, YEAR = 0, 1, 2, 3, 4
DIMENSIONS = ("category", "subject", "follow_up", "seconds")


class CallTally(Base):
    __tablename__ = "call_tallies"

    campaign_id: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(SmallInteger)
    period: Mapped[str] = mapped_column(String(13))
    outcome: Mapped[str] = mapped_column(String(16))
    chose_category: Mapped[bool] = mapped_column(Boolean)
    calls: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        PrimaryKeyConstraint("campaign_id", "level", "period", "outcome", "chose_category",
                             name="pk_call_tallies"),
    )


class ReportTally(Base):
    __tablename__ = "report_tallies"

    campaign_id: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(SmallInteger)
    period: Mapped[str] = mapped_column(String(13))  # when the report's call started
    dimension: Mapped[str] = mapped_column(String(16))  # category | subject | follow_up
    value: Mapped[str] = mapped_column(String(64))
    reports: Mapped[int] = mapped_column(Integer)
    recorded: Mapped[int] = mapped_column(Integer)  # completed, with a known length
    recorded_seconds: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        PrimaryKeyConstraint("campaign_id", "level", "period", "dimension", "value",
                             name="pk_report_tallies"),
    )


class CallValueTally(Base):
    """Calls with at least one report of a value (a category, a subject), by outcome: the
    call list's counts when it is filtered by that value (migration 0019)."""

    __tablename__ = "call_value_tallies"

    campaign_id: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(SmallInteger)
    period: Mapped[str] = mapped_column(String(13))  # when the call started
    dimension: Mapped[str] = mapped_column(String(16))  # category | subject
    value: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    calls: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        PrimaryKeyConstraint("campaign_id", "dimension", "value", "level", "period", "outcome",
                             name="pk_call_value_tallies"),
    )
