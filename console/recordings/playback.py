"""A recording played: the local copy (ranges, so seeking works; the disguised voice
unless the original was opened) or, while it is not home yet, Twilio's, streamed."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from flask import Response, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from console.auth import address, close_db, context, db, writer
from console.pages import now, translated
from console.recordings.media import MediaError
from db import audit
from db.models import Report
from db.recording_models import RecordingFile, RecordingState
from recordings.sealed import SealedError
from recordings.store import Copy

log = logging.getLogger("hotline.console.recordings")

WAITING = (RecordingState.AT_TWILIO.value, RecordingState.FAILED.value)
MEDIA_STATUS = {"not_configured": 503, "not_found": 404, "unauthorized": 502, "timeout": 504,
                "unreachable": 502, "upstream": 502, "bad_range": 416, "no_recording": 404}


def disguised(row: RecordingFile | None, campaign: Any) -> bool:
    """Whether operators hear a disguised voice for this recording."""
    if row is not None and row.disguise is not None:
        return row.disguise != "off"
    return campaign is None or (campaign.recordings == "local"
                                and campaign.voice_disguise != "off")


def refuse(code: str, status: int, reference: str) -> Response:
    """Why it cannot be played: plain text for the page's script asking (?check=1), an
    error page for a browser that followed the link."""
    message = translated(f"media_{code}")
    if request.args.get("check"):
        return Response(message, status=status, mimetype="text/plain")
    return Response(render_template(
        "console/error.html", title=translated("media_title"), message=message,
        back_url=url_for("console.find", reference=reference)), status=status,
        mimetype="text/html")


def _played(reference: str, original: bool) -> None:
    # A player asks for several ranges, starting wherever it likes (a resumed or seeking
    # player never asks for byte 0): the first request of this user for this recording
    # within audit.PLAY_WINDOW is the play, whatever its range.
    with writer() as session, session.begin():
        audit.played(session, at=now(), actor=current_user.name, reference=reference,
                     original=original, address=address())


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
        if disguised(row, campaign) and not original:
            return refuse("preparing", 409, reference)
        return None
    if row.state == RecordingState.PURGED.value:
        return refuse("purged", 410, reference)
    if original:
        copy, name = Copy.ORIGINAL, row.original_file
    elif row.disguised_file:
        copy, name = Copy.DISGUISED, row.disguised_file
    else:
        copy, name = Copy.ORIGINAL, row.original_file
    if name is None:
        return refuse("no_original", 404, reference)
    recording_sid = row.recording_sid
    close_db()
    store = context().recordings
    if store is None:
        return refuse("unreadable", 500, reference)
    try:
        sealed = store.open(recording_sid, copy, name)
    except SealedError as exc:
        log.error("a sealed recording cannot be read: %s", exc)
        return refuse("unreadable", 500, reference)
    length = sealed.length
    start, stop, status = 0, length, 200
    if request.range is not None:
        span = request.range.range_for_length(length)
        if span is None:
            sealed.close()
            response = refuse("bad_range", 416, reference)
            response.headers["Content-Range"] = f"bytes */{length}"
            return response
        (start, stop), status = span, 206
    if request.args.get("check"):
        sealed.close()
        return Response(status=204)
    _played(reference, original)

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


def twilio_playback(report: Report) -> Any:
    """The recording streamed from Twilio (not downloaded yet, or a "twilio" campaign)."""
    reference = report.reference
    recording_sid, recording_status = report.recording_sid, report.recording_status
    # Nothing is held open while Twilio answers (up to its timeout).
    close_db()
    try:
        if not recording_sid or recording_status not in (None, "completed"):
            raise MediaError("no_recording")
        stream = context().media.open(recording_sid, request.headers.get("Range"))
    except MediaError as exc:
        return refuse(exc.code, MEDIA_STATUS.get(exc.code, 502), reference)
    if request.args.get("check"):
        # The page's script asking why the player failed; it did not fail this time.
        stream.close()
        return Response(status=204)
    _played(reference, original=False)
    return Response(stream.chunks(), status=stream.status, headers={
        **stream.headers, "Cache-Control": "no-store",
        "Content-Disposition": f'inline; filename="report-{reference}.mp3"'})
