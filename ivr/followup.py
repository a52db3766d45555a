"""Following a report up by its reference (key # at the main menu).

The caller types the reference and `#`; they hear the report's state in plain
words and the team's reply, then may add a message (1), finish (2) or hear it
again (*). Whether the reference belongs to a report is the one thing the call
flow cannot know from the request: the webhook reads it (`lookup_needed` says
what to read) and hands the answer in as a `Lookup`. The flow stays pure.

A follow-up call's state names the report by its id only; the typed digits ride
in the URL only when the database could not be read (the message is then kept
with the reference and attached once the database is back).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from twilio.twiml.voice_response import VoiceResponse

from campaign.model import Campaign
from ivr.keys import ANOTHER_KEY, FINISH_KEY, REPEAT_KEY
from ivr.questions import (
    MAX_TRIES,
    RECORD_SILENCE_SECONDS,
    ask_menu,
    gather_key,
    goodbye,
    redirect_on_silence,
)
from ivr.records import AdditionFact, FollowUpFact, Reply, StepRecord, recording_seconds
from ivr.references import is_valid_reference
from ivr.speaking import Speaker
from ivr.state import BadState, CallState, Links

FOLLOW = "follow"           # CallState.after during a follow-up
DAILY_WRONG_NUMBERS = 10    # wrong numbers per calling number in 24 h before follow-up stops
REFERENCE_TIMEOUT_SECONDS = 10
MAX_REFERENCE_DIGITS = 12
ADD_KEY = ANOTHER_KEY
# The report's follow-up status as the caller hears it.
STATE_PROMPTS = {"new": "followup_state_new", "acknowledged": "followup_state_handling",
                 "in_review": "followup_state_handling", "referred": "followup_state_referred",
                 "closed": "followup_state_closed"}


@dataclass(frozen=True)
class LookupRequest:
    """What the webhook is to read: a reference typed (checked well-formed), or a report
    by its id (to say it again); always the calling number's wrong numbers today."""

    reference: str | None = None
    report_id: int | None = None


@dataclass(frozen=True)
class FoundReport:
    report_id: int
    follow_up: str
    reply: str | None = None
    reply_language: str | None = None   # the language it was written in (read in its voice)


@dataclass(frozen=True)
class Lookup:
    """The webhook's answer. available=False: the database could not be read in time."""

    available: bool
    report: FoundReport | None = None
    wrong_numbers_today: int = 0   # from this calling number, in other calls (0: anonymous)


def lookup_needed(name: str, state: CallState, params: Mapping[str, str]) -> LookupRequest | None:
    """The read a follow-up step needs, or None. A reference with a wrong check digit is
    not looked up (it is not found whatever the database holds), but the calling
    number's count still is, so the daily limit holds."""
    digits = (params.get("Digits") or "").strip()
    if name == "reference" and digits:
        return LookupRequest(reference=digits if is_valid_reference(digits) else None)
    if name == "followup" and digits == REPEAT_KEY and state.report_id:
        return LookupRequest(report_id=state.report_id)
    return None


# --- what the caller hears ------------------------------------------------------------------

def ask_reference(response: VoiceResponse, speaker: Speaker, state: CallState) -> None:
    action = speaker.links.step("reference", state)
    gather = response.gather(input="dtmf", finish_on_key="#", timeout=REFERENCE_TIMEOUT_SECONDS,
                             action=action, method="POST")
    speaker.say(gather, "followup_ask")
    redirect_on_silence(response, action)


def _ask_options(response: VoiceResponse, speaker: Speaker, state: CallState) -> None:
    action = speaker.links.step("followup", state)
    gather = gather_key(response, action)
    speaker.say(gather, "followup_options")
    redirect_on_silence(response, action)


