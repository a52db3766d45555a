"""The Flask blueprint Twilio talks to.

Each handler is thin: check the signature, parse, ask `ivr` what to say, append
what happened to the local journal (fsync'd), answer. The database is never on
this path: the journal's writer brings each fact to it. Should the journal
itself be unwritable, a caller hears the fallback (the line has a problem, the
postal address, leave a message) and a callback is answered 503 for Twilio to
retry (the callback URLs carry Twilio's connection overrides).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, current_app, request
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from campaign.model import Campaign, Campaigns, Route
from db.calllog import CallKey
from ivr import fallback, flow, followup, twiml_text
from ivr.gate import check_gate
from ivr.records import StepRecord
from ivr.references import ReferencesExhausted, new_reference
from ivr.state import BadState, CallState, Links
from journal import Journal, JournalUnavailable, facts
from webhooks.params import BadRequest, call_key, call_sid, e164, small_int
from webhooks.signature import is_signed

log = logging.getLogger("hotline.webhooks")

PREFIX = "/twilio"
bp = Blueprint("twilio", __name__, url_prefix=PREFIX)

KNOWN_CALL_STATUSES = frozenset({"queued", "initiated", "ringing", "in-progress", "completed",
                                 "busy", "failed", "no-answer", "canceled"})


@dataclass(frozen=True)
class WebhookContext:
    """What the webhooks need, handed in by the composition root."""

    campaigns: Campaigns
    journal: Journal
    make_reference: Callable[[], str]
    clock: Callable[[], datetime]
    auth_token: str
    public_url: str | None = None
    after_append: Callable[[], None] | None = None  # wakes the writer (or drains, in tests)
    on_journal_error: Callable[[str], None] | None = None
    # The one read on the webhook path: a follow-up's report and the calling number's
    # wrong references today (hotline/followup_lookup.py). Raises when it cannot read.
    look_up: Callable[[Campaign, followup.LookupRequest, CallKey], followup.Lookup] | None = None


def init_app(app: Flask, context: WebhookContext) -> None:
    app.extensions["hotline.webhooks"] = context
    app.register_blueprint(bp)


def _context() -> WebhookContext:
    context: WebhookContext = current_app.extensions["hotline.webhooks"]
    return context


def _twiml(response: VoiceResponse) -> Response:
    return Response(twiml_text.render(response), mimetype="text/xml")


def _links(context: WebhookContext) -> Links:
    if context.public_url:
        return Links(context.public_url.rstrip("/") + PREFIX)
    return Links(request.script_root + PREFIX)


class JournalFailed(Exception):
    """A callback could not be journalled: answer 503 so that Twilio delivers it again."""


def _journal(kind: str, key: CallKey, at: datetime, **fields: Any) -> bool:
    """Append one fact durably; False (logged, counted) when the journal cannot be written."""
    context = _context()
    try:
        context.journal.append(kind, key.call_sid, facts.fact(key, at, **fields))
    except JournalUnavailable as exc:
        # No caller data in logs: the kind of fact and the journal's error.
        log.error("journal append failed at %s: %s", kind, exc)
        if context.on_journal_error:
            context.on_journal_error(kind)
        return False
    if context.after_append:
        context.after_append()
    return True


def _line_problem(campaign: Campaign | None, failed: fallback.FailedStep) -> VoiceResponse:
    """The fallback's answer, given in-line when the journal cannot take a step."""
    context = _context()
    try:
        reference = context.make_reference()
    except (JournalUnavailable, ReferencesExhausted):
        reference = new_reference()
    return fallback.line_problem(campaign, failed, _links(context), reference)


def _route() -> Route | None:
    """The campaign and line of the call: by To (a number or a SIP URI), else ForwardedFrom."""
    return _context().campaigns.route(to=request.form.get("To"),
                                      forwarded_from=request.form.get("ForwardedFrom"))


def _campaign_for() -> Campaign | None:
    route = _route()
    return route.campaign if route else None


