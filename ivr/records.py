"""What a step reports back: the typed facts the webhook layer stores, and the TwiML."""

from __future__ import annotations

from dataclasses import dataclass

from twilio.twiml.voice_response import VoiceResponse


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


@dataclass(frozen=True)
class Reply:
    twiml: VoiceResponse
    record: StepRecord

    def __str__(self) -> str:
        return str(self.twiml)


def recording_seconds(raw: str | None) -> int | None:
    """Twilio's RecordingDuration in whole seconds; None when absent or not a number."""
    if raw is None or not raw.strip().isdigit():
        return None
    return int(raw.strip())
