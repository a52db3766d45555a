"""Settings, read once from the environment and passed explicitly into create_app()."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from recordings.keys import BadKey, Keyring, development_key

LOCAL_TOKEN_FILE = "twilio-local-auth-token"  # noqa: S105 - a file name
LOCAL_RECORDINGS_KEY_FILE = "recordings-key"
LOCAL_REFERENCE_KEY_FILE = "reference-key"
# X-Forwarded-* headers beyond For and Proto that HOTLINE_PROXY_HEADERS may trust.
EXTRA_PROXY_HEADERS = ("host", "port", "prefix")
SECOND_FACTOR_MODES = ("required", "optional")


class SettingsError(ValueError):
    """A setting is missing or wrong; the message is one line naming it."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    campaigns_path: Path
    instance_path: Path
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    public_url: str | None = None
    secret_key: str | None = None
    smtp_url: str | None = None
    mail_from: str | None = None
    proxy_hops: int = 0
    production: bool = False
    twilio_api: str = "https://api.twilio.com"  # Twilio's REST API (a regional edge, a test double)
    recordings_dir: Path | None = None  # default: instance/recordings
    recordings_key: str | None = None
    recordings_old_keys: tuple[str, ...] = ()  # still read; `hotline recordings rekey` moves off
    journal_path: Path | None = None  # default: instance/journal.sqlite3
    host_number: int = 0              # 0-8, unique per web host (references)
    reference_key: str | None = None  # the references' permutation key, the same on every host
    # X-Forwarded-Host/-Port/-Prefix trusted from the proxies (For and Proto always are).
    proxy_headers: frozenset[str] = frozenset()
    metrics_token: str | None = None  # a bearer token that opens /metrics beyond loopback
    idle_minutes: int = 30            # a console session idle this long is signed out
    # The console's second factor: "required" (always in production) or "optional".
    second_factor: str = "optional"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None,
                 instance_path: str | Path = "instance") -> Settings:
        env = os.environ if environ is None else environ
        instance = Path(env.get("HOTLINE_INSTANCE_PATH") or instance_path)
        database_url = env.get("HOTLINE_DATABASE_URL") or (
            f"sqlite:///{(instance / 'hotline.sqlite3').resolve()}")
        public_url = (env.get("HOTLINE_PUBLIC_URL") or "").strip() or None
        if public_url:
            parts = urlsplit(public_url)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
                raise SettingsError(
                    f"HOTLINE_PUBLIC_URL: {public_url!r} must be an http(s) URL like "
                    "https://hotline.example.org, without a query")
        hops = (env.get("HOTLINE_PROXY_HOPS") or "0").strip()
        if not hops.isdigit() or int(hops) > 5:
            raise SettingsError(f"HOTLINE_PROXY_HOPS: {hops!r} must be a number of proxies, 0-5")
        mode = (env.get("HOTLINE_ENV") or "development").strip().lower()
        if mode not in ("development", "production"):
            raise SettingsError(f"HOTLINE_ENV: {mode!r} must be development or production")
        recordings_key = (env.get("HOTLINE_RECORDINGS_KEY") or "").strip() or None
        old_keys = tuple(k.strip() for k in (env.get("HOTLINE_RECORDINGS_OLD_KEYS") or ""
                                              ).split(",") if k.strip())
        try:
            if recordings_key:
                Keyring.of(recordings_key, old_keys)
        except BadKey as exc:
            raise SettingsError(str(exc)) from None
        recordings_dir = (env.get("HOTLINE_RECORDINGS_DIR") or "").strip()
        host = (env.get("HOTLINE_HOST_NUMBER") or "0").strip()
        if not host.isdigit() or int(host) > 8:
            raise SettingsError(f"HOTLINE_HOST_NUMBER: {host!r} must be a number 0-8, "
                                "different on each web host")
        reference_key = env.get("HOTLINE_REFERENCE_KEY") or None
        if reference_key is not None and len(reference_key) < 32:
            raise SettingsError("HOTLINE_REFERENCE_KEY must be at least 32 characters")
        journal = (env.get("HOTLINE_JOURNAL_PATH") or "").strip()
        return cls(
            proxy_headers=_proxy_headers(env.get("HOTLINE_PROXY_HEADERS") or ""),
            metrics_token=(env.get("HOTLINE_METRICS_TOKEN") or "").strip() or None,
            idle_minutes=_idle_minutes(env.get("HOTLINE_IDLE_MINUTES") or "30"),
            second_factor=_second_factor(env.get("HOTLINE_SECOND_FACTOR"),
                                         production=mode == "production"),
            recordings_dir=Path(recordings_dir) if recordings_dir else None,
            recordings_key=recordings_key, recordings_old_keys=old_keys,
            journal_path=Path(journal) if journal else None,
            host_number=int(host),
            reference_key=reference_key,
            proxy_hops=int(hops),
            twilio_api=(env.get("HOTLINE_TWILIO_API") or "https://api.twilio.com").rstrip("/"),
            production=mode == "production",
            database_url=database_url,
            campaigns_path=Path(env.get("HOTLINE_CAMPAIGNS") or "campaigns"),
            instance_path=instance,
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
            public_url=public_url,
            secret_key=env.get("HOTLINE_SECRET_KEY") or None,
            smtp_url=env.get("HOTLINE_SMTP_URL") or None,
            mail_from=env.get("HOTLINE_MAIL_FROM") or None,
        )

    def production_problems(self) -> list[str]:
        """What a production deployment lacks; empty when it is ready."""
        problems = []
        if not self.secret_key or len(self.secret_key) < 32:
            problems.append("HOTLINE_SECRET_KEY is not set (or shorter than 32 characters)")
        if not self.twilio_auth_token:
            problems.append("TWILIO_AUTH_TOKEN is not set")
        if not self.public_url:
            problems.append("HOTLINE_PUBLIC_URL is not set")
        elif not self.public_url.startswith("https://"):
            problems.append("HOTLINE_PUBLIC_URL must be https:// in production")
        if not self.reference_key:
            problems.append("HOTLINE_REFERENCE_KEY is not set (the same on every web host)")
        if self.database_url.startswith("sqlite"):
            problems.append("HOTLINE_DATABASE_URL points at SQLite; production runs PostgreSQL")
        if not self.recordings_key:
            problems.append("HOTLINE_RECORDINGS_KEY is not set (`hotline recordings new-key`)")
        if self.metrics_token is not None and len(self.metrics_token) < 32:
            problems.append("HOTLINE_METRICS_TOKEN is shorter than 32 characters")
        return problems

    @property
    def second_factor_required(self) -> bool:
        return self.production or self.second_factor == "required"

    @property
    def recordings_path(self) -> Path:
        return self.recordings_dir or self.instance_path / "recordings"

    @property
    def local_recordings_key_path(self) -> Path:
        return self.instance_path / LOCAL_RECORDINGS_KEY_FILE

    def recordings_keyring(self) -> Keyring:
        """The recordings' keys; in development, a key made once under instance/ (0600)."""
        if self.recordings_key:
            return Keyring.of(self.recordings_key, self.recordings_old_keys)
        if self.production:
            raise SettingsError("HOTLINE_RECORDINGS_KEY is not set; production never "
                                "keeps recordings under a key generated on the server")
        try:
            return Keyring.of(development_key(self.local_recordings_key_path),
                              self.recordings_old_keys)
        except BadKey as exc:
            raise SettingsError(f"{self.local_recordings_key_path}: {exc}") from None

    @property
    def journal_file(self) -> Path:
        return self.journal_path or self.instance_path / "journal.sqlite3"

    def reference_key_bytes(self) -> bytes:
        """HOTLINE_REFERENCE_KEY, or in development a key generated once under instance/."""
        if self.reference_key:
            return self.reference_key.encode()
        return _local_secret(self.instance_path / LOCAL_REFERENCE_KEY_FILE, 32).encode()

    @property
    def local_token_path(self) -> Path:
        return self.instance_path / LOCAL_TOKEN_FILE

    def auth_token(self, *, create: bool) -> tuple[str, bool]:
        """Twilio's auth token, or a generated local one; (token, is_local).

        Webhooks are never accepted unsigned: without TWILIO_AUTH_TOKEN the app signs
        and checks with a token of its own, kept under instance/ for `hotline call`.
        """
        if self.twilio_auth_token:
            return self.twilio_auth_token, False
        path = self.local_token_path
        if not path.exists() and not create:
            raise SettingsError(
                f"TWILIO_AUTH_TOKEN is not set and there is no local token at {path}; "
                "start `hotline serve` once or set TWILIO_AUTH_TOKEN")
        return _local_secret(path, 16), True


