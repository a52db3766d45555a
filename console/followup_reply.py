"""Follow-up calls in the console: the team's reply to the caller, the messages a caller
added, "new information" for the assignee, and messages whose reference matched nothing.

Its routes join the console's blueprint; the call page includes console/_followup.html for each
report. The rules live in db/replies.py and db/additions.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, render_template, request
from flask_login import current_user
from sqlalchemy import select

from console import bp
from console.auth import address, context, db, me, requires, visible_campaign_ids, visible_or_404
from console.pages import back_to as _back_to
from console.pages import now as _now
from console.pages import report_or_404 as _report
from console.pages import translated as _translate
from db import audit, replies
from db.additions import count_unmatched, unmatched_additions
from db.followup import FollowUpError
from db.models import Report, ReportAddition
from db.recording_models import RecordingFile

MAX_REPLY = replies.MAX_REPLY


@bp.app_template_global("followup_of")
def followup_of(report: Report) -> dict[str, Any]:
    """What the report's follow-up box shows: confirmed additions, the reply, languages."""
    campaign = context().campaigns.by_id.get(report.campaign_id or "")
    languages = campaign.languages if campaign else ()
    return {"additions": list(report.additions), "languages": languages,
            "max_reply": MAX_REPLY}


@bp.app_template_global("unmatched_count")
def unmatched_count() -> int:
    """How many added messages name a reference that matched no report (an indexed count)."""
    return count_unmatched(db(), visible_campaign_ids())


def mark_seen(reports: list[Report]) -> None:
    """The call page was opened: the assignee has now seen any new information."""
    if any(r.new_info_at for r in reports):
        replies.seen_by(db(), [r.id for r in reports], me())
        db().commit()


@bp.post("/reports/<reference>/reply")
@requires("calls")
def write_reply(reference: str) -> Any:
    report = _report(reference)
    campaign = context().campaigns.by_id.get(report.campaign_id or "")
    try:
        replaced = report.reply_text is not None
        replies.write_reply(db(), report, request.form.get("reply", ""),
                            language=request.form.get("language", ""),
                            languages=campaign.languages if campaign else (),
                            actor=me(), at=_now())
        audit.record(db(), at=_now(), actor=current_user.name, action="reply_written",
                     target=reference, detail="replaced" if replaced else "written",
                     address=address())
        db().commit()
        flash(_translate("reply_saved"), "ok")
    except FollowUpError as exc:
        db().rollback()
        flash(_translate(f"fu_err_{exc.code}"), "error")
    return _back_to(report)


@dataclass(frozen=True)
class _AddedRecording:
    """An added message as the console's Twilio player sees a recording (audited under
    the report's reference)."""

    reference: str
    recording_sid: str | None
    recording_status: str | None


@bp.get("/additions/<int:addition_id>/audio")
@requires("calls")
def addition_audio(addition_id: int) -> Any:
    """An added message: the local copy (disguised as the campaign says), else Twilio's
    copy where voices are not disguised, exactly as a report's own recording."""
    from console.recordings.playback import play_local, twilio_playback

    addition = db().get(ReportAddition, addition_id)
    if addition is None or addition.recording_sid is None:
        abort(404)
    visible_or_404(addition.campaign_id)
    report = db().get(Report, addition.report_id) if addition.report_id else None
    reference = report.reference if report else (addition.reference or "")
    campaign = context().campaigns.by_id.get(addition.campaign_id or "")
    row = db().scalar(select(RecordingFile).where(RecordingFile.addition_id == addition.id))
    local = play_local(row, campaign, reference, name_as=f"{reference}-added-{addition.id}")
    if local is not None:
        return local
    return twilio_playback(_AddedRecording(reference, addition.recording_sid,  # type: ignore[arg-type]
                                        addition.recording_status))


@bp.get("/additions/unmatched")
@requires("calls")
def unmatched() -> Any:
    rows = unmatched_additions(db(), visible_campaign_ids())
    return render_template("console/unmatched_additions.html", rows=rows)
