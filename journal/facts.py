"""What a webhook journals, and how each kind of fact reaches the call log.

A fact is a small JSON object. Applying one goes through `db.calllog`, whose
writes are keyed (CallSid, CallSid + step, CallSid + report number, recording
SID, reference), so applying the same fact twice — after a crash between the
database's commit and the journal's compaction — changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from db import additions, calllog
from db.calllog import CallKey

log = logging.getLogger("hotline.journal")

ANSWER, STEP, RECORDING, STATUS = "answer", "step", "recording", "status"


def key_fields(key: CallKey) -> dict[str, Any]:
    return {"sid": key.call_sid, "cid": key.campaign_id, "from": key.from_number,
            "to": key.to_number}


def fact(key: CallKey, at: datetime, **fields: Any) -> dict[str, Any]:
    return key_fields(key) | {"at": at.isoformat()} | fields


def _key(payload: dict[str, Any]) -> CallKey:
    return CallKey(call_sid=payload["sid"], campaign_id=payload.get("cid"),
                   from_number=payload.get("from"), to_number=payload.get("to"))


def apply_fact(session: Session, kind: str, payload: dict[str, Any],
               new_reference: Callable[[], str]) -> None:
    """Apply one journalled fact inside the caller's transaction."""
    key = _key(payload)
    at = datetime.fromisoformat(payload["at"])
    if kind == ANSWER:
        calllog.log_answer(session, key, at=at, refusal=payload.get("refusal"),
                           result=payload["result"], language=payload.get("language"))
    elif kind == STEP:
        if payload.get("report"):
            _save_report(session, key, at, payload, new_reference)
        if payload.get("addition"):
            additions.save_addition(session, key, at=at, addition=payload["addition"])
        calllog.log_step(session, key, at=at, step_no=payload["step_no"], step=payload["step"],
                         result=payload["result"], digits=payload.get("digits"),
                         language=payload.get("language"),
                         chose_category=_chose_category(payload),
                         referred=bool(payload.get("referred")),
                         transferred=bool(payload.get("transferred")),
                         followed_up=bool((payload.get("followup") or {}).get("reached")))
        if payload.get("followup"):
            additions.apply_followup(session, key, at=at, followup=payload["followup"])
    elif kind == RECORDING:
        if payload.get("addition"):
            additions.save_addition(session, key, at=at, addition=payload["addition"])
        else:
            _save_report(session, key, at, payload, new_reference)
    elif kind == STATUS:
        calllog.apply_status(session, key, at=at, status=payload["status"],
                             sequence=payload.get("sequence"), duration=payload.get("duration"))
    else:
        raise ValueError(f"unknown journal entry kind {kind!r}")


def _chose_category(payload: dict[str, Any]) -> bool:
    if "chose_category" in payload:
        return bool(payload["chose_category"])
    # Written before the fact was typed (a journal left over from an upgrade): the result
    # string said it.
    return str(payload["result"]).startswith("category:")


def _save_report(session: Session, key: CallKey, at: datetime, payload: dict[str, Any],
                 new_reference: Callable[[], str]) -> None:
    report = payload["report"]
    stored = calllog.save_report(
        session, key, at=at, number=report["number"], reference=report["reference"],
        category=report.get("category"), subject=report.get("subject"),
        recording_sid=report.get("recording_sid"), recording_url=report.get("recording_url"),
        recording_seconds=report.get("recording_seconds"),
        recording_status=report.get("recording_status"), new_reference=new_reference,
        acknowledge_days=payload.get("acknowledge_days"),
        feedback_days=payload.get("feedback_days"), in_scope=report.get("in_scope", True))
    if stored != report["reference"]:
        # Only a misconfiguration makes this (two hosts with one HOTLINE_HOST_NUMBER, or a
        # changed HOTLINE_REFERENCE_KEY): the report is kept, under a fresh reference.
        log.error("a reference read to a caller was already taken; the report is kept under "
                  "another one: check HOTLINE_HOST_NUMBER and HOTLINE_REFERENCE_KEY")
