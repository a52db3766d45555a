"""The Flask blueprint Twilio talks to.

Each handler is thin: check the signature, parse, ask `ivr` what to say, store
what happened through `db` in one transaction, answer. The answer never waits
on the database's verdict: a failed write is logged and the caller still hears
the next prompt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from flask import Blueprint, Flask, Response, abort, current_app, request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from db import calllog
from db.calllog import CallKey
from ivr import flow
from ivr.campaign import Campaign, Campaigns, Route
from ivr.gate import check_gate
from webhooks.params import BadRequest, call_key, e164, small_int
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
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime]
    auth_token: str
    public_url: str | None = None
    on_write_error: Callable[[str], None] | None = None


def init_app(app: Flask, context: WebhookContext) -> None:
    app.extensions["hotline.webhooks"] = context
    app.register_blueprint(bp)


def _context() -> WebhookContext:
    return current_app.extensions["hotline.webhooks"]


def _twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def _links(context: WebhookContext) -> flow.Links:
    if context.public_url:
        return flow.Links(context.public_url.rstrip("/") + PREFIX)
    return flow.Links(request.script_root + PREFIX)


class WriteFailed(Exception):
    """A callback's write failed: answer 503 so that Twilio may deliver it again."""


def _store(what: str, write: Callable[[Session], object]) -> object | None:
    """Run one write transaction; on a database error log it and carry on (None)."""
    context = _context()
    try:
        with context.sessions.begin() as session:
            return write(session)
    except SQLAlchemyError as exc:
        # No caller data in logs: the step, the error class and the database's error code.
        orig = getattr(exc, "orig", None)
        code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
        log.error("call log write failed at %s: %s (%s)", what,
                  type(orig or exc).__name__, code or "no code")
        if context.on_write_error:
            context.on_write_error(what)
        return None


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


@bp.errorhandler(flow.BadState)
def _bad_state(exc: flow.BadState) -> tuple[str, int] | Response:
    if request.endpoint == "twilio.step":
        # A signed step whose state no longer fits (the campaign file changed mid-call):
        # a caller is on the line, so apologise rather than leave Twilio's error message.
        log.warning("step state does not fit the campaign at %s: %s", request.path, exc)
        campaign = _campaign_for()
        return _twiml(flow.technical_problem(campaign, None))
    return f"bad step state: {exc}", 400


@bp.errorhandler(WriteFailed)
def _write_failed(_exc: WriteFailed) -> tuple[str, int, dict[str, str]]:
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
        _store("voice", lambda s: calllog.log_answer(
            s, key, at=now, refusal="unknown_number", result="unknown_number"))
        return _twiml(flow.unknown_number())
    decision = check_gate(campaign, now)
    reply = flow.answer_call(campaign, decision, _links(context))
    _store("voice", lambda s: calllog.log_answer(
        s, key, at=now, refusal=decision.refusal and str(decision.refusal),
        result=reply.record.result, language=reply.record.language))
    return _twiml(reply.twiml)


@bp.post("/step/<name>")
def step(name: str) -> Response:
    """One answer of the caller (or a fallback after silence): say what comes next."""
    if name not in flow.STEPS:
        abort(404)
    context, now, campaign, key = _incoming()
    if campaign is None:
        return _twiml(flow.technical_problem(None))
    state = flow.CallState.from_query(request.args)
    links = _links(context)
    params = request.form.to_dict()
    reply = flow.handle_step(name, campaign, state, params, links)
    record = reply.record

    def write(session: Session) -> str | None:
        reference = None
        if record.report is not None:
            reference = _save_report(session, key, record.report, now, campaign)
        calllog.log_step(session, key, at=now, step_no=record.step_no, step=record.step,
                         result=record.result, digits=record.digits,
                         language=record.language or state.language or None,
                         referred=record.referred, transferred=record.transferred)
        return reference

    stored = _store(f"step/{name}", write)
    if record.report is not None and stored and stored != record.report.reference:
        # The random reference was already taken: the caller hears the one on file.
        reply = flow.handle_step(name, campaign, replace(state, reference=str(stored)),
                                 params, links)
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
    state = flow.CallState.from_query(request.args)
    report = flow.recording_report(campaign, state, request.form.to_dict())
    if report.recording_status != "completed" or not report.recording_sid:
        return "", 204  # no audio (an empty recording): nothing to keep
    if _store("recording", lambda s: _save_report(s, key, report, now, campaign)) is None:
        raise WriteFailed  # nobody is on the line: let Twilio retry instead of losing it
    return "", 204


@bp.post("/status")
def status() -> tuple[str, int]:
    """The call status callback: the call ended (or moved on); duplicates change nothing."""
    _, now, _, key = _incoming()
    call_status = request.form.get("CallStatus", "")
    if call_status not in KNOWN_CALL_STATUSES:
        raise BadRequest("CallStatus is missing or unknown")
    stored = _store("status", lambda s: calllog.apply_status(
        s, key, at=now, status=call_status,
        sequence=small_int(request.form.get("SequenceNumber")),
        duration=small_int(request.form.get("CallDuration"))))
    if stored is None:
        raise WriteFailed
    return "", 204


def _save_report(session: Session, key: CallKey, report: flow.ReportFact, at: datetime,
                 campaign: Campaign) -> str:
    return calllog.save_report(
        session, key, at=at, number=report.number, reference=report.reference,
        category=report.category, subject=report.subject, recording_sid=report.recording_sid,
        recording_url=report.recording_url, recording_seconds=report.recording_seconds,
        recording_status=report.recording_status, new_reference=flow.new_reference,
        acknowledge_days=campaign.acknowledge_days, feedback_days=campaign.feedback_days,
        in_scope=report.in_scope)