def _say_report(response: VoiceResponse, speaker: Speaker, found: FoundReport) -> bool:
    """The state in plain words, then the team's reply; True when a reply was read."""
    speaker.say(response, STATE_PROMPTS.get(found.follow_up, "followup_state_handling"))
    if found.reply:
        speaker.say(response, "followup_reply")
        language = found.reply_language
        reader = speaker if language in (None, speaker.language) or \
            language not in speaker.campaign.languages else \
            Speaker(speaker.campaign, language, speaker.links)
        reader.say_text(response, found.reply)
        return True
    return False


def _start_addition(response: VoiceResponse, speaker: Speaker, state: CallState) -> None:
    links, campaign = speaker.links, speaker.campaign
    speaker.say(response, "record_notice",
                limit=speaker.prompts.duration(campaign.max_message_seconds))
    response.record(
        action=links.step("added", state), method="POST",
        max_length=campaign.max_message_seconds, finish_on_key="#", play_beep=True,
        timeout=RECORD_SILENCE_SECONDS, trim="trim-silence",
        recording_status_callback=links.recording(state, campaign.id),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
    )
    response.redirect(links.step("added-empty", state), method="POST")


def _back_to_menu(response: VoiceResponse, speaker: Speaker, state: CallState) -> None:
    ask_menu(response, speaker, state.next(tries=0, after="", reference="", report_id=0,
                                            additions=0))


# --- the steps ------------------------------------------------------------------------------

def _on_reference(campaign: Campaign, state: CallState, params: Mapping[str, str],
                  links: Links, lookup: Lookup | None) -> Reply:
    """The digits typed, ended with # (Twilio leaves the # out of Digits)."""
    if state.after != FOLLOW:
        raise _bad("a reference step outside a follow-up")
    digits = (params.get("Digits") or "").strip()
    speaker = Speaker(campaign, state.language, links)
    response = VoiceResponse()
    lookup = lookup or Lookup(available=False)
    if digits and lookup.available and \
            lookup.wrong_numbers_today + state.tries >= DAILY_WRONG_NUMBERS:
        speaker.say(response, "followup_limit")
        _back_to_menu(response, speaker, state)
        return Reply(response, StepRecord("reference", state.step_no, "followup:limit",
                                          followup=FollowUpFact(limit_reached=True)))
    if not digits:
        return _wrong(speaker, state, "no_input", FollowUpFact())
    well_formed = len(digits) <= MAX_REFERENCE_DIGITS and is_valid_reference(digits)
    if well_formed and not lookup.available:
        # Not stranded: the message is kept with the reference and attached later.
        speaker.say(response, "followup_unreadable")
        _ask_options(response, speaker, state.next(tries=0, reference=digits))
        return Reply(response, StepRecord("reference", state.step_no, "followup:unreadable",
                                          followup=FollowUpFact(reached=True)))
    if well_formed and lookup.report is not None:
        found = lookup.report
        heard = _say_report(response, speaker, found)
        _ask_options(response, speaker, state.next(tries=0, reference="",
                                                   report_id=found.report_id))
        return Reply(response, StepRecord(
            "reference", state.step_no, f"followup:{found.report_id}",
            followup=FollowUpFact(report_id=found.report_id, reply_heard=heard,
                                  reached=True)))
    return _wrong(speaker, state, "followup_not_found", FollowUpFact(not_found=True))


def _wrong(speaker: Speaker, state: CallState, prompt: str, fact: FollowUpFact) -> Reply:
    """A number not found (or none typed): ask again; after three, the main menu."""
    response = VoiceResponse()
    result = "followup:not_found" if fact.not_found else "no_input"
    tries = state.tries + 1
    speaker.say(response, prompt)
    if tries >= MAX_TRIES:
        _back_to_menu(response, speaker, state)
        return Reply(response, StepRecord("reference", state.step_no, f"{result}:menu",
                                          followup=fact))
    ask_reference(response, speaker, state.next(tries=tries))
    return Reply(response, StepRecord("reference", state.step_no, result, followup=fact))


