"""Console fixtures: users of every role, signing in, a Twilio recordings double, a live server.

The Twilio double is a real HTTP server on 127.0.0.1 that answers like Twilio's
Recordings media endpoint: HTTP basic auth with the account SID and auth
token, `GET /2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}.mp3`,
audio with byte ranges, Twilio's JSON errors for 401 and 404, and, for a SID
marked slow, no answer until after the console's timeout.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from console_helpers import (
    ACCOUNT_SID,
    FAST_HASHER,
    PASSWORD,
    ROLES,
    TWILIO_TOKEN,
    sign_in,
)
from werkzeug.serving import make_server

from campaign.model import Campaigns
from console.recordings.media import RecordingMedia

MEDIA_PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Recordings/(RE[0-9a-f]{32})"
                        r"\.mp3$")


def silent_mp3(seconds: float) -> bytes:
    """Valid MPEG-1 Layer III audio of silence: 128 kbit/s, 44.1 kHz frames of zeros.

    A frame whose side information is all zero decodes to silence, so any MP3
    decoder (Chromium's included) plays this for `seconds`.
    """
    header = bytes([0xFF, 0xFB, 0x90, 0x64])
    frame = header + bytes(417 - len(header))
    frames = round(seconds * 44100 / 1152)
    return frame * frames


@dataclass
class TwilioDouble:
    url: str
    recordings: dict[str, bytes] = field(default_factory=dict)
    slow: set[str] = field(default_factory=set)
    requests: list[dict[str, Any]] = field(default_factory=list)
    delay: float = 3.0

    def add(self, sid: str, seconds: float = 3.0) -> bytes:
        self.recordings[sid] = silent_mp3(seconds)
        return self.recordings[sid]


def _handler(double: TwilioDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet test output
            pass

        def handle(self) -> None:
            # The console hangs up early when a player stops; that is not an error.
            with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                super().handle()

        def _json(self, status: int, body: dict[str, Any], **headers: str) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            double.requests.append({"path": self.path, "headers": dict(self.headers)})
            expected = "Basic " + base64.b64encode(
                f"{ACCOUNT_SID}:{TWILIO_TOKEN}".encode()).decode()
            if self.headers.get("Authorization") != expected:
                self._json(401, {"code": 20003, "detail": "Your AccountSid or AuthToken was "
                                 "incorrect.", "message": "Authentication Error - invalid "
                                 "username", "more_info": "https://www.twilio.com/docs/errors/"
                                 "20003", "status": 401},
                           **{"WWW-Authenticate": 'Basic realm="Twilio API"'})
                return
            match = MEDIA_PATH.match(self.path)
            if not match or match.group(1) != ACCOUNT_SID or (
                    match.group(2) not in double.recordings):
                self._json(404, {"code": 20404, "message": f"The requested resource "
                                 f"{self.path} was not found", "more_info":
                                 "https://www.twilio.com/docs/errors/20404", "status": 404})
                return
            sid = match.group(2)
            if sid in double.slow:
                time.sleep(double.delay)
            audio = double.recordings[sid]
            start, end = 0, len(audio) - 1
            ranged = re.match(r"^bytes=(\d+)-(\d*)$", self.headers.get("Range", ""))
            if ranged:
                start = int(ranged.group(1))
                end = min(int(ranged.group(2)), end) if ranged.group(2) else end
            body = audio[start:end + 1]
            self.send_response(206 if ranged else 200)
            self.send_header("Content-Type", "audio/mpeg")
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(len(body)))
            if ranged:
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(audio)}")
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    return Handler


@pytest.fixture
def campaigns(campaigns: Campaigns) -> Campaigns:
    """The seed campaign without voice disguise: these tests play recordings not yet
    brought home, which Twilio serves (tests/recordings/ cover the local copies)."""
    return Campaigns.of([replace(c, voice_disguise="off") for c in campaigns])


@pytest.fixture
def twilio() -> Iterator[TwilioDouble]:
    double = TwilioDouble(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(double))
    server.daemon_threads = True
    double.url = f"http://127.0.0.1:{server.server_address[1]}"
    # A short poll interval: shutdown() waits up to one interval.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield double
    server.shutdown()
    server.server_close()


@pytest.fixture
def console(app, twilio):  # type: ignore[no-untyped-def]
    """The app's console context, pointed at the Twilio double, with fast hashing."""
    context = app.extensions["hotline.console"]
    context.media = RecordingMedia(ACCOUNT_SID, TWILIO_TOKEN, api_base=twilio.url, timeout=1.0)
    context.hasher = FAST_HASHER
    return context


@pytest.fixture
def users(console, engine, clock):  # type: ignore[no-untyped-def]
    """One active user of each role, named after the role, all with PASSWORD."""
    from console.accounts import add_user
    from db.engine import make_session_factory

    with make_session_factory(engine).begin() as session:
        for role in ROLES:
            add_user(session, role, role, PASSWORD, at=clock(), hasher=FAST_HASHER)
    return ROLES


@pytest.fixture
def signed_in(app, users):  # type: ignore[no-untyped-def]
    """signed_in("operator") → a test client signed in as that role's user."""

    def make(name: str):  # type: ignore[no-untyped-def]
        client = app.test_client()
        response = sign_in(client, name)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make


@pytest.fixture
def reported_call(place_call, twilio, clock):  # type: ignore[no-untyped-def]
    """A Mandarin integrity report about the city leadership, its recording at the double."""
    result = place_call("1", "3", "1", "r30", "2")
    twilio.add(result.recordings[0], seconds=3.0)
    return result


@pytest.fixture
def live_server(app, console) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app served over real HTTP on 127.0.0.1, for the browser."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll interval: shutdown() waits up to one interval.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
