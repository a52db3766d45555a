"""The follow-up lookup handed to the webhooks: the one read on the webhook path.

A caller who types a reference needs to hear whether it names a report, which
no URL can carry. This reads it, in one short transaction on the served app's
bounded engine, and turns the rows into the call flow's `Lookup`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from campaign.model import Campaign
from db.additions import read_followup
from db.calllog import CallKey
from ivr.followup import FoundReport, Lookup, LookupRequest


class FollowUpLookup:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.clock = clock

    def __call__(self, campaign: Campaign, wanted: LookupRequest, key: CallKey) -> Lookup:
        with self.sessions.begin() as session:
            read = read_followup(session, campaign.id, reference=wanted.reference,
                                 report_id=wanted.report_id, from_number=key.from_number,
                                 call_sid=key.call_sid, now=self.clock())
        found = None
        if read.report is not None:
            report_id, follow_up, reply, language = read.report
            found = FoundReport(report_id=report_id, follow_up=follow_up, reply=reply,
                                reply_language=language)
        return Lookup(available=True, report=found,
                      wrong_numbers_today=read.wrong_numbers_today)
