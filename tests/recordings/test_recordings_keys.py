"""Encryption at rest: the sealed format refuses tampering, cutting and the wrong key;
keys rotate with `hotline recordings rekey`; production needs a key, development makes
one (0600)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from hotline.cli import main
from hotline.settings import Settings, SettingsError
from recordings.fetch import fetch_due
from recordings.keys import Keyring, new_key_text
from recordings.sealed import HEADER_SIZE, SEGMENT, SealedError, SealedFile, write_sealed
from recordings.store import Copy, RecordingStore
from tests.helpers import row_of

AUDIO = bytes(range(256)) * 1000  # 256 000 bytes: several segments and a short last one


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.of(new_key_text())


def sealed_at(tmp_path: Path, keyring: Keyring, context: bytes = b"RE1:original") -> Path:
    path = tmp_path / "a.sealed"
    write_sealed(path, AUDIO, keyring.current, context)
    return path


def test_any_range_reads_back_and_the_file_holds_no_plaintext(tmp_path, keyring) -> None:
    path = sealed_at(tmp_path, keyring)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_bytes()
    assert AUDIO[1000:1032] not in raw and AUDIO[:64] not in raw
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left
    with SealedFile(path, keyring, b"RE1:original") as sealed:
        assert sealed.length == len(AUDIO)
        assert sealed.read_all() == AUDIO
        for start, stop in ((0, 1), (SEGMENT - 5, SEGMENT + 5), (200_000, 256_000),
                            (255_999, 256_000)):
            assert b"".join(sealed.chunks(start, stop)) == AUDIO[start:stop]


@pytest.mark.parametrize("damage", ["flip", "truncate", "drop_last", "context", "key"])
def test_a_damaged_or_foreign_file_is_refused(tmp_path, keyring, damage) -> None:
    path = sealed_at(tmp_path, keyring)
    raw = bytearray(path.read_bytes())
    context = b"RE1:original"
    reading = keyring
    if damage == "flip":
        raw[HEADER_SIZE + 100] ^= 1
    elif damage == "truncate":
        del raw[-10:]
    elif damage == "drop_last":
        del raw[HEADER_SIZE + 3 * (SEGMENT + 16):]
    elif damage == "context":
        context = b"RE2:original"  # another recording's file put in its place
    else:
        reading = Keyring.of(new_key_text())
    path.write_bytes(bytes(raw))
    with pytest.raises(SealedError), SealedFile(path, reading, context) as sealed:
        sealed.read_all()


def test_rekey_moves_every_file_to_the_new_key(reported, fetcher, engine, store,
                                               settings, monkeypatch) -> None:
    first, second = reported(3), reported(4)
    fetch_due(fetcher)
    old_key = settings.local_recordings_key_path.read_text().strip()
    old_id = store.keyring.current.id
    assert {row_of(engine, r.recording_sid).key_id for r in (first, second)} == {old_id}
    new_key = new_key_text()
    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HOTLINE_CAMPAIGNS", str(settings.campaigns_path))
    monkeypatch.setenv("HOTLINE_INSTANCE_PATH", str(settings.instance_path))
    monkeypatch.setenv("HOTLINE_RECORDINGS_KEY", new_key)
    # Without the old key the files cannot be read: rekey says so and changes nothing.
    monkeypatch.delenv("HOTLINE_RECORDINGS_OLD_KEYS", raising=False)
    refused = CliRunner().invoke(main, ["recordings", "rekey"])
    assert refused.exit_code == 2 and "HOTLINE_RECORDINGS_OLD_KEYS" in refused.output
    monkeypatch.setenv("HOTLINE_RECORDINGS_OLD_KEYS", old_key)
    result = CliRunner().invoke(main, ["recordings", "rekey"])
    assert result.exit_code == 0, result.output
    assert "2 recording(s) sealed again under the current key" in result.output
    new_only = RecordingStore(store.root, Keyring.of(new_key))
    for report in (first, second):
        row = row_of(engine, report.recording_sid)
        assert row.key_id == new_only.keyring.current.id != old_id
        assert new_only.read(report.recording_sid, Copy.ORIGINAL, row.original_file) == \
            report.audio
        with pytest.raises(SealedError):
            RecordingStore(store.root, Keyring.of(old_key)).read(
                report.recording_sid, Copy.ORIGINAL, row.original_file)
    again = CliRunner().invoke(main, ["recordings", "rekey"])
    assert "0 recording(s) sealed again" in again.output and "2 already were" in again.output


def test_production_refuses_to_start_without_a_recordings_key(tmp_path) -> None:
    env = {"HOTLINE_ENV": "production", "HOTLINE_SECRET_KEY": "s" * 40,
           "TWILIO_AUTH_TOKEN": "t", "HOTLINE_PUBLIC_URL": "https://h.example.org",
           "HOTLINE_DATABASE_URL": "postgresql+psycopg://db/hotline",
           "HOTLINE_REFERENCE_KEY": "r" * 32}
    settings = Settings.from_env(env, instance_path=tmp_path)
    assert any("HOTLINE_RECORDINGS_KEY" in p for p in settings.production_problems())
    with pytest.raises(SettingsError, match="HOTLINE_RECORDINGS_KEY"):
        settings.recordings_keyring()
    assert not (tmp_path / "recordings-key").exists()
    ready = Settings.from_env({**env, "HOTLINE_RECORDINGS_KEY": new_key_text()},
                              instance_path=tmp_path)
    assert ready.production_problems() == []


def test_a_bad_key_is_named(tmp_path) -> None:
    with pytest.raises(SettingsError, match="HOTLINE_RECORDINGS_KEY: not a key"):
        Settings.from_env({"HOTLINE_RECORDINGS_KEY": "secret"}, instance_path=tmp_path)


def test_development_makes_its_own_key_once_with_mode_0600(tmp_path) -> None:
    settings = Settings.from_env({}, instance_path=tmp_path)
    first = settings.recordings_keyring()
    path = tmp_path / "recordings-key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert settings.recordings_keyring().current.id == first.current.id
    assert settings.recordings_path == tmp_path / "recordings"
    elsewhere = Settings.from_env({"HOTLINE_RECORDINGS_DIR": str(tmp_path / "x")},
                                  instance_path=tmp_path)
    assert elsewhere.recordings_path == tmp_path / "x"
