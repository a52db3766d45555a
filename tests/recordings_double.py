"""A local HTTP double of Twilio's Recordings resource, answering as Twilio does.

- `GET /2010-04-01/Accounts/{AC}/Recordings/{RE}.wav` (or `.mp3`) with HTTP Basic auth
  (account SID, auth token): the audio with its Content-Length; missing: 404 with
  Twilio's JSON error; wrong credentials: 401.
- `DELETE /2010-04-01/Accounts/{AC}/Recordings/{RE}.json`: 204, after which the media
  is gone (404); an unknown recording: 404.

Faults are scripted per recording and used up one request at a time: "500" (Twilio
answers 500), "truncate" (headers promise the whole file, half arrives, the
connection closes), "slow" (no answer for `delay` seconds); `delete_faults` does the
same for DELETE.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "recordings-double-token"
PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Recordings/(RE[0-9a-fA-F]{32})"
                  r"(\.wav|\.mp3|\.json)$")


@dataclass
class RecordingsDouble:
    url: str = ""
    recordings: dict[str, bytes] = field(default_factory=dict)
    faults: dict[str, list[str]] = field(default_factory=dict)
    delete_faults: dict[str, list[str]] = field(default_factory=dict)
    log: list[tuple[str, str, int, float]] = field(default_factory=list)  # method, sid, status, t
    delay: float = 2.0

    def requests(self, method: str, sid: str | None = None) -> list[tuple[str, str, int, float]]:
        return [r for r in self.log if r[0] == method and (sid is None or r[1] == sid)]


def _error(status: int, path: str) -> dict[str, Any]:
    code = {404: 20404, 401: 20003, 500: 20500}.get(status, 20500)
    message = {404: f"The requested resource {path} was not found",
               401: "Authenticate", 500: "Internal Server Error"}.get(status, "Error")
    return {"code": code, "message": message, "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}"}


def _handler(double: RecordingsDouble) -> type[BaseHTTPRequestHandler]:
    expected_auth = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def handle(self) -> None:
            with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                super().handle()

        def _json(self, status: int, body: dict[str, Any] | None) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method: str) -> tuple[str, str] | None:
            match = PATH.match(self.path)
            if self.headers.get("Authorization") != expected_auth:
                double.log.append((method, "", 401, time.monotonic()))
                self._json(401, _error(401, self.path))
                return None
            if match is None or match.group(1) != ACCOUNT_SID:
                double.log.append((method, "", 404, time.monotonic()))
                self._json(404, _error(404, self.path))
                return None
            return match.group(2), match.group(3)

        def do_GET(self) -> None:
            routed = self._route("GET")
            if routed is None:
                return
            sid, extension = routed
            fault = (double.faults.get(sid) or [None]).pop(0) if double.faults.get(sid) else None
            audio = double.recordings.get(sid)
            if fault == "slow":
                time.sleep(double.delay)
            if fault == "500":
                double.log.append(("GET", sid, 500, time.monotonic()))
                self._json(500, _error(500, self.path))
                return
            if audio is None or extension == ".json":
                double.log.append(("GET", sid, 404, time.monotonic()))
                self._json(404, _error(404, self.path))
                return
            double.log.append(("GET", sid, 200, time.monotonic()))
            self.send_response(200)
            self.send_header("Content-Type", "audio/x-wav" if extension == ".wav"
                             else "audio/mpeg")
            self.send_header("Content-Length", str(len(audio)))
            self.end_headers()
            if fault == "truncate":
                self.wfile.write(audio[:len(audio) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(audio)

        def do_DELETE(self) -> None:
            routed = self._route("DELETE")
            if routed is None:
                return
            sid, extension = routed
            faults = double.delete_faults.get(sid)
            if faults:
                faults.pop(0)
                double.log.append(("DELETE", sid, 500, time.monotonic()))
                self._json(500, _error(500, self.path))
                return
            if extension != ".json" or sid not in double.recordings:
                double.log.append(("DELETE", sid, 404, time.monotonic()))
                self._json(404, _error(404, self.path))
                return
            del double.recordings[sid]
            double.log.append(("DELETE", sid, 204, time.monotonic()))
            self._json(204, None)

    return Handler


@contextlib.contextmanager
def serve_double() -> Iterator[RecordingsDouble]:
    double = RecordingsDouble()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(double))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    double.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield double
    finally:
        server.shutdown()
        server.server_close()
