"""A local double of Twilio's REST API: a call, and a call's recordings, as TWILIO.md says.

GET /2010-04-01/Accounts/{AC}/Calls/{CA}.json answers `status`, `duration`,
`start_time`, `end_time` (404 with Twilio's error body when unknown);
GET /2010-04-01/Accounts/{AC}/Calls/{CA}/Recordings.json answers a `recordings`
list whose items have `sid`, `status`, `duration` (a string), `date_created`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

ACCOUNT = "AC" + "7" * 32


class TwilioCallsDouble(BaseHTTPRequestHandler):
    calls: ClassVar[dict[str, tuple[int, dict[str, object]]]] = {}
    # CallSid -> (HTTP status, the items of Calls/{CA}/Recordings.json)
    recordings: ClassVar[dict[str, tuple[int, list[dict[str, object]]]]] = {}
    requests: ClassVar[list[tuple[str, str]]] = []

    def do_GET(self) -> None:
        self.requests.append((self.path, self.headers.get("Authorization", "")))
        if self.path.endswith("/Recordings.json"):
            call_sid = self.path.split("/Calls/", 1)[1].split("/", 1)[0]
            status, items = self.recordings.get(call_sid, (200, []))
            self._answer(status, {"recordings": items, "page": 0, "page_size": 50,
                                  "uri": self.path} if status == 200 else
                         {"message": "error", "status": status})
            return
        call_sid = self.path.rsplit("/", 1)[-1].removesuffix(".json")
        status, body = self.calls.get(call_sid, (404, {
            "code": 20404, "message": f"The requested resource {self.path} was not found",
            "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}))
        self._answer(status, body)

    def _answer(self, status: int, body: dict[str, object]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args: object) -> None:
        pass


def twilio_call(call_sid: str, status: str, duration: str | None,
                end_time: str | None) -> dict[str, object]:
    return {"sid": call_sid, "account_sid": ACCOUNT, "status": status, "duration": duration,
            "end_time": end_time, "start_time": "Thu, 01 Jun 2023 02:00:00 +0000",
            "direction": "inbound", "to": "+862087756920", "from": "+8613800138000",
            "api_version": "2010-04-01", "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Calls/"
                                                f"{call_sid}.json"}


@pytest.fixture
def twilio_api() -> Iterator[str]:
    TwilioCallsDouble.calls = {}
    TwilioCallsDouble.recordings = {}
    TwilioCallsDouble.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), TwilioCallsDouble)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def twilio_recording(sid: str, status: str, duration: str,
                     created: str = "Thu, 01 Jun 2023 02:01:00 +0000") -> dict[str, object]:
    return {"sid": sid, "account_sid": ACCOUNT, "status": status, "duration": duration,
            "date_created": created, "channels": 1, "source": "RecordVerb",
            "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Recordings/{sid}.json"}