def _proxy_headers(text: str) -> frozenset[str]:
    names = frozenset(n.strip().lower() for n in text.split(",") if n.strip())
    unknown = sorted(names - set(EXTRA_PROXY_HEADERS))
    if unknown:
        raise SettingsError(f"HOTLINE_PROXY_HEADERS: {', '.join(unknown)} is not one of "
                            f"{', '.join(EXTRA_PROXY_HEADERS)} (For and Proto are always "
                            "trusted from HOTLINE_PROXY_HOPS proxies)")
    return names


def _idle_minutes(text: str) -> int:
    text = text.strip()
    if not text.isdigit() or not 1 <= int(text) <= 12 * 60:
        raise SettingsError(f"HOTLINE_IDLE_MINUTES: {text!r} must be a number of minutes, "
                            "1-720")
    return int(text)


def _second_factor(text: str | None, *, production: bool) -> str:
    mode = (text or ("required" if production else "optional")).strip().lower()
    if mode not in SECOND_FACTOR_MODES:
        raise SettingsError(f"HOTLINE_SECOND_FACTOR: {mode!r} must be required or optional")
    if production and mode != "required":
        raise SettingsError("HOTLINE_SECOND_FACTOR: production always requires the "
                            "second factor")
    return mode


def _local_secret(path: Path, size: int) -> str:
    """A secret kept in a file of its own (0600), made on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(size)
    # Written whole under a temporary name, then linked into place: two processes
    # starting at once agree on one token and never read a half-written file.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        token = path.read_text().strip()
    finally:
        temporary.unlink()
    return token
