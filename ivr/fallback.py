"""What a caller hears when the line's own handler failed (Twilio's fallback URL).

Decided from the request alone, like every step: the campaign comes from the
dialled number, the language and the step from the URL that failed (Twilio's
ErrorUrl). The caller hears that the line has a problem, the postal address,
and may leave a message, recorded with a recording status callback so that it
becomes a report like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from twilio.twiml.voice_response import VoiceResponse

from campaign.model import Campaign
from campaign.voices import say_language
from ivr.flow import technical_problem
from ivr.prompts import prompts_for
from ivr.questions import RECORD_SILENCE_SECONDS
from ivr.state import BadState, CallState, Links

# Messages left through the fallback get report numbers of their own (100 + the
# failed step's number), so they never overwrite a report the call already made.
FALLBACK_REPORTS = 100


@dataclass(frozen=True)
class FailedStep:
    """What the URL that failed tells: the caller's language and the step's number."""

    language: str = ""
    step_no: int = 0

    @classmethod
    def from_error_url(cls, error_url: str | None) -> FailedStep:
        query = dict(parse_qsl(urlsplit(error_url or "").query))
        try:
            state = CallState.from_query(query)
        except BadState:
            return cls()
        return cls(language=state.language, step_no=state.step_no)


def _languages(campaign: Campaign, failed: FailedStep) -> tuple[str, ...]:
    if failed.language in campaign.languages:
        return (failed.language,)
    return tuple(campaign.languages)


def _say(response: VoiceResponse, campaign: Campaign, language: str, prompt: str,
         **values: object) -> None:
    voice = campaign.voices[language]
    response.say(prompts_for(language).say(prompt, **values), voice=voice,
                 language=say_language(voice))


def line_problem(campaign: Campaign | None, failed: FailedStep, links: Links,
                 reference: str) -> VoiceResponse:
    """The line has a problem: the postal address, then a message after the beep."""
    if campaign is None:
        return technical_problem(None)
    languages = _languages(campaign, failed)
    response = VoiceResponse()
    for language in languages:
        _say(response, campaign, language, "line_problem")
        address = campaign.postal_address.get(language)
        if address:
            _say(response, campaign, language, "postal", address=address)
        _say(response, campaign, language, "line_problem_message")
    state = CallState(step_no=failed.step_no, language=languages[0], reference=reference,
                      reports=FALLBACK_REPORTS + failed.step_no - 1)
    response.record(
        action=links.fallback({"done": "1", "l": languages[0], "ref": reference}),
        method="POST", max_length=campaign.max_message_seconds, finish_on_key="#",
        play_beep=True, timeout=RECORD_SILENCE_SECONDS, trim="trim-silence",
        recording_status_callback=links.recording(state, campaign.id),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent")
    for language in languages:
        _say(response, campaign, language, "goodbye")
    response.hangup()
    return response


def message_taken(campaign: Campaign | None, language: str, reference: str) -> VoiceResponse:
    """After the fallback's recording: the reference (if one was made), then goodbye."""
    if campaign is None:
        return technical_problem(None)
    languages = (language,) if language in campaign.languages else tuple(campaign.languages)
    response = VoiceResponse()
    for code in languages:
        if reference:
            _say(response, campaign, code, "reference",
                 digits=prompts_for(code).digits(reference))
        _say(response, campaign, code, "goodbye")
    response.hangup()
    return response
