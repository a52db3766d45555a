"""Twilio's X-Twilio-Signature, checked with Twilio's own validator."""

from __future__ import annotations

import functools
from urllib.parse import urlparse

from flask import Request
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    add_port,
    compare,
    get_signature_algorithm,
    remove_port,
)


def signed_url(request: Request, public_url: str | None) -> str:
    """The URL Twilio signed: the public URL (behind a proxy) + path + query, else as requested."""
    query = request.query_string.decode("latin-1")
    if public_url:
        return public_url.rstrip("/") + request.path + (f"?{query}" if query else "")
    return request.url


@functools.lru_cache(maxsize=4)
def _validator(auth_token: str) -> RequestValidator:
    return RequestValidator(auth_token)


def is_signed(request: Request, auth_token: str, public_url: str | None) -> bool:
    """RequestValidator.validate's rule (the URL as Twilio may have signed it, without or
    with the default port), stopping at the first match: it always computed both HMACs,
    and most webhooks match the first."""
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        return False
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    params = request.form if request.method == "POST" else {}
    validator = _validator(auth_token)
    parsed = urlparse(signed_url(request, public_url))
    for url in (remove_port(parsed), add_port(parsed)):
        try:
            computed = validator.compute_signature(url, params, algorithm)
        except ValueError:  # an algorithm this twilio library does not know
            return False
        if compare(computed, signature):
            return True
    return False
