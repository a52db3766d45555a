"""Recordings, fetched from Twilio's REST API and streamed through the console.

The browser only ever talks to the console: the account credentials stay on
the server and no Twilio URL reaches the page. The request goes through the
twilio library's client (which signs it with the account SID and auth token);
its HTTP client is swapped for one that streams, because the stock one reads
the whole body as text, which would both hold a long message in memory and
mangle the audio bytes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import requests
from twilio.http import HttpClient
from twilio.rest import Client

log = logging.getLogger("hotline.console.media")

TWILIO_API = "https://api.twilio.com"
RECORDING_SID = re.compile(r"^RE[0-9a-fA-F]{32}$")
PASSED_HEADERS = ("Content-Type", "Content-Length", "Content-Range", "Accept-Ranges")
CHUNK = 32 * 1024


class MediaError(Exception):
    """The recording cannot be played; `code` picks the message the operator sees."""

    def __init__(self, code: str, status: int | None = None) -> None:
        super().__init__(code if status is None else f"{code} (HTTP {status})")
        self.code = code
        self.status = status


class _StreamingHttpClient(HttpClient):
    """The twilio client's transport, returning the live `requests` response."""

    def __init__(self, timeout: float) -> None:
        super().__init__(logger=log, is_async=False, timeout=timeout)
        self.session = requests.Session()

    def request(self, method: str, url: str, params: Any = None, data: Any = None,
                headers: Any = None, auth: Any = None, timeout: float | None = None,
                allow_redirects: bool = False) -> requests.Response:
        # Twilio answers a media request with the audio or with a redirect to its media
        # store; requests drops the Authorization header when a redirect leaves the host.
        return self.session.request(method, url, params=params, headers=headers, auth=auth,
                                    timeout=timeout or self.timeout,
                                    allow_redirects=True, stream=True)


@dataclass
class MediaStream:
    status: int
    headers: dict[str, str]
    _response: requests.Response = field(repr=False)

    def chunks(self) -> Iterator[bytes]:
        try:
            yield from self._response.iter_content(CHUNK)
        except requests.RequestException as exc:
            # The operator's player stops; nothing else to do mid-stream.
            log.warning("recording stream broke off: %s", type(exc).__name__)
        finally:
            self._response.close()

    def close(self) -> None:
        self._response.close()


class RecordingMedia:
    """Opens a recording's audio (MP3) from Twilio's Recordings resource."""

    def __init__(self, account_sid: str | None, auth_token: str | None, *,
                 api_base: str = TWILIO_API, timeout: float = 10.0) -> None:
        self.account_sid = account_sid
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self._client = (Client(account_sid, auth_token,
                               http_client=_StreamingHttpClient(timeout))
                        if account_sid and auth_token else None)

    @property
    def configured(self) -> bool:
        return self._client is not None

    def url_for(self, recording_sid: str) -> str:
        return (f"{self.api_base}/2010-04-01/Accounts/{self.account_sid}"
                f"/Recordings/{recording_sid}.mp3")

    def open(self, recording_sid: str, range_header: str | None = None) -> MediaStream:
        """Start fetching; raise MediaError with a code for every way it can fail."""
        if self._client is None:
            raise MediaError("not_configured")
        if not RECORDING_SID.match(recording_sid or ""):
            raise MediaError("not_found")
        headers = {"Accept": "audio/mpeg"}
        if range_header:
            headers["Range"] = range_header
        try:
            response = cast(requests.Response, self._client.request(
                "GET", self.url_for(recording_sid), headers=headers))
        except requests.Timeout:
            raise MediaError("timeout") from None
        except requests.RequestException as exc:
            log.warning("cannot reach Twilio for a recording: %s", type(exc).__name__)
            raise MediaError("unreachable") from None
        if response.status_code in (200, 206):
            passed = {name: response.headers[name] for name in PASSED_HEADERS
                      if name in response.headers}
            passed.setdefault("Content-Type", "audio/mpeg")
            return MediaStream(response.status_code, passed, response)
        response.close()
        if response.status_code == 404:
            raise MediaError("not_found", 404)
        if response.status_code in (401, 403):
            raise MediaError("unauthorized", response.status_code)
        if response.status_code == 416:
            raise MediaError("bad_range", 416)
        raise MediaError("upstream", response.status_code)
