"""Reading what Twilio posts: call identity, numbers in E.164, small integers."""

from __future__ import annotations

import re
from collections.abc import Mapping

import phonenumbers

from campaign.routing import sip_user, to_e164
from db.calllog import CallKey

CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
WITHHELD = {"anonymous", "restricted", "unknown", "private", "unavailable", "blocked"}
# What Twilio puts in From for a withheld caller ID: ANONYMOUS, RESTRICTED, UNKNOWN,
# BLOCKED spelled on a keypad.
WITHHELD_NUMBERS = {"+266696687", "+7378742833", "+86282452253", "+2562533"}
ANONYMOUS = "anonymous"  # stored for a withheld caller: never a number


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


def caller_number(raw: str | None, region: str | None = None) -> str | None:
    """Twilio's From as stored: E.164, ANONYMOUS for a withheld caller, else None.

    From may be a number, a SIP URI (whose user part may be a number, national forms
    read in the line's `region`), 'anonymous', or +266696687 (Twilio's "unknown").
    Nothing that is not a number is ever stored as one.
    """
    text = (raw or "").strip()
    if not text:
        return None
    user = sip_user(text)
    if user is not None:
        text = user
    if text.lower().lstrip("+") in WITHHELD or text in WITHHELD_NUMBERS:
        return ANONYMOUS
    number = to_e164(text, region)
    if number in WITHHELD_NUMBERS:
        return ANONYMOUS
    return number


def call_sid(params: Mapping[str, str]) -> str:
    sid = params.get("CallSid", "")
    if not CALL_SID.match(sid):
        raise BadRequest("CallSid is missing or malformed")
    return sid


def call_key(params: Mapping[str, str], campaign_id: str | None,
             to_number: str | None = None, region: str | None = None) -> CallKey:
    """`to_number`: the line the call came in on, already read (it routed the call);
    `region`: the campaign's, for national numbers in a SIP From."""
    return CallKey(call_sid=call_sid(params), campaign_id=campaign_id,
                   from_number=caller_number(params.get("From"), region),
                   to_number=to_number or e164(params.get("To")))


def small_int(raw: str | None) -> int | None:
    if raw is None or not raw.strip().isdigit() or len(raw.strip()) > 9:
        return None
    return int(raw.strip())
