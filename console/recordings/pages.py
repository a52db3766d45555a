"""The recordings' pages: a report's audio, "play original" for managers, legal holds,
and the recording's state on the call page (console/_recording.html). The rules live
in recordings/ and db/; these functions parse, call and render."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, flash, request, session
from flask_login import current_user
from sqlalchemy import select

from console import bp
from console.auth import address, context, db, requires
from console.forms import ReasonForm
from console.pages import back_to, now, report_or_404, translated
from console.recordings.playback import disguised, local_playback, twilio_playback
from db import audit, holds
from db.models import Report
from db.recording_models import LegalHold, RecordingFile, RecordingState

ORIGINAL_GRANT = timedelta(minutes=10)  # "play original" opens the original for this long
GRANTS_KEY = "original_grants"


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
            "disguised": disguised(row, campaign),
            "original_open": _granted(report.reference)}


HOME = (RecordingState.DOWNLOADED.value, RecordingState.DELETED.value)


@bp.app_template_global("unplayable")
def unplayable(report: Report, recording: dict[str, Any]) -> str | None:
    """Why the report's page shows no player ("media_…", said in one line instead), or
    None when the audio can be played: the rules of playback.py, read ahead."""
    if not report.recording_sid or report.recording_status not in (None, "completed"):
        return "no_recording"
    state = recording["state"]
    if state == RecordingState.PURGED.value:
        return "media_purged"
    if state in HOME:
        return None if context().recordings is not None else "media_unreadable"
    if recording["disguised"]:
        return "media_preparing"
    return None if context().media.configured else "media_not_configured"


def _granted(reference: str) -> bool:
    expiry = (session.get(GRANTS_KEY) or {}).get(reference)
    return isinstance(expiry, (int, float)) and expiry > context().clock().timestamp()


@bp.get("/reports/<reference>/audio")
@requires("calls")
def audio(reference: str) -> Any:
    report = report_or_404(reference)
    local = local_playback(report)  # the copy here; None: not home yet, Twilio's
    return local if local is not None else twilio_playback(report)


@bp.get("/reports/<reference>/original/audio")
@requires("original_voice")
def original_audio(reference: str) -> Any:
    """The caller's own voice: managers only, after an audited "play original"."""
    report = report_or_404(reference)
    if not _granted(reference):
        abort(403)
    local = local_playback(report, original=True)
    return local if local is not None else twilio_playback(report)


@bp.post("/reports/<reference>/original")
@requires("original_voice")
def open_original(reference: str) -> Any:
    report = report_or_404(reference)
    form = ReasonForm()
    if not form.validate():
        flash(translated("original_needs_reason"), "error")
        return back_to(report)
    moment = now()
    audit.original_opened(db(), at=moment, actor=current_user.name, reference=reference,
                          reason=form.reason.data.strip(), address=address())
    db().commit()
    grants = {ref: expiry for ref, expiry in (session.get(GRANTS_KEY) or {}).items()
              if isinstance(expiry, (int, float)) and expiry > moment.timestamp()}
    grants[reference] = (moment + ORIGINAL_GRANT).timestamp()
    session[GRANTS_KEY] = grants
    flash(translated("original_opened"), "ok")
    return back_to(report)


@bp.post("/reports/<reference>/hold")
@requires("legal_hold")
def legal_hold(reference: str) -> Any:
    report = report_or_404(reference)
    form = ReasonForm()
    placing = request.form.get("action") != "release"
    if placing and not form.validate():
        flash(translated("hold_needs_reason"), "error")
        return back_to(report)
    reason = (form.reason.data or "").strip()
    moment = now()
    changed = (holds.place(db(), report.id, at=moment, by=current_user.name, reason=reason)
               if placing else holds.release(db(), report.id))
    if changed:
        audit.legal_hold(db(), at=moment, actor=current_user.name, reference=reference,
                         placed=placing, reason=reason, address=address())
    db().commit()
    flash(translated("hold_placed") if placing else translated("hold_released"), "ok")
    return back_to(report)