def _incoming() -> tuple[WebhookContext, datetime, Campaign | None, CallKey]:
    """What every webhook starts from: the context, the time, the campaign and the call.

    The key's to_number is the line the call came in on (E.164 when To names one)."""
    context = _context()
    route = _route()
    campaign = route.campaign if route else None
    line = (route.line if route else None) or e164(request.form.get("To"))
    key = call_key(request.form, campaign.id if campaign else None, to_number=line,
                   region=campaign.region if campaign else None)
    return context, context.clock(), campaign, key


@bp.before_request
def _check_signature() -> None:
    context = _context()
    if not is_signed(request, context.auth_token, context.public_url):
        log.warning("refused an unsigned or badly signed request to %s", request.path)
        abort(403)


@bp.errorhandler(BadRequest)
def _bad_request(exc: BadRequest) -> tuple[str, int]:
    return f"bad request: {exc}", 400


@bp.errorhandler(BadState)
def _bad_state(exc: BadState) -> tuple[str, int] | Response:
    if request.endpoint == "twilio.step":
        # A signed step whose state no longer fits (the campaign file changed mid-call):
        # a caller is on the line, so apologise rather than leave Twilio's error message.
        log.warning("step state does not fit the campaign at %s: %s", request.path, exc)
        campaign = _campaign_for()
        return _twiml(flow.technical_problem(campaign, None))
    return f"bad step state: {exc}", 400


@bp.errorhandler(JournalFailed)
def _journal_failed(_exc: JournalFailed) -> tuple[str, int, dict[str, str]]:
    return "call log unavailable; try again", 503, {"Retry-After": "30"}


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response | HTTPException:
    if isinstance(exc, HTTPException):
        return exc
    # Whatever broke, the caller hears an apology instead of Twilio's "application error".
    log.exception("unexpected error in %s", request.path)
    try:
        campaign = _campaign_for()
    except Exception:
        campaign = None
    language = request.args.get("l")
    if campaign is None or language not in campaign.languages:
        language = None
    return _twiml(flow.technical_problem(campaign, language))


@bp.post("/voice")
def voice() -> Response:
    """A call comes in: route by the dialled number, check the gate, greet or turn away."""
    context, now, campaign, key = _incoming()
    if campaign is None:
        _journal(facts.ANSWER, key, now, refusal="unknown_number", result="unknown_number")
        return _twiml(flow.unknown_number())
    decision = check_gate(campaign, now)
    reply = flow.answer_call(campaign, decision, _links(context))
    journalled = _journal(facts.ANSWER, key, now,
                          refusal=decision.refusal and str(decision.refusal),
                          result=reply.record.result, language=reply.record.language)
    if not journalled and decision.is_open:
        # Nothing the caller pressed could be kept: offer the message that can be.
        return _twiml(_line_problem(campaign, fallback.FailedStep()))
    return _twiml(reply.twiml)


@bp.post("/step/<name>")
def step(name: str) -> Response:
    """One answer of the caller (or a fallback after silence): say what comes next."""
    if name not in flow.STEPS:
        abort(404)
    context, now, campaign, key = _incoming()
    if campaign is None:
        return _twiml(flow.technical_problem(None))
    state = CallState.from_query(request.args)
    lookup = _look_up(context, campaign, name, state, key)
    try:
        reply = flow.handle_step(name, campaign, state, request.form.to_dict(), _links(context),
                                 context.make_reference, lookup=lookup)
    except (JournalUnavailable, ReferencesExhausted) as exc:
        log.error("no reference could be made at step/%s: %s", name, exc)
        return _twiml(_line_problem(campaign, fallback.FailedStep(state.language, state.step_no)))
    record = reply.record
    if not _journal(facts.STEP, key, now, step_no=record.step_no, step=record.step,
                    result=record.result, digits=record.digits,
                    language=record.language or state.language or None,
                    chose_category=record.chose_category,
                    referred=record.referred, transferred=record.transferred,
                    report=asdict(record.report) if record.report else None,
                    **_followup_fields(record), **_due_days(campaign)):
        return _twiml(_line_problem(campaign, fallback.FailedStep(state.language, state.step_no)))
    return _twiml(reply.twiml)


