"""Twilio's X-Twilio-Signature, checked with Twilio's own validator."""

from __future__ import annotations

from flask import Request
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)


def signed_url(request: Request, public_url: str | None) -> str:
    """The URL Twilio signed: the public URL (behind a proxy) + path + query, else as requested."""
    query = request.query_string.decode("latin-1")
    if public_url:
        return public_url.rstrip("/") + request.path + (f"?{query}" if query else "")
    return request.url


def is_signed(request: Request, auth_token: str, public_url: str | None) -> bool:
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        return False
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    params = request.form if request.method == "POST" else {}
    valid: bool = RequestValidator(auth_token).validate(
        signed_url(request, public_url), params, signature, algorithm)
    return valid
