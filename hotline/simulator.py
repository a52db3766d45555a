"""A telephone call played against the webhooks the way Twilio plays it.

The simulator follows the TwiML it gets back: it speaks <Say> as text, asks
the caller for a key at each <Gather>, "records" at <Record> (posting the
action and the recording status callback), rings the duty officer at <Dial>,
follows <Redirect>, and reports the end of the call to the status callback.
Every request is signed with Twilio's RequestValidator, exactly as Twilio
signs it. Used by `hotline call` and by the test suite.
"""

from __future__ import annotations

import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol
from xml.etree import ElementTree

from twilio.request_validator import RequestValidator

if TYPE_CHECKING:
    from flask import Flask

HANGUP = "hangup"
MAX_REQUESTS = 200  # a call that loops longer than this is a bug in the flow


class Transport(Protocol):
    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]: ...


def sign(token: str, url: str, params: dict[str, str]) -> str:
    signature: str = RequestValidator(token).compute_signature(url, params)
    return signature


class HttpTransport:
    """Posts signed requests to a running server."""

    def __init__(self, token: str, timeout: float = 10.0) -> None:
        self.token = token
        self.timeout = timeout

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise WebhookFailed(f"{url} is not an http(s) URL")
        body = urllib.parse.urlencode(params).encode()
        headers = {
            "X-Twilio-Signature": sign(self.token, url, params),
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "TwilioProxy/1.1 (hotline call simulator)",
        }
        # The scheme is checked above, so urllib opens no file: or custom URLs.
        request = urllib.request.Request(url, data=body, method="POST",  # noqa: S310
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")


class FlaskTransport:
    """Posts signed requests to an app in this process (Flask's test client)."""

    def __init__(self, app: Flask, token: str, base_url: str = "http://localhost") -> None:
        self.client = app.test_client()
        self.token = token
        self.base_url = base_url.rstrip("/")

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        parts = urllib.parse.urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = self.client.post(path, data=params, base_url=self.base_url,
                                    headers={"X-Twilio-Signature": sign(self.token, url, params)})
        return response.status_code, response.get_data(as_text=True)


class Caller(Protocol):
    """The person on the phone."""

    def hear(self, text: str) -> None: ...
    def press(self) -> str | None: ...            # a key, None for silence, HANGUP
    def speak(self) -> int | str | None: ...       # seconds spoken, None for silence, HANGUP
    def officer_answers(self) -> bool: ...


@dataclass
class ScriptedCaller:
    """A caller who follows a script, for tests and `hotline call --keys`.

    Script items: a key ("1", "*", "#"), None or "-" for silence, "hangup",
    an int or "rN" for N seconds of message ("#" at the beep: ended at once),
    "answer" / "no-answer" for <Dial>.
    """

    script: Iterable[object]
    heard: list[str] = field(default_factory=list)
    echo: Callable[[str], None] | None = None
    _items: Iterator[object] = field(init=False)

    def __post_init__(self) -> None:
        self._items = iter(self.script)

    def _next(self, what: str) -> object:
        try:
            return next(self._items)
        except StopIteration:
            raise ScriptExhausted(f"the script ran out when the call wanted {what}") from None

    def hear(self, text: str) -> None:
        self.heard.append(text)
        if self.echo:
            self.echo(f"  ☎ {text}")

    def press(self) -> str | None:
        item = self._next("a key")
        if self.echo:
            self.echo(f"  ⌨ {item if item not in (None, '-') else '(silence)'}")
        if item in (None, "-"):
            return None
        return str(item)

    def speak(self) -> int | str | None:
        item = self._next("a message")
        # "#" at once ends the recording before anything was said: Twilio keeps nothing,
        # as for silence, and runs the next verb.
        if item in (None, "-", 0, "#"):
            return None
        if item == HANGUP:
            return HANGUP
        if isinstance(item, int):
            return item
        text = str(item)
        if text.startswith("r") and text[1:].isdigit():
            return int(text[1:])
        raise ScriptExhausted(f"expected a message length like r20, got {text!r}")

    def officer_answers(self) -> bool:
        return self._next("whether the officer answers") == "answer"


class ScriptExhausted(AssertionError):
    pass


@dataclass
class CallResult:
    call_sid: str
    heard: list[str]
    recordings: list[str]
    requests: int
    hung_up_by: str  # "line" (a <Hangup> or the end of the TwiML) or "caller"
    dialled: list[Dialled] = field(default_factory=list)


@dataclass(frozen=True)
class Dialled:
    """Whom a <Dial> rang: its noun (Number, Sip, Client), the target and the callerId."""

    noun: str
    target: str
    caller_id: str | None


@dataclass(frozen=True)
class Document:
    """TwiML already fetched (a <Record> action's answer) that replaces the current one."""

    url: str
    twiml: str


Next = tuple[str, dict[str, str]] | Document | str | None


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


class CallSimulator:
    """Plays one call: `run()` returns what the caller heard and the recordings made."""

    def __init__(self, transport: Transport, base_url: str, caller: Caller, *,
                 from_number: str, to_number: str, forwarded_from: str | None = None,
                 account_sid: str | None = None,
                 recording_callback_first: bool = False, duplicate_callbacks: bool = False,
                 status_callback: bool = True) -> None:
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self.caller = caller
        self.call_sid = new_sid("CA")
        self.account_sid = account_sid or new_sid("AC")
        self.from_number = from_number
        self.to_number = to_number
        self.forwarded_from = forwarded_from
        self.recording_callback_first = recording_callback_first
        self.duplicate_callbacks = duplicate_callbacks
        self.status_callback = status_callback
        self.heard: list[str] = []
        self.recordings: list[str] = []
        self.requests = 0
        self.seconds = 0
        self.sequence = 0
        self.dialled: list[Dialled] = []

    def _common(self, status: str = "in-progress") -> dict[str, str]:
        params = {
            "CallSid": self.call_sid, "AccountSid": self.account_sid,
            "From": self.from_number, "To": self.to_number, "Caller": self.from_number,
            "Called": self.to_number, "CallStatus": status, "Direction": "inbound",
            "ApiVersion": "2010-04-01",
        }
        if self.forwarded_from:
            params["ForwardedFrom"] = self.forwarded_from
        return params

    def _post(self, url: str, extra: dict[str, str] | None = None,
              status: str = "in-progress", *, call_fields: bool = True) -> str:
        self.requests += 1
        if self.requests > MAX_REQUESTS:
            raise RuntimeError("the call made too many requests; is the flow looping?")
        params = (self._common(status) if call_fields else
                  {"CallSid": self.call_sid, "AccountSid": self.account_sid}) | (extra or {})
        # A fragment (Twilio's connection overrides, #rc=…) is read by Twilio and never
        # sent: the request, and so its signature, is the URL without it.
        url = urllib.parse.urldefrag(url).url
        code, body = self.transport.post(url, params)
        if code >= 400:
            raise WebhookFailed(f"{url} answered {code}: {body[:200]}")
        return body

    def run(self) -> CallResult:
        url = f"{self.base_url}/twilio/voice"
        twiml = self._post(url)
        hung_up_by = "line"
        while True:
            outcome = self._play(url, twiml)
            if outcome is None:
                break
            if isinstance(outcome, str):  # HANGUP
                hung_up_by = "caller"
                break
            if isinstance(outcome, Document):
                url, twiml = outcome.url, outcome.twiml
                continue
            url, extra = outcome
            twiml = self._post(url, extra)
        if self.status_callback:
            self._status("completed")
        return CallResult(self.call_sid, self.heard, self.recordings, self.requests, hung_up_by,
                          self.dialled)

    def _status(self, status: str) -> None:
        self.sequence += 1
        extra = {"CallDuration": str(max(1, self.seconds)), "SequenceNumber": str(self.sequence),
                 "Timestamp": "", "CallbackSource": "call-progress-events"}
        self._post(f"{self.base_url}/twilio/status", extra, status=status)
        if self.duplicate_callbacks:
            self._post(f"{self.base_url}/twilio/status", extra, status=status)

    def _say(self, text: str) -> None:
        self.heard.append(text)
        self.seconds += max(1, len(text) // 12)
        self.caller.hear(text)

    def _play(self, url: str, twiml: str) -> Next:
        """Run the verbs of one TwiML document: what comes next, HANGUP, or None (ended)."""
        root = ElementTree.fromstring(twiml)  # noqa: S314 - our own server's TwiML
        if root.tag != "Response":
            raise WebhookFailed(f"{url} did not answer TwiML")
        for verb in root:
            if verb.tag == "Say":
                self._say(verb.text or "")
            elif verb.tag == "Gather":
                for say in verb.iter("Say"):
                    self._say(say.text or "")
                key = self.caller.press()
                if key == HANGUP:
                    return HANGUP
                if key is not None and verb.get("finishOnKey", "#") == "#" and key.endswith("#"):
                    # Digits ended with '#' (a reference): Twilio leaves the '#' out, and
                    # sends nothing at all when only '#' was pressed.
                    key = key[:-1] or None
                if key is not None:
                    return self._resolve(url, verb.get("action")), {"Digits": key}
            elif verb.tag == "Record":
                result = self._record(url, verb)
                if result is not None:
                    return result
            elif verb.tag == "Dial":
                for noun in verb:
                    self.dialled.append(Dialled(noun.tag, (noun.text or "").strip(),
                                                verb.get("callerId")))
                answered = self.caller.officer_answers()
                self.seconds += 30 if answered else int(verb.get("timeout", "20"))
                status = "completed" if answered else "no-answer"
                extra = {"DialCallStatus": status, "DialCallDuration": "30" if answered else "0"}
                if answered:
                    extra["DialCallSid"] = new_sid("CA")
                return self._resolve(url, verb.get("action")), extra
            elif verb.tag == "Redirect":
                return self._resolve(url, verb.text or ""), {}
            elif verb.tag == "Hangup":
                return None
            elif verb.tag == "Pause":
                self.seconds += int(verb.get("length", "1"))
            else:
                raise WebhookFailed(f"the simulator does not know <{verb.tag}>")
        return None  # the end of the document: Twilio hangs up

    def _record(self, url: str, verb: ElementTree.Element) -> Next:
        self._say("(beep)")
        spoken = self.caller.speak()
        callback = verb.get("recordingStatusCallback")
        if spoken is None:
            # Silence: Twilio keeps no recording, skips the action and runs the next verb.
            if callback and "absent" in (verb.get("recordingStatusCallbackEvent") or ""):
                self._recording_callback(url, callback, {
                    "RecordingSid": new_sid("RE"), "RecordingStatus": "absent",
                    "RecordingDuration": "0", "RecordingUrl": ""})
            return None
        hung_up = spoken == HANGUP
        seconds = 12 if hung_up else min(int(spoken), int(verb.get("maxLength", "3600")))
        self.seconds += seconds
        sid = new_sid("RE")
        self.recordings.append(sid)
        recording_url = (f"https://api.twilio.com/2010-04-01/Accounts/{self.account_sid}"
                         f"/Recordings/{sid}")
        action = {"RecordingSid": sid, "RecordingUrl": recording_url,
                  "RecordingDuration": str(seconds), "Digits": "hangup" if hung_up else "#"}
        status = {"RecordingSid": sid, "RecordingUrl": recording_url,
                  "RecordingStatus": "completed", "RecordingDuration": str(seconds),
                  "RecordingChannels": "1", "RecordingSource": "RecordVerb",
                  "RecordingTrack": "both", "RecordingStartTime": ""}
        action_url = self._resolve(url, verb.get("action"))
        if callback and self.recording_callback_first:
            self._recording_callback(url, callback, status)
        if hung_up:
            # Twilio still requests the action (its TwiML is ignored), then the call ends.
            self._post(action_url, action)
            if callback and not self.recording_callback_first:
                self._recording_callback(url, callback, status)
            return HANGUP
        twiml = self._post(action_url, action)
        if callback and not self.recording_callback_first:
            self._recording_callback(url, callback, status)
        if callback and self.duplicate_callbacks:
            self._recording_callback(url, callback, status)
        return Document(action_url, twiml)

    def _recording_callback(self, url: str, callback: str, params: dict[str, str]) -> None:
        # Twilio's recording status callback has only these fields: no From, no To.
        self._post(self._resolve(url, callback), params, call_fields=False)

    @staticmethod
    def _resolve(current: str, target: str | None) -> str:
        return urllib.parse.urljoin(current, target or current)


class WebhookFailed(AssertionError):
    pass
