"""The state a call carries in its step URLs, and the URLs Twilio is told to request next.

Twilio signs the whole URL, so the state cannot be forged; junk or a stale link
is a `BadState`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

REFERRAL = "referral"  # CallState.after while a referred caller records, and after it
# Twilio's webhook connection overrides (a URL fragment Twilio reads and never sends):
# retry a callback up to 3 times on a refused or timed-out connection or a 5xx, with a
# 2 s connect and 5 s read timeout, 15 s in all. 4xx is not retried: it means junk.
CALLBACK_OVERRIDES = "ct=2000&rt=5000&tt=15000&rc=3&rp=ct,rt,5xx"


class BadState(ValueError):
    """The step URL's state does not fit the campaign (junk or a stale link)."""


@dataclass(frozen=True)
class CallState:
    step_no: int = 1          # number of the request this URL will cause; keys the event log
    language: str = ""
    tries: int = 0            # failed attempts at the current question
    category: str = ""
    subject: str = ""
    reports: int = 0          # reports completed so far in this call
    reference: str = ""       # the pending (or last) report's reference
    after: str = ""           # what the "another / finish" menu follows: report | referral
    report_id: int = 0        # a follow-up call: the report reached (0: not read yet)
    additions: int = 0        # messages added to it so far in this call

    _KEYS = (("n", "step_no"), ("l", "language"), ("t", "tries"), ("c", "category"),
             ("s", "subject"), ("r", "reports"), ("ref", "reference"), ("k", "after"),
             ("f", "report_id"), ("a", "additions"))

    def to_query(self) -> dict[str, str]:
        out = {}
        for short, name in self._KEYS:
            value = getattr(self, name)
            if value not in ("", None, 0):
                out[short] = str(value)
        return out

    @classmethod
    def from_query(cls, args: Mapping[str, str]) -> CallState:
        values: dict[str, Any] = {}
        for short, name in cls._KEYS:
            raw = args.get(short)
            if raw is None:
                continue
            if name in ("step_no", "tries", "reports", "additions", "report_id"):
                if not raw.isdigit() or len(raw) > (12 if name == "report_id" else 4):
                    raise BadState(f"{short} must be a small whole number")
                values[name] = int(raw)
            else:
                if len(raw) > 64:
                    raise BadState(f"{short} is too long")
                values[name] = raw
        return cls(**values)

    def next(self, **changes: Any) -> CallState:
        return replace(self, step_no=self.step_no + 1, **changes)


class Links:
    """Builds the URLs Twilio is told to request next."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def step(self, name: str, state: CallState) -> str:
        return f"{self.base}/step/{name}?{urlencode(state.to_query())}"

    def recording(self, state: CallState, campaign_id: str) -> str:
        # Twilio's recording status callback carries no To: the campaign rides in the
        # (signed) URL instead.
        query = {"cid": campaign_id} | state.to_query()
        return f"{self.base}/recording?{urlencode(query)}#{CALLBACK_OVERRIDES}"

    def fallback(self, query: Mapping[str, str]) -> str:
        return f"{self.base}/fallback?{urlencode(query)}"
