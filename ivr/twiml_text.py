"""TwiML as text, written straight from twilio's verb objects.

twilio's `TwiML.to_xml` builds an ElementTree of the whole answer and then
serialises it; every webhook paid for both. This writes the same bytes (same
attribute order, escaping, empty-element form and declaration as ElementTree)
from the same objects in one walk, so `ivr/` keeps building its answers with
twilio's VoiceResponse and the tests' TwiML stays what it was.
"""

from __future__ import annotations

import json

from twilio.twiml import TwiML

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def _text(value: str) -> str:
    """Character data, escaped as ElementTree's `_escape_cdata` does."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(value: str) -> str:
    """An attribute value, escaped as ElementTree's `_escape_attrib` does."""
    return (_text(value).replace('"', "&quot;").replace("\r", "&#13;")
            .replace("\n", "&#10;").replace("\t", "&#09;"))


def _write(node: TwiML, out: list[str]) -> None:
    out.append("<" + node.name)
    for name in sorted(node.attrs):
        value = node.attrs[name]
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        out.append(f' {name}="{_attribute(shown)}"')
    text: str | None = None
    if node.value:
        text = json.dumps(node.value) if isinstance(node.value, dict) else node.value
    children: list[tuple[TwiML, str | None]] = []
    for verb in node.verbs:
        # As twilio's xml(): a string goes after the last child, or is the element's text.
        if isinstance(verb, str):
            if children:
                children[-1] = (children[-1][0], verb)
            else:
                text = verb
        else:
            children.append((verb, None))
    if not text and not children:
        out.append(" />")
        return
    out.append(">")
    if text:
        out.append(_text(text))
    for child, tail in children:
        _write(child, out)
        if tail:
            out.append(_text(tail))
    out.append(f"</{node.name}>")


def render(document: TwiML) -> str:
    """The document as twilio's `str(document)` gives it, byte for byte."""
    out = [DECLARATION]
    _write(document, out)
    return "".join(out)
