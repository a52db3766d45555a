"""The operator and manager console, served at /console/.

Server-rendered pages that work without JavaScript. Sign-in with Flask-Login,
CSRF tokens (Flask-WTF) on every form, roles that decide which pages a user
may open, and an audit line for everything that matters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from argon2 import PasswordHasher
from flask import Blueprint, Flask
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session, sessionmaker

from campaign.model import Campaigns
from console.accounts import DEFAULT_HASHER
from console.i18n import init_babel
from console.recordings.media import RecordingMedia
from recordings.keys import Keyring
from recordings.store import RecordingStore

PREFIX = "/console"
csrf = CSRFProtect()
# Every feature module adds its pages to this one blueprint, so that they share the
# hooks of console/hooks.py: sign-in, CSRF check, language and security headers.
bp = Blueprint("console", __name__, url_prefix=PREFIX, template_folder="templates",
               static_folder="static", static_url_path="/static")


@dataclass
class ConsoleContext:
    """What the console needs, handed in by the composition root."""

    campaigns: Campaigns
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime]
    media: RecordingMedia
    hasher: PasswordHasher = field(default=DEFAULT_HASHER)
    page_size: int = 50
    # Short write transactions (on SQLite: BEGIN IMMEDIATE, so a read followed by a
    # write never fails with "database is locked" when a webhook commits in between).
    writers: sessionmaker[Session] | None = None
    # The recordings brought home (recordings/); None: only Twilio's copies are played.
    recordings: RecordingStore | None = None
    # The key that seals the second factor's secrets: the recordings' (recordings/keys.py).
    keyring: Keyring | None = None
    second_factor_required: bool = False  # always in production (HOTLINE_SECOND_FACTOR)
    idle_minutes: int = 30                # HOTLINE_IDLE_MINUTES

    @property
    def sealing(self) -> Keyring:
        if self.keyring is None:
            raise RuntimeError("the console has no keyring for the second factor's secrets")
        return self.keyring

    @property
    def write_sessions(self) -> sessionmaker[Session]:
        return self.writers if self.writers is not None else self.sessions


def init_app(app: Flask, context: ConsoleContext, *, https: bool = False) -> None:
    """Register the console; `https`: the site is served over https (Secure cookies)."""
    # Each module adds its pages to `bp` when imported.
    from console import (  # noqa: F401
        admin,
        auth,
        calls,
        daily_reports,
        followup,
        followup_reply,
        hooks,
        inbox,
        second_factor_pages,
        session,
        stats,
    )
    from console.recordings import pages  # noqa: F401

    app.extensions["hotline.console"] = context
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=https,
        # CSRF is checked by the console's own before_request (the Twilio webhooks are
        # signed instead); a token lasts a working day so a form left open still posts.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=10 * 3600,
        WTF_CSRF_SSL_STRICT=https,
    )
    csrf.init_app(app)
    init_babel(app)
    manager = LoginManager()
    manager.login_view = "console.sign_in"
    manager.login_message = ""
    manager.session_protection = "basic"
    manager.user_loader(auth.load_user)
    manager.init_app(app)
    app.register_blueprint(bp)
