"""Reading what Twilio posts: call identity, numbers in E.164, small integers."""

from __future__ import annotations

import re
from collections.abc import Mapping

import phonenumbers

from db.calllog import CallKey

CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
WITHHELD = {"anonymous", "restricted", "unknown", "private", "unavailable", "blocked"}
# What Twilio puts in From for a withheld caller ID: ANONYMOUS, RESTRICTED, UNKNOWN,
# BLOCKED spelled on a keypad.
WITHHELD_NUMBERS = {"+266696687", "+7378742833", "+86282452253", "+2562533"}


class BadRequest(ValueError):
    """A parameter Twilio would never send; answered with 400."""


def e164(raw: str | None, region: str | None = None) -> str | None:
    """A phone number in E.164, 'anonymous' for withheld numbers, None when absent.

    A number that cannot be parsed is kept (trimmed) rather than lost: it is still
    what the network reported.
    """
    if raw is None:
        return None
    text = raw.strip()
    if not text:
        return None
    if text.lower().lstrip("+") in WITHHELD or text in WITHHELD_NUMBERS:
        return "anonymous"
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return text[:32]
    if not phonenumbers.is_possible_number(number):
        return text[:32]
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def call_sid(params: Mapping[str, str]) -> str:
    sid = params.get("CallSid", "")
    if not CALL_SID.match(sid):
        raise BadRequest("CallSid is missing or malformed")
    return sid


def call_key(params: Mapping[str, str], campaign_id: str | None,
             to_number: str | None = None) -> CallKey:
    """`to_number`: the dialled number already normalised (it routed the call)."""
    return CallKey(call_sid=call_sid(params), campaign_id=campaign_id,
                   from_number=e164(params.get("From")),
                   to_number=to_number or e164(params.get("To")))


def small_int(raw: str | None) -> int | None:
    if raw is None or not raw.strip().isdigit() or len(raw.strip()) > 9:
        return None
    return int(raw.strip())
