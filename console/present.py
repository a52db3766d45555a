"""How things look in the console: masked numbers, local times, labels, timeline lines."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from campaign.model import Campaign, Campaigns
from console.i18n import translate
from db import audit
from db.models import CallEvent

UTC_ZONE = ZoneInfo("UTC")
# The console speaks Chinese or English; campaign labels are kept per spoken language.
LABEL_LANGUAGE = {"zh": "cmn", "en": "en"}


mask_number = audit.mask_number  # the audit log's rule: only the last four digits


def zone_of(campaigns: Campaigns, campaign_id: str | None) -> ZoneInfo:
    campaign = campaigns.by_id.get(campaign_id or "")
    return campaign.timezone if campaign else UTC_ZONE


def local(moment: datetime | None, zone: ZoneInfo, pattern: str = "%Y-%m-%d %H:%M") -> str:
    if moment is None:
        return "—"
    return moment.astimezone(zone).strftime(pattern)


def label(campaign: Campaign | None, kind: str, item_id: str | None, lang: str) -> str:
    """A category's or subject's label from the campaign file, in the console's language."""
    if not item_id:
        return "—"
    if campaign is None:
        return item_id
    return campaign.label(kind, item_id, LABEL_LANGUAGE.get(lang, "en"))


def describe_event(event: CallEvent, campaign: Campaign | None, lang: str) -> str:
    """One line of the timeline: what the caller heard and what they pressed."""
    result = event.result or ""
    base, _, extra = result.partition(":")
    key = f" ({translate('key')} {event.digits})" if event.digits else ""
    if base == "category":
        return translate("ev_category", label=label(campaign, "category", extra, lang)) + key
    if base == "subject":
        return translate("ev_subject", label=label(campaign, "subject", extra, lang)) + key
    if base == "language":
        return translate("ev_language", language=translate(f"lang_{extra}")) + key
    if base == "followup" and extra:
        # A follow-up names the report by its id only, never the digits the caller typed.
        kind = "found" if extra.isdigit() else extra.partition(":")[0]
        text = translate(f"ev_followup_{kind}", report=extra)
        return text + (" — " + translate("ev_menu") if extra.endswith(":menu") else "")
    if base == "operator_unanswered":
        return translate("ev_operator_unanswered", status=extra)
    text = translate(f"ev_{base}", default=result)
    if extra == "gave_up":
        text += " — " + translate("ev_gave_up")
    return text + key


def duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"
