"""The sealed file: audio encrypted with AES-256-GCM in segments, so a range can be read.

Layout: a header (magic, version, key id, nonce prefix, segment size, plaintext
length), then the segments, each `SEGMENT` bytes of audio (the last one shorter)
plus its 16-byte tag. Segment i's nonce is the prefix, i, and a flag for the last
segment; its associated data is the header and the file's context (the recording
and the copy it holds), so a segment cannot be moved, dropped, swapped between
files or cut short without the read failing. The plaintext never touches the disk:
the file is written whole under a temporary name (mode 0600), synced, then renamed.
"""

from __future__ import annotations

import os
import secrets
import struct
from collections.abc import Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag

from recordings.keys import Key, Keyring

MAGIC = b"HLRC"
VERSION = 1
SEGMENT = 64 * 1024
TAG = 16
_HEADER = struct.Struct("!4sB16s7sIQ")  # magic, version, key id, nonce prefix, segment, length
HEADER_SIZE = _HEADER.size


class SealedError(Exception):
    """A sealed file cannot be read: wrong key, damaged, cut short or not ours."""


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack("!IB", index, 1 if last else 0)


def seal(plaintext: bytes, key: Key, context: bytes) -> Iterator[bytes]:
    """The sealed file's bytes, piece by piece."""
    prefix = secrets.token_bytes(7)
    header = _HEADER.pack(MAGIC, VERSION, key.id.encode("ascii"), prefix, SEGMENT,
                          len(plaintext))
    yield header
    count = max(1, -(-len(plaintext) // SEGMENT))
    for index in range(count):
        piece = plaintext[index * SEGMENT:(index + 1) * SEGMENT]
        yield key.aead.encrypt(_nonce(prefix, index, index == count - 1), piece,
                               header + context)


def write_sealed(path: Path, plaintext: bytes, key: Key, context: bytes) -> None:
    """Seal `plaintext` into `path` atomically, mode 0600, synced to disk."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            for piece in seal(plaintext, key, context):
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class SealedFile:
    """An open sealed file: its length, and any byte range decrypted on demand."""

    def __init__(self, path: Path, keyring: Keyring, context: bytes) -> None:
        self.path = path
        self.context = context
        try:
            self._handle = open(path, "rb")  # noqa: SIM115  (closed by close())
        except FileNotFoundError:
            raise SealedError("missing") from None
        header = self._handle.read(HEADER_SIZE)
        if len(header) != HEADER_SIZE:
            self.close()
            raise SealedError("cut short")
        magic, version, key_id, prefix, segment, length = _HEADER.unpack(header)
        if magic != MAGIC or version != VERSION or segment <= 0:
            self.close()
            raise SealedError("not a sealed recording")
        self.key_id = key_id.decode("ascii", "replace")
        key = keyring.get(self.key_id)
        if key is None:
            self.close()
            raise SealedError(f"sealed with key {self.key_id}, which is not configured")
        self._key, self._header, self._prefix = key, header, prefix
        self._segment, self.length = segment, length
        self._count = max(1, -(-length // segment))

    def _decrypt(self, index: int) -> bytes:
        self._handle.seek(HEADER_SIZE + index * (self._segment + TAG))
        size = min(self._segment, self.length - index * self._segment) + TAG
        data = self._handle.read(size)
        if len(data) != size:
            raise SealedError("cut short")
        try:
            return self._key.aead.decrypt(_nonce(self._prefix, index, index == self._count - 1),
                                          data, self._header + self.context)
        except InvalidTag:
            raise SealedError("damaged, or not this recording's file") from None

    def chunks(self, start: int = 0, stop: int | None = None) -> Iterator[bytes]:
        """Plaintext bytes [start, stop), one segment at a time."""
        stop = self.length if stop is None else min(stop, self.length)
        index = start // self._segment
        while index * self._segment < stop:
            plain = self._decrypt(index)
            base = index * self._segment
            yield plain[max(0, start - base):stop - base]
            index += 1

    def read_all(self) -> bytes:
        return b"".join(self.chunks())

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> SealedFile:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def shred(path: Path) -> bool:
    """Overwrite a file with random bytes, sync, then unlink it; False when it was gone.

    On a journalling or copy-on-write file system, or an SSD, old blocks may survive
    an overwrite: the encryption, not the overwrite, is what protects them.
    """
    try:
        size = path.stat().st_size
        with open(path, "r+b") as handle:
            remaining = size
            while remaining > 0:
                step = min(remaining, 1024 * 1024)
                handle.write(secrets.token_bytes(step))
                remaining -= step
            handle.flush()
            os.fsync(handle.fileno())
        path.unlink()
    except FileNotFoundError:
        return False
    return True
