"""How calls reach a line, as Twilio really delivers them, and how the duty officer is dialled.

Twilio sells no mainland-China numbers, so a Chinese line reaches Twilio through a
carrier's SIP trunk (`To` is a SIP URI whose user part is the number, often in
national form), through call forwarding to a Twilio number (`ForwardedFrom` holds
the published number), or by dialling a Twilio number directly. The rules for
reading those forms live here, once; `Campaigns.route` applies them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import unquote

import phonenumbers

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# sip:user@host or sips:user@host, optionally with ;parameters (user=phone, transport=…).
SIP_URI = re.compile(r"^sips?:(?P<user>[^@\s;]+)@(?P<host>[^\s;?]+)(?P<params>[;?].*)?$",
                     re.IGNORECASE)
CLIENT = re.compile(r"^client:(?P<name>[A-Za-z0-9_.@-]{1,121})$")
REGION = re.compile(r"^[A-Z]{2}$")


def is_e164(text: str) -> bool:
    return bool(E164.match(text))


def sip_address(text: str) -> str | None:
    """A SIP URI as `sip:user@host` (host lower-cased, parameters dropped), else None."""
    match = SIP_URI.match(text.strip())
    if not match:
        return None
    return f"sip:{unquote(match.group('user'))}@{match.group('host').lower()}"


def sip_user(text: str) -> str | None:
    """The user part of a SIP URI ('+862087756920', '02087756920'), else None."""
    match = SIP_URI.match(text.strip())
    return unquote(match.group("user")) if match else None


# Every webhook of a call reads the same From and To again; parsing costs more than the
# rest of reading the request. Bounded, in this process's memory only (the journal on
# disk holds the same numbers).
@functools.lru_cache(maxsize=4096)
def to_e164(text: str, region: str | None) -> str | None:
    """A dialled number as E.164, national forms read in `region`; None when it is none."""
    candidate = text.strip()
    if not candidate or not re.fullmatch(r"[+0-9()\-. ]{3,32}", candidate):
        return None
    try:
        number = phonenumbers.parse(candidate, None if candidate.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def line_number(to: str | None, region: str | None) -> str | None:
    """The number a call came in on, from Twilio's To (a number or a SIP URI), in E.164."""
    text = (to or "").strip()
    if is_e164(text):
        return text
    user = sip_user(text)
    return to_e164(user, region) if user is not None else None


@functools.lru_cache(maxsize=256)  # the lines' own numbers: asked on every webhook
def region_of(number: str) -> str | None:
    """The region of an E.164 number ('CN' for +8620…), None when it has none."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return None
    return region if region and region != "ZZ" else None


def is_region(text: str) -> bool:
    return bool(REGION.match(text)) and text in phonenumbers.SUPPORTED_REGIONS


def address_problem(text: str) -> str | None:
    """Why `text` is neither an E.164 number nor a SIP address, or None."""
    if is_e164(text) or sip_address(text):
        return None
    return f"{text!r} is neither an E.164 number like +862087756920 nor a SIP address " \
           "like sip:+862087756920@example.sip.twilio.com"


# --- the duty officer -----------------------------------------------------------------------

@dataclass(frozen=True)
class Operator:
    """Whom <Dial> rings: `noun` is the TwiML noun (number, sip, client)."""

    noun: str
    target: str


def parse_operator(text: str) -> Operator | None:
    """An E.164 number, a sip: URI (the office's PBX) or client:NAME; None otherwise."""
    text = text.strip()
    if is_e164(text):
        return Operator("number", text)
    if SIP_URI.match(text):
        return Operator("sip", text)
    match = CLIENT.match(text)
    if match:
        return Operator("client", match.group("name"))
    return None
