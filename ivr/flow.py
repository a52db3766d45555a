"""The call flow: what the caller hears next, decided from the request alone.

Every step is a pure function of the campaign, the state carried in the step
URL (Twilio signs the whole URL, so the state cannot be forged) and the
parameters Twilio posted. Nothing here touches Flask or the database: each
step returns the TwiML to send and a `StepRecord` saying what happened, which
the webhook layer stores.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather, VoiceResponse

from campaign.model import Campaign
from campaign.routing import Operator, line_number
from campaign.voices import DEFAULT_VOICES, say_language
from ivr.gate import GateDecision
from ivr.prompts import Prompts, prompts_for

MAX_TRIES = 3
GATHER_TIMEOUT_SECONDS = 6
RECORD_SILENCE_SECONDS = 10
REFERENCE_DIGITS = 8
REFERENCE_LENGTHS = (8, 9)
NOT_LISTED_KEY = "9"
OPERATOR_KEY = "0"
REPEAT_KEY = "*"
ANOTHER_KEY = "1"
FINISH_KEY = "2"
REFERRAL = "referral"  # CallState.after while a referred caller records, and after it
STEPS = ("language", "menu", "subject", "recorded", "record-empty", "after", "dialled")
# Twilio's webhook connection overrides (a URL fragment Twilio reads and never sends):
# retry a callback up to 3 times on a refused or timed-out connection or a 5xx, with a
# 2 s connect and 5 s read timeout, 15 s in all. 4xx is not retried: it means junk.
CALLBACK_OVERRIDES = "ct=2000&rt=5000&tt=15000&rc=3&rp=ct,rt,5xx"


class BadState(ValueError):
    """The step URL's state does not fit the campaign (junk or a stale link)."""


class UnknownStep(LookupError):
    pass


# --- references ---------------------------------------------------------------------------

_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2), (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9), (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8), (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4), (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5), (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def damm_digit(digits: str) -> int:
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][int(digit)]
    return interim


def new_reference() -> str:
    """Eight digits, random, the last a Damm check digit.

    Random so that a reference reveals nothing and cannot be guessed from
    another; the check digit catches any single mistyped or swapped digit when
    a caller quotes it back. The first digit is never 0, so nothing drops it.
    """
    body = str(secrets.randbelow(9) + 1) + "".join(
        str(secrets.randbelow(10)) for _ in range(REFERENCE_DIGITS - 2))
    return body + str(damm_digit(body))


def is_valid_reference(text: str) -> bool:
    """Eight digits (random, as made before the journal) or nine (ivr.references)."""
    return (len(text) in REFERENCE_LENGTHS and text.isdigit() and text[0] != "0"
            and damm_digit(text) == 0)


# --- state carried in the step URL ---------------------------------------------------------

@dataclass(frozen=True)
class CallState:
    step_no: int = 1          # number of the request this URL will cause; keys the event log
    language: str = ""
    tries: int = 0            # failed attempts at the current question
    category: str = ""
    subject: str = ""
    reports: int = 0          # reports completed so far in this call
    reference: str = ""       # the pending (or last) report's reference
    after: str = ""           # what the "another / finish" menu follows: report | referral

    _KEYS = (("n", "step_no"), ("l", "language"), ("t", "tries"), ("c", "category"),
             ("s", "subject"), ("r", "reports"), ("ref", "reference"), ("k", "after"))

    def to_query(self) -> dict[str, str]:
        out = {}
        for short, name in self._KEYS:
            value = getattr(self, name)
            if value not in ("", None, 0):
                out[short] = str(value)
        return out

    @classmethod
    def from_query(cls, args: Mapping[str, str]) -> CallState:
        values: dict[str, object] = {}
        for short, name in cls._KEYS:
            raw = args.get(short)
            if raw is None:
                continue
            if name in ("step_no", "tries", "reports"):
                if not raw.isdigit() or len(raw) > 4:
                    raise BadState(f"{short} must be a small whole number")
                values[name] = int(raw)
            else:
                if len(raw) > 64:
                    raise BadState(f"{short} is too long")
                values[name] = raw
        return cls(**values)  # type: ignore[arg-type]

    def next(self, **changes: object) -> CallState:
        return replace(self, step_no=self.step_no + 1, **changes)  # type: ignore[arg-type]


