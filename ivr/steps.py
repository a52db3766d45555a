"""The steps: one handler per step URL, answering what the caller pressed or what Twilio
reported, with the next TwiML and a `StepRecord` of what happened."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from twilio.twiml.voice_response import VoiceResponse

from campaign.model import Campaign
from campaign.routing import Operator, line_number
from ivr import followup
from ivr.keys import (
    ANOTHER_KEY,
    FINISH_KEY,
    FOLLOW_UP_KEY,
    NOT_LISTED_KEY,
    OPERATOR_KEY,
    REPEAT_KEY,
)
from ivr.questions import (
    MAX_TRIES,
    ask_after,
    ask_language,
    ask_menu,
    ask_subject,
    goodbye,
    retry,
    start_recording,
)
from ivr.records import Reply, ReportFact, StepRecord, recording_seconds
from ivr.speaking import Speaker
from ivr.state import REFERRAL, BadState, CallState, Links

StepHandler = Callable[[Campaign, CallState, Mapping[str, str], Links, Callable[[], str]], Reply]


def _digits(params: Mapping[str, str]) -> str | None:
    return params.get("Digits") or None


def _on_language(campaign: Campaign, state: CallState, params: Mapping[str, str],
                 links: Links, make_reference: Callable[[], str]) -> Reply:
    digits = _digits(params)
    default = Speaker(campaign, campaign.default_language, links)
    if digits == REPEAT_KEY:
        response = VoiceResponse()
        ask_language(response, default, state.next())
        return Reply(response, StepRecord("language", state.step_no, "repeat", digits))
    if digits and digits.isdigit() and 1 <= int(digits) <= len(campaign.languages):
        language = campaign.languages[int(digits) - 1]
        speaker = Speaker(campaign, language, links)
        response = VoiceResponse()
        ask_menu(response, speaker, state.next(language=language, tries=0))
        return Reply(response, StepRecord("language", state.step_no, f"language:{language}",
                                          digits, language=language))
    return retry(default, state, "language", digits,
                  lambda response, next_state: ask_language(response, default, next_state))


def _on_menu(campaign: Campaign, state: CallState, params: Mapping[str, str],
             links: Links, make_reference: Callable[[], str]) -> Reply:
    digits = _digits(params)
    speaker = Speaker(campaign, state.language, links)
    response = VoiceResponse()
    base = state.next(tries=0, category="", subject="", reference="", after="")
    if digits == REPEAT_KEY:
        ask_menu(response, speaker, state.next())
        return Reply(response, StepRecord("menu", state.step_no, "repeat", digits))
    category = campaign.category_by_key(digits) if digits else None
    if category is not None:
        chosen = replace(base, category=category.id)
        if campaign.subjects:
            ask_subject(response, speaker, chosen)
        else:
            start_recording(response, speaker, replace(chosen, reference=make_reference()))
        return Reply(response, StepRecord("menu", state.step_no, f"category:{category.id}",
                                          digits, chose_category=True))
    if digits == NOT_LISTED_KEY:
        # Passed on, not sent away: the caller may leave a message at once.
        speaker.say(response, "referral")
        start_recording(response, speaker, replace(base, after=REFERRAL,
                                                    reference=make_reference()))
        return Reply(response, StepRecord("menu", state.step_no, "not_listed", digits,
                                          referred=True))
    if digits == FOLLOW_UP_KEY:
        followup.ask_reference(response, speaker, replace(base, after=followup.FOLLOW))
        return Reply(response, StepRecord("menu", state.step_no, "followup", digits))
    operator = campaign.operator_dial
    if digits == OPERATOR_KEY and operator is not None:
        speaker.say(response, "operator_connecting")
        _dial(response, speaker.links.step("dialled", base), campaign, operator,
              caller_id=line_number(params.get("To"), campaign.region))
        return Reply(response, StepRecord("menu", state.step_no, "operator", digits))
    return retry(speaker, state, "menu", digits,
                  lambda response, next_state: ask_menu(response, speaker, next_state))


def _dial(response: VoiceResponse, action: str, campaign: Campaign, operator: Operator,
          caller_id: str | None) -> None:
    # Twilio accepts the number the call came in on as the caller ID (a caller's own
    # number may be withheld, or one Twilio may not present); the noun says who rings.
    dial = response.dial(action=action, method="POST", timeout=campaign.ring_seconds,
                         answer_on_bridge=True, caller_id=caller_id)
    if operator.noun == "sip":
        dial.sip(operator.target)
    elif operator.noun == "client":
        dial.client(operator.target)
    else:
        dial.number(operator.target)


def _on_subject(campaign: Campaign, state: CallState, params: Mapping[str, str],
                links: Links, make_reference: Callable[[], str]) -> Reply:
    digits = _digits(params)
    if not state.category:
        raise BadState("a subject needs a category")
    speaker = Speaker(campaign, state.language, links)
    response = VoiceResponse()
    if digits == REPEAT_KEY:
        ask_subject(response, speaker, state.next())
        return Reply(response, StepRecord("subject", state.step_no, "repeat", digits))
    subject = campaign.subject_by_key(digits) if digits else None
    if subject is not None and not subject.in_scope:
        speaker.say(response, "referral")
        start_recording(response, speaker, state.next(
            tries=0, subject=subject.id, after=REFERRAL, reference=make_reference()))
        return Reply(response, StepRecord("subject", state.step_no, f"subject:{subject.id}",
                                          digits, referred=True))
    if subject is not None:
        start_recording(response, speaker, state.next(
            tries=0, subject=subject.id, reference=make_reference()))
        return Reply(response, StepRecord("subject", state.step_no, f"subject:{subject.id}",
                                          digits))
    return retry(speaker, state, "subject", digits,
                  lambda response, next_state: ask_subject(response, speaker, next_state))


def _on_recorded(campaign: Campaign, state: CallState, params: Mapping[str, str],
                 links: Links, make_reference: Callable[[], str]) -> Reply:
    if not state.reference:
        raise BadState("a recording needs a reference")
    # Twilio documents RecordingUrl on the <Record> action; RecordingSid may be absent.
    # A recording of no length ('#' at once) holds no message either.
    if not (params.get("RecordingUrl") or params.get("RecordingSid")) \
            or recording_seconds(params.get("RecordingDuration")) == 0:
        return _on_record_empty(campaign, state, params, links, make_reference)
    speaker = Speaker(campaign, state.language, links)
    report = ReportFact(
        number=state.reports + 1, reference=state.reference,
        category=state.category or None, subject=state.subject or None,
        recording_sid=params.get("RecordingSid") or None,
        recording_url=params.get("RecordingUrl") or None,
        recording_seconds=recording_seconds(params.get("RecordingDuration")),
        in_scope=state.after != REFERRAL,
    )
    response = VoiceResponse()
    after = state.next(tries=0, reports=state.reports + 1, category="", subject="",
                       after="report")
    speaker.say(response, "reference", digits=speaker.prompts.digits(state.reference))
    ask_after(response, speaker, after)
    return Reply(response, StepRecord("recorded", state.step_no, "recorded",
                                      params.get("Digits") or None, report=report))


def _on_record_empty(campaign: Campaign, state: CallState, params: Mapping[str, str],
                     links: Links, make_reference: Callable[[], str]) -> Reply:
    if not state.reference:
        raise BadState("a recording needs a reference")
    speaker = Speaker(campaign, state.language, links)
    response = VoiceResponse()
    if state.after == REFERRAL:
        # A referred caller who leaves no message has said all they wanted: no report.
        ask_after(response, speaker, state.next(tries=0, category="", subject="",
                                                 reference="", after=REFERRAL))
        return Reply(response, StepRecord("record-empty", state.step_no,
                                          "record_empty:referral"))
    tries = state.tries + 1
    if tries >= MAX_TRIES:
        speaker.say(response, "record_failed")
        address = campaign.postal_address.get(state.language)
        if address:
            speaker.say(response, "postal", address=address)
        goodbye(response, speaker)
        return Reply(response, StepRecord("record-empty", state.step_no, "record_empty:gave_up"))
    speaker.say(response, "record_empty")
    start_recording(response, speaker, state.next(tries=tries))
    return Reply(response, StepRecord("record-empty", state.step_no, "record_empty"))


def _on_after(campaign: Campaign, state: CallState, params: Mapping[str, str],
              links: Links, make_reference: Callable[[], str]) -> Reply:
    digits = _digits(params)
    speaker = Speaker(campaign, state.language, links)
    response = VoiceResponse()
    if digits == ANOTHER_KEY:
        ask_menu(response, speaker, state.next(tries=0, reference="", after=""))
        return Reply(response, StepRecord("after", state.step_no, "another", digits))
    if digits == FINISH_KEY:
        goodbye(response, speaker)
        return Reply(response, StepRecord("after", state.step_no, "finish", digits))
    if digits is None and state.after == "report" and state.reference:
        # Silence after a report: the caller is done; thank them and give the number again.
        speaker.say(response, "finish_with_reference",
                    digits=speaker.prompts.digits(state.reference))
        response.hangup()
        return Reply(response, StepRecord("after", state.step_no, "no_input:finished"))
    if digits == REPEAT_KEY:
        if state.after == "report" and state.reference:
            speaker.say(response, "reference", digits=speaker.prompts.digits(state.reference))
        ask_after(response, speaker, state.next())
        return Reply(response, StepRecord("after", state.step_no, "repeat", digits))
    return retry(speaker, state, "after", digits,
                  lambda response, next_state: ask_after(response, speaker, next_state))


def _on_dialled(campaign: Campaign, state: CallState, params: Mapping[str, str],
                links: Links, make_reference: Callable[[], str]) -> Reply:
    status = params.get("DialCallStatus", "")
    speaker = Speaker(campaign, state.language, links)
    response = VoiceResponse()
    if status in ("completed", "answered"):
        goodbye(response, speaker)
        return Reply(response, StepRecord("dialled", state.step_no, "transferred",
                                          transferred=True))
    # Nobody answered: the caller can leave a message instead, as a report without a category.
    speaker.say(response, "operator_unavailable")
    start_recording(response, speaker, state.next(
        tries=0, category="", subject="", reference=make_reference()))
    return Reply(response, StepRecord("dialled", state.step_no,
                                      f"operator_unanswered:{status or 'unknown'}"))


STEP_HANDLERS: dict[str, StepHandler] = {
    "language": _on_language,
    "menu": _on_menu,
    "subject": _on_subject,
    "recorded": _on_recorded,
    "record-empty": _on_record_empty,
    "after": _on_after,
    "dialled": _on_dialled,
}
