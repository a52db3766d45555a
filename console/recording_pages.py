"""Recordings in the console: the local copy played (ranges, so seeking works), which
voice each role hears, "play original" for managers, legal holds, and where each
recording is (at Twilio, home, deleted at Twilio, failed and why, purged).

Its routes join views.bp; the call page includes console/_recording.html. The rules
live in recordings/ and db/; these functions parse, call and render.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from flask import Response, abort, flash, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select

from console.auth import address, close_db, context, db, requires, writer
from console.forms import ReasonForm
from db import audit, holds
from db.models import Report
from db.recording_models import LegalHold, RecordingFile, RecordingState
from recordings.sealed import SealedError
from recordings.store import Copy

from console.views import PLAY_WINDOW, _back_to, _report, _translate, bp  # isort: skip

log = logging.getLogger("hotline.console.recordings")

ORIGINAL_GRANT = timedelta(minutes=10)  # "play original" opens the original for this long
GRANTS_KEY = "original_grants"
WAITING = (RecordingState.AT_TWILIO.value, RecordingState.FAILED.value)


# --- what the call page shows ------------------------------------------------------------------

@bp.app_template_global("recording_of")
def recording_of(report: Report) -> dict[str, Any]:
    """The report's recording state and hold for the page (two key reads per report)."""
    row = db().scalar(select(RecordingFile).where(RecordingFile.report_id == report.id))
    hold = db().get(LegalHold, report.id)
    campaign = context().campaigns.by_id.get(report.campaign_id or "")
    if row is not None:
        state = row.state
    elif campaign is not None and campaign.recordings == "twilio":
        state = "kept_at_twilio"
    else:
        state = RecordingState.AT_TWILIO.value
    return {"row": row, "state": state, "hold": hold, "campaign": campaign,
            "disguised": _disguised(row, campaign),
            "original_open": _granted(report.reference)}


def _disguised(row: RecordingFile | None, campaign: Any) -> bool:
    """Whether operators hear a disguised voice for this recording."""
    if row is not None and row.disguise is not None:
        return row.disguise != "off"
    return campaign is None or (campaign.recordings == "local"
                                and campaign.voice_disguise != "off")


def _granted(reference: str) -> bool:
    expiry = (session.get(GRANTS_KEY) or {}).get(reference)
    return isinstance(expiry, (int, float)) and expiry > context().clock().timestamp()


# --- playing ------------------------------------------------------------------------------------

def _refuse(code: str, status: int, reference: str) -> Response:
    message = _translate(f"media_{code}")
    if request.args.get("check"):
        return Response(message, status=status, mimetype="text/plain")
    return Response(render_template(
        "console/error.html", title=_translate("media_title"), message=message,
        back_url=url_for("console.find", reference=reference)), status=status,
        mimetype="text/html")


def local_playback(report: Report, *, original: bool = False) -> Any:
    """The report's audio from the local copy; None when it is not home yet and Twilio may
    play it (a campaign without disguise, or a manager's "play original")."""
    row = db().scalar(select(RecordingFile).where(RecordingFile.report_id == report.id))
    campaign = context().campaigns.by_id.get(report.campaign_id or "")
    return play_local(row, campaign, report.reference, original=original)


def play_local(row: RecordingFile | None, campaign: Any, reference: str, *,
               original: bool = False, name_as: str | None = None) -> Any:
    """local_playback for any recording row (a report's, or a message added to it later);
    `name_as` names the file the browser sees (default: the report's reference)."""
    if row is None or row.state in WAITING:
        if _disguised(row, campaign) and not original:
            return _refuse("preparing", 409, reference)
        return None
    if row.state == RecordingState.PURGED.value:
        return _refuse("purged", 410, reference)
    if original:
        copy, name = Copy.ORIGINAL, row.original_file
    elif row.disguised_file:
        copy, name = Copy.DISGUISED, row.disguised_file
    else:
        copy, name = Copy.ORIGINAL, row.original_file
    if name is None:
        return _refuse("no_original", 404, reference)
    recording_sid = row.recording_sid
    close_db()
    store = context().recordings
    if store is None:
        return _refuse("unreadable", 500, reference)
    try:
        sealed = store.open(recording_sid, copy, name)
    except SealedError as exc:
        log.error("a sealed recording cannot be read: %s", exc)
        return _refuse("unreadable", 500, reference)
    length = sealed.length
    wanted = request.range
    start, stop, status = 0, length, 200
    if wanted is not None:
        span = wanted.range_for_length(length)
        if span is None:
            sealed.close()
            response = _refuse("bad_range", 416, reference)
            response.headers["Content-Range"] = f"bytes */{length}"
            return response
        (start, stop), status = span, 206
    if request.args.get("check"):
        sealed.close()
        return Response(status=204)
    with writer() as write, write.begin():
        audit.record_once(write, within=PLAY_WINDOW, at=context().clock(),
                          actor=current_user.name,
                          action="original_played" if original else "recording_played",
                          target=reference, address=address())

    def body() -> Iterator[bytes]:
        try:
            yield from sealed.chunks(start, stop)
        except SealedError as exc:
            log.error("a sealed recording broke off while playing: %s", exc)
        finally:
            sealed.close()

    headers = {"Content-Type": "audio/wav", "Accept-Ranges": "bytes",
               "Content-Length": str(stop - start), "Cache-Control": "no-store",
               "Content-Disposition": f'inline; filename="report-{name_as or reference}.wav"'}
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{length}"
    return Response(body(), status=status, headers=headers, direct_passthrough=True)


@bp.get("/reports/<reference>/original/audio")
@requires("original_voice")
def original_audio(reference: str) -> Any:
    """The caller's own voice: managers only, after an audited "play original"."""
    report = _report(reference)
    if not _granted(reference):
        abort(403)
    local = local_playback(report, original=True)
    if local is not None:
        return local
    from console.views import twilio_audio  # not home yet: Twilio's copy

    return twilio_audio(report)


@bp.post("/reports/<reference>/original")
@requires("original_voice")
def open_original(reference: str) -> Any:
    report = _report(reference)
    form = ReasonForm()
    if not form.validate():
        flash(_translate("original_needs_reason"), "error")
        return _back_to(report)
    now = context().clock()
    audit.record(db(), at=now, actor=current_user.name, action="original_opened",
                 target=reference, detail=form.reason.data.strip(), address=address())
    db().commit()
    grants = {ref: expiry for ref, expiry in (session.get(GRANTS_KEY) or {}).items()
              if isinstance(expiry, (int, float)) and expiry > now.timestamp()}
    grants[reference] = (now + ORIGINAL_GRANT).timestamp()
    session[GRANTS_KEY] = grants
    flash(_translate("original_opened"), "ok")
    return _back_to(report)


# --- legal hold ---------------------------------------------------------------------------------

@bp.post("/reports/<reference>/hold")
@requires("legal_hold")
def legal_hold(reference: str) -> Any:
    report = _report(reference)
    form = ReasonForm()
    placing = request.form.get("action") != "release"
    if placing and not form.validate():
        flash(_translate("hold_needs_reason"), "error")
        return _back_to(report)
    reason = (form.reason.data or "").strip()
    now = context().clock()
    changed = (holds.place(db(), report.id, at=now, by=current_user.name, reason=reason)
               if placing else holds.release(db(), report.id))
    if changed:
        audit.record(db(), at=now, actor=current_user.name,
                     action="legal_hold_placed" if placing else "legal_hold_released",
                     target=reference, detail=reason or None, address=address())
    db().commit()
    flash(_translate("hold_placed" if placing else "hold_released"), "ok")
    return _back_to(report)