class Links:
    """Builds the URLs Twilio is told to request next."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def step(self, name: str, state: CallState) -> str:
        return f"{self.base}/step/{name}?{urlencode(state.to_query())}"

    def recording(self, state: CallState, campaign_id: str) -> str:
        # Twilio's recording status callback carries no To: the campaign rides in the
        # (signed) URL instead.
        query = {"cid": campaign_id} | state.to_query()
        return f"{self.base}/recording?{urlencode(query)}#{CALLBACK_OVERRIDES}"

    def fallback(self, query: Mapping[str, str]) -> str:
        return f"{self.base}/fallback?{urlencode(query)}"


# --- what a step reports back --------------------------------------------------------------

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
    referred: bool = False
    transferred: bool = False
    report: ReportFact | None = None


@dataclass(frozen=True)
class Reply:
    twiml: VoiceResponse
    record: StepRecord

    def __str__(self) -> str:
        return str(self.twiml)


# --- speaking -----------------------------------------------------------------------------

class _Speaker:
    """Says prompts of one campaign in the caller's language and the campaign's voice."""

    def __init__(self, campaign: Campaign, language: str, links: Links) -> None:
        if language not in campaign.languages:
            raise BadState("language is not one of the campaign's")
        self.campaign = campaign
        self.links = links
        self.language = language
        self.prompts: Prompts = prompts_for(language)

    def say(self, target: VoiceResponse | Gather, prompt: str, **values: object) -> None:
        self.say_text(target, self.prompts.say(prompt, **values))

    def say_text(self, target: VoiceResponse | Gather, text: str) -> None:
        voice = self.campaign.voices[self.language]
        target.say(text, voice=voice, language=say_language(voice))

    def welcome(self, target: VoiceResponse | Gather) -> None:
        title = self.campaign.title.get(self.language)
        if title:
            self.say(target, "welcome", title=title)
        else:
            self.say(target, "welcome_untitled")


def _gather(response: VoiceResponse, action: str) -> Gather:
    # finish_on_key="" makes '#' an ordinary key, so a wrong '#' is heard as a wrong key.
    return response.gather(input="dtmf", num_digits=1, timeout=GATHER_TIMEOUT_SECONDS,
                           finish_on_key="", action=action, method="POST")


def _fallback(response: VoiceResponse, action: str) -> None:
    # Twilio runs the next verb when a <Gather> times out; the same URL without Digits
    # is heard as "no input".
    response.redirect(action, method="POST")


# --- the questions --------------------------------------------------------------------------

def _ask_language(response: VoiceResponse, speaker: _Speaker, state: CallState) -> None:
    action = speaker.links.step("language", state)
    gather = _gather(response, action)
    campaign = speaker.campaign
    for position, language in enumerate(campaign.languages, start=1):
        _Speaker(campaign, language, speaker.links).say(gather, "language_option", key=position)
    _fallback(response, action)


def _ask_menu(response: VoiceResponse, speaker: _Speaker, state: CallState) -> None:
    action = speaker.links.step("menu", state)
    gather = _gather(response, action)
    speaker.say(gather, "menu_intro")
    for category in speaker.campaign.categories:
        speaker.say(gather, "menu_category", label=category.label[speaker.language],
                    key=category.key)
    speaker.say(gather, "menu_not_listed")
    if speaker.campaign.operator:
        speaker.say(gather, "menu_operator")
    speaker.say(gather, "menu_repeat")
    _fallback(response, action)


def _ask_subject(response: VoiceResponse, speaker: _Speaker, state: CallState) -> None:
    action = speaker.links.step("subject", state)
    gather = _gather(response, action)
    speaker.say(gather, "subject_intro")
    for subject in speaker.campaign.subjects:
        speaker.say(gather, "subject_option", label=subject.label[speaker.language],
                    key=subject.key)
    speaker.say(gather, "menu_repeat")
    _fallback(response, action)


def _ask_after(response: VoiceResponse, speaker: _Speaker, state: CallState) -> None:
    action = speaker.links.step("after", state)
    gather = _gather(response, action)
    speaker.say(gather, "after_report" if state.after == "report" else "after_referral")
    _fallback(response, action)


def _start_recording(response: VoiceResponse, speaker: _Speaker, state: CallState) -> None:
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


def _goodbye(response: VoiceResponse, speaker: _Speaker, key: str = "goodbye") -> None:
    speaker.say(response, key)
    response.hangup()


def _retry(speaker: _Speaker, state: CallState, step: str, digits: str | None,
           ask: Callable[[VoiceResponse, CallState], None]) -> Reply:
    """A wrong key or silence: say so and ask again, or give up after MAX_TRIES."""
    response = VoiceResponse()
    result = "no_input" if not digits else "wrong_key"
    tries = state.tries + 1
    record = StepRecord(step, state.step_no, result, digits)
    if tries >= MAX_TRIES:
        _goodbye(response, speaker, "too_many_tries")
        return Reply(response, replace(record, result=f"{result}:gave_up"))
    speaker.say(response, result)
    ask(response, state.next(tries=tries))
    return Reply(response, record)


# --- public entry points --------------------------------------------------------------------

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
        voice = campaign.voices.get(code) if campaign else DEFAULT_VOICES[code]
        response.say(prompts.say("technical_problem"), voice=voice, language=say_language(voice))
    response.hangup()
    return response


def answer_call(campaign: Campaign, decision: GateDecision, links: Links) -> Reply:
    """The first words of a call: turned away, the language menu, or the main menu."""
    response = VoiceResponse()
    first = _Speaker(campaign, campaign.default_language, links)
    if not decision.is_open:
        first.welcome(response)
        for language in campaign.languages:
            speaker = _Speaker(campaign, language, links)
            _say_refusal(response, speaker, decision)
            address = campaign.postal_address.get(language)
            if address:
                speaker.say(response, "postal", address=address)
        response.hangup()
        return Reply(response, StepRecord("voice", 0, str(decision.refusal)))

    state = CallState(step_no=1)
    first.welcome(response)
    if len(campaign.languages) > 1:
        _ask_language(response, first, state)
        return Reply(response, StepRecord("voice", 0, "language_menu"))
    state = replace(state, language=campaign.default_language)
    _ask_menu(response, first, state)
    return Reply(response, StepRecord("voice", 0, "menu", language=first.language))


def _say_refusal(response: VoiceResponse, speaker: _Speaker, decision: GateDecision) -> None:
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


def handle_step(name: str, campaign: Campaign, state: CallState, params: Mapping[str, str],
                links: Links, make_reference: Callable[[], str] = new_reference) -> Reply:
    """Answer one step request: `params` are the form fields Twilio posted."""
    handler = _STEP_HANDLERS.get(name)
    if handler is None:
        raise UnknownStep(name)
    if name != "language" and not state.language:
        raise BadState("the step needs a language")
    if state.category and campaign.category_by_id(state.category) is None:
        raise BadState("unknown category")
    if state.subject and campaign.subject_by_id(state.subject) is None:
        raise BadState("unknown subject")
    if state.reference and not is_valid_reference(state.reference):
        raise BadState("malformed reference")
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
        recording_seconds=_seconds(params.get("RecordingDuration")),
        recording_status=params.get("RecordingStatus") or None,
        in_scope=state.after != REFERRAL,
    )


def _seconds(raw: str | None) -> int | None:
    if raw is None or not raw.strip().isdigit():
        return None
    return int(raw.strip())


# --- the steps ------------------------------------------------------------------------------

StepHandler = Callable[[Campaign, CallState, Mapping[str, str], Links, Callable[[], str]], Reply]


def _digits(params: Mapping[str, str]) -> str | None:
    return params.get("Digits") or None


def _on_language(campaign: Campaign, state: CallState, params: Mapping[str, str],
                 links: Links, make_reference: Callable[[], str]) -> Reply:
    digits = _digits(params)
    default = _Speaker(campaign, campaign.default_language, links)
    if digits == REPEAT_KEY:
        response = VoiceResponse()
        _ask_language(response, default, state.next())
        return Reply(response, StepRecord("language", state.step_no, "repeat", digits))
    if digits and digits.isdigit() and 1 <= int(digits) <= len(campaign.languages):
        language = campaign.languages[int(digits) - 1]
        speaker = _Speaker(campaign, language, links)
        response = VoiceResponse()
        _ask_menu(response, speaker, state.next(language=language, tries=0))
        return Reply(response, StepRecord("language", state.step_no, f"language:{language}",
                                          digits, language=language))
    return _retry(default, state, "language", digits,
                  lambda response, next_state: _ask_language(response, default, next_state))


def _on_menu(campaign: Campaign, state: CallState, params: Mapping[str, str],
             links: Links, make_reference: Callable[[], str]) -> Reply:
    digits = _digits(params)
    speaker = _Speaker(campaign, state.language, links)
    response = VoiceResponse()
    base = state.next(tries=0, category="", subject="", reference="", after="")
    if digits == REPEAT_KEY:
        _ask_menu(response, speaker, state.next())
        return Reply(response, StepRecord("menu", state.step_no, "repeat", digits))
    category = campaign.category_by_key(digits) if digits else None
    if category is not None:
        chosen = replace(base, category=category.id)
        if campaign.subjects:
            _ask_subject(response, speaker, chosen)
        else:
            _start_recording(response, speaker, replace(chosen, reference=make_reference()))
        return Reply(response, StepRecord("menu", state.step_no, f"category:{category.id}",
                                          digits))
    if digits == NOT_LISTED_KEY:
        # Passed on, not sent away: the caller may leave a message at once.
        speaker.say(response, "referral")
        _start_recording(response, speaker, replace(base, after=REFERRAL,
                                                    reference=make_reference()))
        return Reply(response, StepRecord("menu", state.step_no, "not_listed", digits,
                                          referred=True))
    operator = campaign.operator_dial
    if digits == OPERATOR_KEY and operator is not None:
        speaker.say(response, "operator_connecting")
        _dial(response, speaker.links.step("dialled", base), campaign, operator,
              caller_id=line_number(params.get("To"), campaign.region))
        return Reply(response, StepRecord("menu", state.step_no, "operator", digits))
    return _retry(speaker, state, "menu", digits,
                  lambda response, next_state: _ask_menu(response, speaker, next_state))


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
    speaker = _Speaker(campaign, state.language, links)
    response = VoiceResponse()
    if digits == REPEAT_KEY:
        _ask_subject(response, speaker, state.next())
        return Reply(response, StepRecord("subject", state.step_no, "repeat", digits))
    subject = campaign.subject_by_key(digits) if digits else None
    if subject is not None and not subject.in_scope:
        speaker.say(response, "referral")
        _start_recording(response, speaker, state.next(
            tries=0, subject=subject.id, after=REFERRAL, reference=make_reference()))
        return Reply(response, StepRecord("subject", state.step_no, f"subject:{subject.id}",
                                          digits, referred=True))
    if subject is not None:
        _start_recording(response, speaker, state.next(
            tries=0, subject=subject.id, reference=make_reference()))
        return Reply(response, StepRecord("subject", state.step_no, f"subject:{subject.id}",
                                          digits))
    return _retry(speaker, state, "subject", digits,
                  lambda response, next_state: _ask_subject(response, speaker, next_state))


def _on_recorded(campaign: Campaign, state: CallState, params: Mapping[str, str],
                 links: Links, make_reference: Callable[[], str]) -> Reply:
    if not state.reference:
        raise BadState("a recording needs a reference")
    # Twilio documents RecordingUrl on the <Record> action; RecordingSid may be absent.
    # A recording of no length ('#' at once) holds no message either.
    if not (params.get("RecordingUrl") or params.get("RecordingSid")) \
            or _seconds(params.get("RecordingDuration")) == 0:
        return _on_record_empty(campaign, state, params, links, make_reference)
    speaker = _Speaker(campaign, state.language, links)
    report = ReportFact(
        number=state.reports + 1, reference=state.reference,
        category=state.category or None, subject=state.subject or None,
        recording_sid=params.get("RecordingSid") or None,
        recording_url=params.get("RecordingUrl") or None,
        recording_seconds=_seconds(params.get("RecordingDuration")),
        in_scope=state.after != REFERRAL,
    )
    response = VoiceResponse()
    after = state.next(tries=0, reports=state.reports + 1, category="", subject="",
                       after="report")
    speaker.say(response, "reference", digits=speaker.prompts.digits(state.reference))
    _ask_after(response, speaker, after)
    return Reply(response, StepRecord("recorded", state.step_no, "recorded",
                                      params.get("Digits") or None, report=report))


def _on_record_empty(campaign: Campaign, state: CallState, params: Mapping[str, str],
                     links: Links, make_reference: Callable[[], str]) -> Reply:
    if not state.reference:
        raise BadState("a recording needs a reference")
    speaker = _Speaker(campaign, state.language, links)
    response = VoiceResponse()
    if state.after == REFERRAL:
        # A referred caller who leaves no message has said all they wanted: no report.
        _ask_after(response, speaker, state.next(tries=0, category="", subject="",
                                                 reference="", after=REFERRAL))
        return Reply(response, StepRecord("record-empty", state.step_no,
                                          "record_empty:referral"))
    tries = state.tries + 1
    if tries >= MAX_TRIES:
        speaker.say(response, "record_failed")
        address = campaign.postal_address.get(state.language)
        if address:
            speaker.say(response, "postal", address=address)
        _goodbye(response, speaker)
        return Reply(response, StepRecord("record-empty", state.step_no, "record_empty:gave_up"))
    speaker.say(response, "record_empty")
    _start_recording(response, speaker, state.next(tries=tries))
    return Reply(response, StepRecord("record-empty", state.step_no, "record_empty"))


def _on_after(campaign: Campaign, state: CallState, params: Mapping[str, str],
              links: Links, make_reference: Callable[[], str]) -> Reply:
    digits = _digits(params)
    speaker = _Speaker(campaign, state.language, links)
    response = VoiceResponse()
    if digits == ANOTHER_KEY:
        _ask_menu(response, speaker, state.next(tries=0, reference="", after=""))
        return Reply(response, StepRecord("after", state.step_no, "another", digits))
    if digits == FINISH_KEY:
        _goodbye(response, speaker)
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
        _ask_after(response, speaker, state.next())
        return Reply(response, StepRecord("after", state.step_no, "repeat", digits))
    return _retry(speaker, state, "after", digits,
                  lambda response, next_state: _ask_after(response, speaker, next_state))


def _on_dialled(campaign: Campaign, state: CallState, params: Mapping[str, str],
                links: Links, make_reference: Callable[[], str]) -> Reply:
    status = params.get("DialCallStatus", "")
    speaker = _Speaker(campaign, state.language, links)
    response = VoiceResponse()
    if status in ("completed", "answered"):
        _goodbye(response, speaker)
        return Reply(response, StepRecord("dialled", state.step_no, "transferred",
                                          transferred=True))
    # Nobody answered: the caller can leave a message instead, as a report without a category.
    speaker.say(response, "operator_unavailable")
    _start_recording(response, speaker, state.next(
        tries=0, category="", subject="", reference=make_reference()))
    return Reply(response, StepRecord("dialled", state.step_no,
                                      f"operator_unanswered:{status or 'unknown'}"))


_STEP_HANDLERS: dict[str, StepHandler] = {
    "language": _on_language,
    "menu": _on_menu,
    "subject": _on_subject,
    "recorded": _on_recorded,
    "record-empty": _on_record_empty,
    "after": _on_after,
    "dialled": _on_dialled,
}
