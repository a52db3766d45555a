"""Where sealed recordings live: one folder (HOTLINE_RECORDINGS_DIR), one file per copy.

A recording has up to two copies: the caller's original voice and the disguised
one (see recordings.disguise). Files are named by recording SID and copy, in a
sub-folder per two hex digits so no folder grows huge; the name and the
database row are all that link a file to a report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from recordings.keys import Keyring
from recordings.sealed import SealedError, SealedFile, shred, write_sealed

RECORDING_SID = re.compile(r"^RE[0-9a-fA-F]{32}$")


class Copy(StrEnum):
    ORIGINAL = "original"
    DISGUISED = "voice"


@dataclass(frozen=True)
class RecordingStore:
    root: Path
    keyring: Keyring

    def name_for(self, recording_sid: str, copy: Copy) -> str:
        if not RECORDING_SID.match(recording_sid):
            raise ValueError("not a recording SID")
        return f"{recording_sid[2:4].lower()}/{recording_sid}.{copy.value}.sealed"

    def path_of(self, name: str) -> Path:
        if ".." in name or name.startswith("/"):
            raise ValueError("not a file name of this store")
        return self.root / name

    @staticmethod
    def _context(recording_sid: str, copy: Copy) -> bytes:
        return f"hotline-recording:{recording_sid}:{copy.value}".encode()

    def write(self, recording_sid: str, copy: Copy, audio: bytes) -> str:
        """Seal `audio` under the current key; returns the file's name in the store."""
        name = self.name_for(recording_sid, copy)
        write_sealed(self.path_of(name), audio, self.keyring.current,
                     self._context(recording_sid, copy))
        return name

    def open(self, recording_sid: str, copy: Copy, name: str) -> SealedFile:
        return SealedFile(self.path_of(name), self.keyring, self._context(recording_sid, copy))

    def read(self, recording_sid: str, copy: Copy, name: str) -> bytes:
        with self.open(recording_sid, copy, name) as sealed:
            return sealed.read_all()

    def shred(self, name: str) -> bool:
        return shred(self.path_of(name))

    def rekey(self, recording_sid: str, copy: Copy, name: str) -> bool:
        """Seal the file again under the current key (atomically); False if it already was."""
        with self.open(recording_sid, copy, name) as sealed:
            if sealed.key_id == self.keyring.current.id:
                return False
            audio = sealed.read_all()
        write_sealed(self.path_of(name), audio, self.keyring.current,
                     self._context(recording_sid, copy))
        return True


__all__ = ["Copy", "RecordingStore", "SealedError"]
