"""Twilio's Recordings resource: fetch a recording's audio, delete the recording.

Plain `requests` with HTTP Basic auth (account SID, auth token) against
HOTLINE_TWILIO_API, as the rest of the app's REST calls. The audio is the WAV
(Twilio's original; the MP3 is a lossy copy), read whole with a deadline, and
refused unless exactly Content-Length bytes arrived.
"""

from __future__ import annotations

import time

import requests

TWILIO_API = "https://api.twilio.com"
MAX_BYTES = 512 * 1024 * 1024  # a one-hour WAV is ~58 MB; anything far beyond is not audio
CHUNK = 64 * 1024


class TwilioFailure(Exception):
    """A request to Twilio failed; the message is the reason the console shows."""


class RecordingsApi:
    def __init__(self, account_sid: str, auth_token: str, *, api_base: str = TWILIO_API,
                 timeout: float = 30.0, deadline: float = 300.0) -> None:
        self.account_sid = account_sid
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout    # connect, and each read
        self.deadline = deadline  # a whole download
        self._session = requests.Session()
        self._session.auth = (account_sid, auth_token)

    def _url(self, recording_sid: str, extension: str) -> str:
        return (f"{self.api_base}/2010-04-01/Accounts/{self.account_sid}"
                f"/Recordings/{recording_sid}{extension}")

    def download(self, recording_sid: str) -> bytes:
        """The recording's WAV, exactly as long as Twilio said; else TwilioFailure."""
        started = time.monotonic()
        body = bytearray()
        expected = 0
        try:
            with self._session.get(self._url(recording_sid, ".wav"), stream=True,
                                   timeout=self.timeout) as response:
                _check(response, "download")
                declared = response.headers.get("Content-Length", "")
                if not declared.isdigit():
                    raise TwilioFailure("Twilio sent no Content-Length")
                expected = int(declared)
                if expected > MAX_BYTES:
                    raise TwilioFailure(f"too large ({expected} bytes)")
                for piece in response.iter_content(CHUNK):
                    body += piece
                    if len(body) > expected:
                        raise TwilioFailure("more bytes than Content-Length")
                    if time.monotonic() - started > self.deadline:
                        raise TwilioFailure(f"timed out after {int(self.deadline)} s")
        except requests.Timeout:
            raise TwilioFailure("timed out") from None
        except requests.exceptions.ChunkedEncodingError:
            # The connection closed before Content-Length bytes came (urllib3 checks).
            raise TwilioFailure(f"cut short: {len(body)} of {expected} bytes") from None
        except requests.RequestException as exc:
            raise TwilioFailure(f"cannot reach Twilio ({type(exc).__name__})") from None
        if len(body) != expected:
            raise TwilioFailure(f"cut short: {len(body)} of {expected} bytes")
        return bytes(body)

    def delete(self, recording_sid: str) -> None:
        """Delete the recording at Twilio; one already gone (404) counts as deleted."""
        try:
            response = self._session.delete(self._url(recording_sid, ".json"),
                                            timeout=self.timeout)
        except requests.Timeout:
            raise TwilioFailure("DELETE timed out") from None
        except requests.RequestException as exc:
            raise TwilioFailure(f"cannot reach Twilio ({type(exc).__name__})") from None
        with response:
            if response.status_code in (200, 204, 404):
                return
            _check(response, "DELETE")


def _check(response: requests.Response, what: str) -> None:
    status = response.status_code
    if status == 200 or (what == "DELETE" and status == 204):
        return
    if status == 404:
        raise TwilioFailure("not found at Twilio (404)")
    if status in (401, 403):
        raise TwilioFailure(f"Twilio refused the account's credentials ({status})")
    raise TwilioFailure(f"{what}: Twilio answered {status}")