def _on_followup(campaign: Campaign, state: CallState, params: Mapping[str, str],
                 links: Links, lookup: Lookup | None) -> Reply:
    """After the state was heard: 1 add a message, 2 finish, * hear it again."""
    if state.after != FOLLOW or not (state.report_id or state.reference):
        raise _bad("a follow-up step without a report")
    digits = params.get("Digits") or None
    speaker = Speaker(campaign, state.language, links)
    response = VoiceResponse()
    if digits == ADD_KEY:
        _start_addition(response, speaker, state.next(tries=0))
        return Reply(response, StepRecord("followup", state.step_no, "add", digits))
    if digits == FINISH_KEY:
        goodbye(response, speaker)
        return Reply(response, StepRecord("followup", state.step_no, "finish", digits))
    if digits == REPEAT_KEY:
        heard = False
        if lookup is not None and lookup.available and lookup.report is not None:
            heard = _say_report(response, speaker, lookup.report)
        else:
            speaker.say(response, "followup_unreadable")
        _ask_options(response, speaker, state.next())
        return Reply(response, StepRecord(
            "followup", state.step_no, "repeat", digits,
            followup=FollowUpFact(report_id=state.report_id or None, reply_heard=heard)))
    result = "no_input" if not digits else "wrong_key"
    tries = state.tries + 1
    if tries >= MAX_TRIES:
        goodbye(response, speaker, "too_many_tries")
        return Reply(response, StepRecord("followup", state.step_no, f"{result}:gave_up",
                                          digits))
    speaker.say(response, result)
    _ask_options(response, speaker, state.next(tries=tries))
    return Reply(response, StepRecord("followup", state.step_no, result, digits))


def addition_of(state: CallState, params: Mapping[str, str]) -> AdditionFact:
    """The addition a <Record> action or its recording status callback speaks of."""
    if state.after != FOLLOW or not (state.report_id or is_valid_reference(state.reference)):
        raise _bad("an addition needs a report")
    return AdditionFact(
        number=state.additions + 1, report_id=state.report_id or None,
        reference=None if state.report_id else state.reference,
        recording_sid=params.get("RecordingSid") or None,
        recording_url=params.get("RecordingUrl") or None,
        recording_seconds=recording_seconds(params.get("RecordingDuration")),
        recording_status=params.get("RecordingStatus") or None)


def _on_added(campaign: Campaign, state: CallState, params: Mapping[str, str],
              links: Links, lookup: Lookup | None) -> Reply:
    if not (params.get("RecordingUrl") or params.get("RecordingSid")) \
            or recording_seconds(params.get("RecordingDuration")) == 0:
        return _on_added_empty(campaign, state, params, links, lookup)
    addition = replace(addition_of(state, params), recording_status=None)
    speaker = Speaker(campaign, state.language, links)
    response = VoiceResponse()
    speaker.say(response, "followup_added")
    _ask_options(response, speaker, state.next(tries=0, additions=state.additions + 1))
    return Reply(response, StepRecord("added", state.step_no, "added",
                                      params.get("Digits") or None, addition=addition))


def _on_added_empty(campaign: Campaign, state: CallState, params: Mapping[str, str],
                    links: Links, lookup: Lookup | None) -> Reply:
    addition_of(state, params)  # the state must still name a report
    speaker = Speaker(campaign, state.language, links)
    response = VoiceResponse()
    speaker.say(response, "record_empty")
    _ask_options(response, speaker, state.next(tries=0))
    return Reply(response, StepRecord("added-empty", state.step_no, "record_empty"))


def _bad(message: str) -> BadState:
    return BadState(message)


FollowUpHandler = Callable[[Campaign, CallState, Mapping[str, str], Links, Lookup | None], Reply]

STEP_HANDLERS: dict[str, FollowUpHandler] = {
    "reference": _on_reference,
    "followup": _on_followup,
    "added": _on_added,
    "added-empty": _on_added_empty,
}
