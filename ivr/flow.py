"""The call flow: what the caller hears next, decided from the request alone.

Every step is a pure function of the campaign, the state carried in the step
URL (ivr/state.py) and the parameters Twilio posted. Nothing here touches Flask
or the database: each step returns the TwiML to send and a `StepRecord`
(ivr/records.py) saying what happened, which the webhook layer stores. The
questions are in ivr/questions.py, the step handlers in ivr/steps.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from twilio.twiml.voice_response import VoiceResponse

from campaign.model import Campaign
from campaign.voices import DEFAULT_VOICES, say_language
from ivr import followup
from ivr.gate import GateDecision
from ivr.prompts import prompts_for
from ivr.questions import ask_language, ask_menu, say_refusal
from ivr.records import Reply, ReportFact, StepRecord, recording_seconds
from ivr.references import is_valid_reference, new_reference
from ivr.speaking import Speaker
from ivr.state import REFERRAL, BadState, CallState, Links
from ivr.steps import STEP_HANDLERS

STEPS = (*STEP_HANDLERS, *followup.STEP_HANDLERS)  # the step URLs there are


class UnknownStep(LookupError):
    pass


def unknown_number() -> VoiceResponse:
    """A call to a number that belongs to no campaign."""
    response = VoiceResponse()
    for language in ("cmn", "en"):
        prompts = prompts_for(language)
        voice = DEFAULT_VOICES[language]
        response.say(prompts.say("unknown_number"), voice=voice, language=say_language(voice))
    response.hangup()
    return response


def technical_problem(campaign: Campaign | None, language: str | None = None) -> VoiceResponse:
    """Said instead of silence when something unexpected goes wrong."""
    response = VoiceResponse()
    languages = [language] if language else (campaign.languages if campaign else ("cmn", "en"))
    for code in languages:
        prompts = prompts_for(code)
        voice = campaign.voices[code] if campaign else DEFAULT_VOICES[code]
        response.say(prompts.say("technical_problem"), voice=voice, language=say_language(voice))
    response.hangup()
    return response


def answer_call(campaign: Campaign, decision: GateDecision, links: Links) -> Reply:
    """The first words of a call: turned away, the language menu, or the main menu."""
    response = VoiceResponse()
    first = Speaker(campaign, campaign.default_language, links)
    if not decision.is_open:
        first.welcome(response)
        for language in campaign.languages:
            speaker = Speaker(campaign, language, links)
            say_refusal(response, speaker, decision)
            address = campaign.postal_address.get(language)
            if address:
                speaker.say(response, "postal", address=address)
        response.hangup()
        return Reply(response, StepRecord("voice", 0, str(decision.refusal)))

    state = CallState(step_no=1)
    first.welcome(response)
    if len(campaign.languages) > 1:
        ask_language(response, first, state)
        return Reply(response, StepRecord("voice", 0, "language_menu"))
    state = replace(state, language=campaign.default_language)
    ask_menu(response, first, state)
    return Reply(response, StepRecord("voice", 0, "menu", language=first.language))


def handle_step(name: str, campaign: Campaign, state: CallState, params: Mapping[str, str],
                links: Links, make_reference: Callable[[], str] = new_reference,
                lookup: followup.Lookup | None = None) -> Reply:
    """Answer one step request: `params` are the form fields Twilio posted; `lookup` is
    what the webhook read for a follow-up step (`followup.lookup_needed` says when)."""
    handler = STEP_HANDLERS.get(name)
    if handler is None and name not in followup.STEP_HANDLERS:
        raise UnknownStep(name)
    if name != "language" and not state.language:
        raise BadState("the step needs a language")
    if state.category and campaign.category_by_id(state.category) is None:
        raise BadState("unknown category")
    if state.subject and campaign.subject_by_id(state.subject) is None:
        raise BadState("unknown subject")
    if state.reference and not is_valid_reference(state.reference):
        raise BadState("malformed reference")
    if handler is None:
        return followup.STEP_HANDLERS[name](campaign, state, params, links, lookup)
    return handler(campaign, state, params, links, make_reference)


def recording_report(campaign: Campaign, state: CallState, params: Mapping[str, str]
                     ) -> ReportFact:
    """The report a recording status callback speaks of (the callback's own URL state)."""
    if not is_valid_reference(state.reference):
        raise BadState("malformed reference")
    if state.category and campaign.category_by_id(state.category) is None:
        raise BadState("unknown category")
    if state.subject and campaign.subject_by_id(state.subject) is None:
        raise BadState("unknown subject")
    return ReportFact(
        number=state.reports + 1, reference=state.reference,
        category=state.category or None, subject=state.subject or None,
        recording_sid=params.get("RecordingSid") or None,
        recording_url=params.get("RecordingUrl") or None,
        recording_seconds=recording_seconds(params.get("RecordingDuration")),
        recording_status=params.get("RecordingStatus") or None,
        in_scope=state.after != REFERRAL,
    )
