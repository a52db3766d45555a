"""How things look in the console: masked numbers, local times, labels, timeline lines."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from campaign.model import Campaign, Campaigns
from console.i18n import translate, translate_plural
from db import audit
from db.inbox import DueClock
from db.models import CallEvent

UTC_ZONE = ZoneInfo("UTC")
# The console speaks Chinese or English; campaign labels are kept per spoken language.
LABEL_LANGUAGE = {"zh": "cmn", "en": "en"}


mask_number = audit.mask_number  # the audit log's rule: only the last four digits


def zone_of(campaigns: Campaigns, campaign_id: str | None) -> ZoneInfo:
    campaign = campaigns.by_id.get(campaign_id or "")
    return campaign.timezone if campaign else UTC_ZONE


def offset(moment: datetime, zone: ZoneInfo) -> str:
    """The zone as its UTC offset, "+08:00": never an abbreviation such as "CST", which
    names China's, Cuba's and the US Central zone alike."""
    text = moment.astimezone(zone).strftime("%z")
    return f"{text[:3]}:{text[3:]}" if len(text) == 5 else text


def local(moment: datetime | None, zone: ZoneInfo, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A time in `zone`; "%Z" in `pattern` is the zone's offset (see offset())."""
    if moment is None:
        return "—"
    return moment.astimezone(zone).strftime(pattern.replace("%Z", offset(moment, zone)))


def due_text(clock: DueClock) -> str:
    """A row's due clock in words: "due in 3 days", "due today", "overdue by 4 days"."""
    if clock.kind == "due":
        return translate_plural("due_in_days", "due_in_days_plural", clock.days)
    if clock.kind == "today":
        return translate("due_today")
    if clock.kind in ("overdue", "lapsed") and clock.days == 0:
        return translate("overdue_today")
    if clock.kind in ("overdue", "lapsed"):
        return translate_plural("overdue_by_days", "overdue_by_days_plural", clock.days)
    return translate("due_none")


def age(moment: datetime, now: datetime) -> str:
    """How long ago, in the largest whole unit: "3 days", "5 hours", "now"."""
    seconds = max(int((now - moment).total_seconds()), 0)
    if seconds >= 86400:
        return translate_plural("age_days", "age_days_plural", seconds // 86400)
    if seconds >= 3600:
        return translate_plural("age_hours", "age_hours_plural", seconds // 3600)
    if seconds >= 60:
        return translate_plural("age_minutes", "age_minutes_plural", seconds // 60)
    return translate("age_now")


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
