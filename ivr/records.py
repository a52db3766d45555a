"""What a step reports back: the typed facts the webhook layer stores, and the TwiML."""

from __future__ import annotations

from dataclasses import dataclass

from twilio.twiml.voice_response import VoiceResponse

from ivr.twiml_text import render


@dataclass(frozen=True)
class ReportFact:
    number: int                  # 1 for the call's first report, 2 for the next …
    reference: str
    category: str | None
    subject: str | None
    recording_sid: str | None = None
    recording_url: str | None = None
    recording_seconds: int | None = None
    recording_status: str | None = None   # set only by the recording status callback
    in_scope: bool = True                 # False: a referred matter's message, passed on


@dataclass(frozen=True)
class AdditionFact:
    """A message added to an earlier report by a follow-up call."""

    number: int                  # 1 for the call's first addition, 2 for the next …
    report_id: int | None        # the report reached; None when it could not be read
    reference: str | None        # only then: the typed reference, matched once applied
    recording_sid: str | None = None
    recording_url: str | None = None
    recording_seconds: int | None = None
    recording_status: str | None = None   # set only by the recording status callback


@dataclass(frozen=True)
class FollowUpFact:
    """What a follow-up step learnt: the report by its id only, never the digits typed."""

    report_id: int | None = None   # the report reached (None: unreadable or not found)
    reached: bool = False          # a report was reached (or its reference, unreadable)
    reply_heard: bool = False      # the team's reply was read to the caller
    not_found: bool = False        # a wrong number (counted per calling number, 24 h)
    limit_reached: bool = False    # this calling number has had its wrong numbers today


@dataclass(frozen=True)
class StepRecord:
    step: str
    step_no: int
    result: str
    digits: str | None = None
    language: str | None = None
    chose_category: bool = False  # the caller picked a category from the menu
    referred: bool = False
    transferred: bool = False
    report: ReportFact | None = None
    followup: FollowUpFact | None = None
    addition: AdditionFact | None = None


@dataclass(frozen=True)
class Reply:
    twiml: VoiceResponse
    record: StepRecord

    def __str__(self) -> str:
        return render(self.twiml)


def recording_seconds(raw: str | None) -> int | None:
    """Twilio's RecordingDuration in whole seconds; None when absent or not a number."""
    if raw is None or not raw.strip().isdigit():
        return None
    return int(raw.strip())
