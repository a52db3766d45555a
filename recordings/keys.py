"""The recordings' encryption keys: the current one, older ones kept for reading.

A key is 32 random bytes, written as URL-safe base64 (`hotline recordings new-key`).
Its id is derived from the key itself (the first 16 hex digits of its SHA-256), so a
file names the key it was sealed with without anyone keeping a table of ids.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32


class BadKey(ValueError):
    """A key setting is not a key; the message names the setting."""


class UnreadableSecret(ValueError):
    """A sealed secret cannot be opened: its key is not in the keyring, or it was altered."""


@dataclass(frozen=True)
class Key:
    id: str
    aead: AESGCM = field(repr=False, compare=False)

    @classmethod
    def parse(cls, text: str, setting: str = "HOTLINE_RECORDINGS_KEY") -> Key:
        try:
            raw = base64.urlsafe_b64decode(text.strip().encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raw = b""
        if len(raw) != KEY_BYTES:
            raise BadKey(f"{setting}: not a key (32 bytes as URL-safe base64, 44 "
                            "characters; `hotline recordings new-key` makes one)")
        return cls(hashlib.sha256(raw).hexdigest()[:16], AESGCM(raw))


def new_key_text() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


@dataclass(frozen=True)
class Keyring:
    """New files are sealed with `current`; files under any key here can be read."""

    current: Key
    older: tuple[Key, ...] = ()

    @classmethod
    def of(cls, current: str, older: Iterable[str] = ()) -> Keyring:
        return cls(Key.parse(current), tuple(
            Key.parse(text, "HOTLINE_RECORDINGS_OLD_KEYS") for text in older if text.strip()))

    def get(self, key_id: str) -> Key | None:
        return next((k for k in (self.current, *self.older) if k.id == key_id), None)

    # Short secrets kept in the database (the console's TOTP secrets) are sealed under the
    # same keys as the recordings, so one key, one rotation and one backup cover both.
    # `context` binds a sealed secret to its row: moved to another row, it does not open.
    def seal_text(self, text: str, context: bytes) -> str:
        """`key id:base64(nonce + AES-256-GCM ciphertext and tag)`."""
        nonce = secrets.token_bytes(12)
        sealed = self.current.aead.encrypt(nonce, text.encode(), context)
        return f"{self.current.id}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"

    def open_text(self, sealed: str, context: bytes) -> str:
        key_id, _, body = sealed.partition(":")
        key = self.get(key_id)
        if key is None:
            raise UnreadableSecret(f"sealed under key {key_id}, which is not in the keyring")
        try:
            raw = base64.urlsafe_b64decode(body.encode("ascii"))
            return key.aead.decrypt(raw[:12], raw[12:], context).decode()
        except (InvalidTag, binascii.Error, ValueError, UnicodeError):
            raise UnreadableSecret("the sealed secret was altered or is not one") from None

    @staticmethod
    def key_of(sealed: str) -> str:
        return sealed.partition(":")[0]


def development_key(path: Path) -> str:
    """The key kept under instance/ when HOTLINE_RECORDINGS_KEY is not set (development
    only): made once with mode 0600; two processes starting at once agree on one."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(new_key_text() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return path.read_text().strip()