@bp.post("/recording")
def recording() -> tuple[str, int]:
    """Twilio's recording status callback: the sign that a report's audio exists."""
    context = _context()
    now = context.clock()
    campaign = context.campaigns.by_id.get(request.args.get("cid", ""))
    if campaign is None:
        raise BadRequest("the recording callback names no known campaign")
    key = call_key(request.form, campaign.id)
    state = CallState.from_query(request.args)
    if state.after == followup.FOLLOW:
        addition = followup.addition_of(state, request.form.to_dict())
        if addition.recording_status != "completed" or not addition.recording_sid:
            return "", 204
        if not _journal(facts.RECORDING, key, now, addition=asdict(addition)):
            raise JournalFailed
        return "", 204
    report = flow.recording_report(campaign, state, request.form.to_dict())
    if report.recording_status != "completed" or not report.recording_sid:
        return "", 204  # no audio (an empty recording): nothing to keep
    if not _journal(facts.RECORDING, key, now, report=asdict(report), **_due_days(campaign)):
        raise JournalFailed  # nobody is on the line: let Twilio retry instead of losing it
    return "", 204


@bp.post("/status")
def status() -> tuple[str, int]:
    """The call status callback: the call ended (or moved on); duplicates change nothing."""
    _, now, _, key = _incoming()
    call_status = request.form.get("CallStatus", "")
    if call_status not in KNOWN_CALL_STATUSES:
        raise BadRequest("CallStatus is missing or unknown")
    if not _journal(facts.STATUS, key, now, status=call_status,
                    sequence=small_int(request.form.get("SequenceNumber")),
                    duration=small_int(request.form.get("CallDuration"))):
        raise JournalFailed
    return "", 204


@bp.post("/fallback")
def fallback_url() -> Response:
    """The number's "primary handler fails" URL: needs neither the database nor the journal.

    Twilio adds ErrorCode and ErrorUrl; they are logged with the call's SID only (the
    failed URL's path, not its query, which holds the caller's menu choices).
    """
    context = _context()
    sid = call_sid(request.form)
    campaign = _campaign_for()
    if request.args.get("done"):
        return _twiml(fallback.message_taken(campaign, request.args.get("l", ""),
                                             request.args.get("ref", "")))
    error_url = request.form.get("ErrorUrl", "")
    log.error("Twilio used the fallback URL for call %s: error %s at %s", sid,
              (request.form.get("ErrorCode") or "none")[:16],
              urlsplit(error_url).path[:200] or "unknown")
    try:
        reference = context.make_reference()
    except (JournalUnavailable, ReferencesExhausted):
        reference = ""
    failed = fallback.FailedStep.from_error_url(error_url)
    return _twiml(fallback.line_problem(campaign, failed, _links(context),
                                        reference or new_reference()))


def _due_days(campaign: Campaign) -> dict[str, int | None]:
    return {"acknowledge_days": campaign.acknowledge_days,
            "feedback_days": campaign.feedback_days}


def _look_up(context: WebhookContext, campaign: Campaign, name: str, state: CallState,
             key: CallKey) -> followup.Lookup | None:
    """The follow-up step's one bounded read; "unreadable" whatever goes wrong with it."""
    wanted = followup.lookup_needed(name, state, request.form)
    if wanted is None:
        return None
    if context.look_up is None:
        return followup.Lookup(available=False)
    try:
        return context.look_up(campaign, wanted, key)
    except Exception as exc:  # the database away, stalled or refusing: the caller goes on
        log.warning("follow-up lookup failed at step/%s: %s", name, type(exc).__name__)
        return followup.Lookup(available=False)


def _followup_fields(record: StepRecord) -> dict[str, object]:
    fields: dict[str, object] = {}
    if record.followup is not None:
        fields["followup"] = asdict(record.followup)
    if record.addition is not None:
        fields["addition"] = asdict(record.addition)
    return fields
