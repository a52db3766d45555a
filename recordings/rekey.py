"""`hotline recordings rekey`: seal every file again under the current key.

After HOTLINE_RECORDINGS_KEY is replaced (the old key moved to
HOTLINE_RECORDINGS_OLD_KEYS), each file still under an old key is decrypted and
sealed again under the new one, atomically, and its row's key id updated. When no
row names an old key any more, the old key can be dropped from the settings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from db.recording_models import RecordingFile, RecordingState
from recordings.sealed import SealedError
from recordings.store import Copy, RecordingStore

log = logging.getLogger("hotline.recordings")
HELD_HERE = (RecordingState.DOWNLOADED.value, RecordingState.DELETED.value)


@dataclass
class RekeySummary:
    rekeyed: int = 0
    already: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return (f"{self.rekeyed} recording(s) sealed again under the current key, "
                f"{self.already} already were, {self.failed} could not be read")


def rekey_all(sessions: sessionmaker[Session], store: RecordingStore) -> RekeySummary:
    summary = RekeySummary()
    current = store.keyring.current.id
    with sessions() as session:
        rows = session.execute(select(
            RecordingFile.id, RecordingFile.recording_sid, RecordingFile.key_id,
            RecordingFile.original_file, RecordingFile.disguised_file)
            .where(RecordingFile.state.in_(HELD_HERE)).order_by(RecordingFile.id)).all()
    for row_id, sid, key_id, original, disguised in rows:
        if key_id == current:
            summary.already += 1
            continue
        try:
            for copy, name in ((Copy.ORIGINAL, original), (Copy.DISGUISED, disguised)):
                if name:
                    store.rekey(sid, copy, name)
        except (SealedError, OSError) as exc:
            summary.failed += 1
            log.error("rekey: recording file %d cannot be read: %s", row_id, exc)
            continue
        with sessions.begin() as session:
            session.execute(update(RecordingFile).where(RecordingFile.id == row_id)
                            .values(key_id=current))
        summary.rekeyed += 1
    return summary
