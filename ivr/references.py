"""References read to callers, made without asking the database.

A reference is nine digits: an eight-digit body and the Damm check digit. The
body is a keyed permutation of (host number, counter):

    input  = 10_000_000 + host * 10_000_000 + counter       (host 0-8, counter < 10**7)
    body   = P_k(input), P_k a bijection of [10**7, 10**8)

P_k is a ten-round Feistel network over two four-digit halves (round function:
HMAC-SHA256 with the key), restricted to [10**7, 10**8) by cycle walking, so
the body never starts with 0.

Why no two references can collide: P_k is a bijection, so distinct inputs give
distinct bodies. Inputs are distinct because each host has its own number
(HOTLINE_HOST_NUMBER) and each host's counter only ever moves forward: it is
kept in that host's journal file and advanced (fsync'd) in blocks before any
value of the block is handed out, so a crash skips values but never repeats
one. Every host must use the same key (HOTLINE_REFERENCE_KEY): a second key is
a second permutation, whose outputs may meet the first's. Old references (eight
digits, drawn at random) have another length, so they never meet new ones.

Why one cannot be guessed from another: without the key, P_k's outputs for
consecutive counters look independent and uniform over 90 million bodies; a
caller who knows their own reference learns nothing about the next caller's.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable

REFERENCE_DIGITS = 8
REFERENCE_LENGTHS = (8, 9)
HOSTS = 9
PER_HOST = 10_000_000
LOW, HIGH = 10_000_000, 100_000_000  # eight-digit bodies
_HALF = 10_000
_ROUNDS = 10
BLOCK = 64  # counter values reserved per journal write


_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2), (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9), (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8), (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4), (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5), (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def damm_digit(digits: str) -> int:
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][int(digit)]
    return interim


def new_reference() -> str:
    """Eight digits, random, the last a Damm check digit.

    Random so that a reference reveals nothing and cannot be guessed from
    another; the check digit catches any single mistyped or swapped digit when
    a caller quotes it back. The first digit is never 0, so nothing drops it.
    """
    body = str(secrets.randbelow(9) + 1) + "".join(
        str(secrets.randbelow(10)) for _ in range(REFERENCE_DIGITS - 2))
    return body + str(damm_digit(body))


def is_valid_reference(text: str) -> bool:
    """Eight digits (random, as made before the journal) or nine (ivr.references)."""
    return (len(text) in REFERENCE_LENGTHS and text.isdigit() and text[0] != "0"
            and damm_digit(text) == 0)


class ReferencesExhausted(RuntimeError):
    pass


class Permutation:
    """P_k: a keyed bijection of [10**7, 10**8)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the reference key must be at least 16 bytes")
        self._keys = [hmac.new(key, bytes([r]), hashlib.sha256) for r in range(_ROUNDS)]

    def _round(self, number: int, half: int) -> int:
        mac = self._keys[number].copy()
        mac.update(half.to_bytes(2, "big"))
        return int.from_bytes(mac.digest()[:8], "big") % _HALF

    def _feistel(self, value: int) -> int:
        left, right = divmod(value, _HALF)
        for number in range(_ROUNDS):
            left, right = right, (left + self._round(number, right)) % _HALF
        return left * _HALF + right

    def __call__(self, value: int) -> int:
        if not LOW <= value < HIGH:
            raise ValueError("outside the permutation's domain")
        value = self._feistel(value)
        while value < LOW:  # cycle walking: stays a bijection of [LOW, HIGH)
            value = self._feistel(value)
        return value


class ReferenceMaker:
    """Hands out references for one host; thread-safe.

    `reserve(n)` returns the next n values of the host's durable counter (the
    journal's); it is called once per BLOCK references.
    """

    def __init__(self, reserve: Callable[[int], range], key: bytes, host: int) -> None:
        if not 0 <= host < HOSTS:
            raise ValueError(f"the host number must be 0-{HOSTS - 1}")
        self.reserve = reserve
        self.host = host
        self._permute = Permutation(key)
        self._lock = threading.Lock()
        self._block: list[int] = []

    def __call__(self) -> str:
        with self._lock:
            if not self._block:
                self._block = list(reversed(self.reserve(BLOCK)))
            counter = self._block.pop()
        if counter >= PER_HOST:
            raise ReferencesExhausted("this host has handed out all its references")
        body = str(self._permute(LOW + self.host * PER_HOST + counter))
        return body + str(damm_digit(body))
