"""The questions of the call flow: each adds to a response what the caller hears and the
keys it waits for, and where Twilio sends the answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from twilio.twiml.voice_response import Gather, VoiceResponse

from campaign.model import MenuEntry
from ivr.gate import GateDecision
from ivr.records import Reply, StepRecord
from ivr.speaking import Speaker
from ivr.state import CallState

MAX_TRIES = 3
GATHER_TIMEOUT_SECONDS = 6
RECORD_SILENCE_SECONDS = 10


def gather_key(response: VoiceResponse, action: str) -> Gather:
    # finish_on_key="" makes '#' an ordinary key, so a wrong '#' is heard as a wrong key.
    return response.gather(input="dtmf", num_digits=1, timeout=GATHER_TIMEOUT_SECONDS,
                           finish_on_key="", action=action, method="POST")


def redirect_on_silence(response: VoiceResponse, action: str) -> None:
    # Twilio runs the next verb when a <Gather> times out; the same URL without Digits
    # is heard as "no input".
    response.redirect(action, method="POST")


# --- the questions --------------------------------------------------------------------------

def ask_language(response: VoiceResponse, speaker: Speaker, state: CallState) -> None:
    action = speaker.links.step("language", state)
    gather = gather_key(response, action)
    campaign = speaker.campaign
    for position, language in enumerate(campaign.languages, start=1):
        Speaker(campaign, language, speaker.links).say(gather, "language_option", key=position)
    redirect_on_silence(response, action)


def _ask_entries(response: VoiceResponse, speaker: Speaker, state: CallState, step: str,
                 intro: str, option: str, entries: Sequence[MenuEntry],
                 closing: Sequence[str]) -> None:
    """A keypad menu: its intro, each entry's label and key, then the `closing` prompts."""
    action = speaker.links.step(step, state)
    gather = gather_key(response, action)
    speaker.say(gather, intro)
    for entry in entries:
        speaker.say(gather, option, label=entry.label[speaker.language], key=entry.key)
    for prompt in closing:
        speaker.say(gather, prompt)
    redirect_on_silence(response, action)


def ask_menu(response: VoiceResponse, speaker: Speaker, state: CallState) -> None:
    operator = ["menu_operator"] if speaker.campaign.operator else []
    _ask_entries(response, speaker, state, "menu", "menu_intro", "menu_category",
                 speaker.campaign.categories,
                 ["menu_not_listed", *operator, "menu_followup", "menu_repeat"])


def ask_subject(response: VoiceResponse, speaker: Speaker, state: CallState) -> None:
    _ask_entries(response, speaker, state, "subject", "subject_intro", "subject_option",
                 speaker.campaign.subjects, ["menu_repeat"])


def ask_after(response: VoiceResponse, speaker: Speaker, state: CallState) -> None:
    action = speaker.links.step("after", state)
    gather = gather_key(response, action)
    speaker.say(gather, "after_report" if state.after == "report" else "after_referral")
    redirect_on_silence(response, action)


def start_recording(response: VoiceResponse, speaker: Speaker, state: CallState) -> None:
    links = speaker.links
    speaker.say(response, "record_notice",
                limit=speaker.prompts.duration(speaker.campaign.max_message_seconds))
    response.record(
        action=links.step("recorded", state), method="POST",
        max_length=speaker.campaign.max_message_seconds, finish_on_key="#", play_beep=True,
        timeout=RECORD_SILENCE_SECONDS, trim="trim-silence",
        recording_status_callback=links.recording(state, speaker.campaign.id),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
    )
    # An empty recording makes Twilio skip the action and run the next verb.
    response.redirect(links.step("record-empty", state), method="POST")


def goodbye(response: VoiceResponse, speaker: Speaker, key: str = "goodbye") -> None:
    speaker.say(response, key)
    response.hangup()


def retry(speaker: Speaker, state: CallState, step: str, digits: str | None,
           ask: Callable[[VoiceResponse, CallState], None]) -> Reply:
    """A wrong key or silence: say so and ask again, or give up after MAX_TRIES."""
    response = VoiceResponse()
    result = "no_input" if not digits else "wrong_key"
    tries = state.tries + 1
    record = StepRecord(step, state.step_no, result, digits)
    if tries >= MAX_TRIES:
        goodbye(response, speaker, "too_many_tries")
        return Reply(response, replace(record, result=f"{result}:gave_up"))
    speaker.say(response, result)
    ask(response, state.next(tries=tries))
    return Reply(response, record)


def say_refusal(response: VoiceResponse, speaker: Speaker, decision: GateDecision) -> None:
    """Why the line is closed and when it opens; or that it has closed for good (then
    never "call again")."""
    campaign, prompts = speaker.campaign, speaker.prompts
    if decision.refusal == "after_cutoff" or decision.next_opening is None:
        speaker.say(response, "closed_for_good", date=prompts.date(campaign.closes))
        return
    when = prompts.when(decision.next_opening, decision.local_time.date())
    if decision.refusal == "not_open_yet":
        speaker.say(response, "not_open_yet", when=when)
        return
    start, end = campaign.hours
    speaker.say(response, "closed_today" if decision.closed_today else "closed_now")
    speaker.say(response, "hours", zone=prompts.zone(campaign.timezone.key),
                days=prompts.weekdays(campaign.weekdays,
                                      some_dates_closed=bool(campaign.closed_on)),
                start=prompts.time(start), end=prompts.time(end))
    speaker.say(response, "reopens", when=when)
