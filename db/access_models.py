"""Who may see what: the campaigns a user is limited to, and the searches kept on the
server (so that no searched number travels in a cookie)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime


class UserCampaign(Base):
    """One campaign a user may see. A user without any row sees every campaign."""

    __tablename__ = "user_campaigns"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class SavedSearch(Base):
    """A search box's text, kept under the random id the call list's URL carries (`s`).
    Only its owner can use it; it is purged after a working day."""

    __tablename__ = "saved_searches"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_saved_searches_created_at", "created_at"),)
