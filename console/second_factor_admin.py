"""The second factor as administrators handle it: enrolling a user from the command line,
taking a lost phone's factor away, and sealing every secret again after a key rotation."""

from __future__ import annotations

import secrets
from datetime import datetime

import pyotp
from argon2 import PasswordHasher
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, sessionmaker

from console import recovery_codes
from console.accounts import DEFAULT_HASHER, AccountError, find_user, normalise_name
from console.second_factor import context_of, enrol, enrolled, provisioning_uri
from db import audit
from db.user_models import RecoveryCode, User
from recordings.keys import Keyring, UnreadableSecret


def enrol_from_command_line(session: Session, name: str, *, at: datetime, keyring: Keyring,
                            hasher: PasswordHasher = DEFAULT_HASHER
                            ) -> tuple[User, str, list[str]]:
    """`hotline users totp NAME`: enrol NAME with a new secret; (user, otpauth URI, codes)."""
    user = find_user(session, name)
    if user is None:
        raise AccountError("no_user", f"there is no user {normalise_name(name)!r}")
    if enrolled(user):
        raise AccountError("enrolled", f"{user.name} already has a second factor; "
                           "`hotline users reset-2fa` first to give them a new one")
    secret = pyotp.random_base32()
    codes = enrol(session, user, secret, None, at=at, keyring=keyring,
                   codes=recovery_codes.new(hasher), actor=audit.COMMAND_LINE, address=None)
    return user, provisioning_uri(secret, user.name), codes


def reset(session: Session, name: str, *, at: datetime, actor: str = audit.COMMAND_LINE,
          address: str | None = None) -> User:
    """Take NAME's second factor away (a lost phone): they enrol again at the next sign-in
    where it is required, and every session they have open ends now."""
    user = find_user(session, name)
    if user is None:
        raise AccountError("no_user", f"there is no user {normalise_name(name)!r}")
    user.totp_secret = user.totp_pending = None
    user.totp_last_step = None
    user.totp_enrolled_at = None
    user.session_token = secrets.token_hex(16)
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()
    audit.second_factor_reset(session, at=at, actor=actor, name=user.name, address=address)
    return user


def reseal_secrets(writers: sessionmaker[Session], keyring: Keyring) -> int:
    """Seal every TOTP secret again under the current key (`hotline recordings rekey`);
    how many moved. A secret under a key no longer in the keyring is left as it is."""
    moved = 0
    with writers.begin() as session:
        for user in session.scalars(select(User).where(or_(
                User.totp_secret.is_not(None), User.totp_pending.is_not(None)))):
            for column in ("totp_secret", "totp_pending"):
                sealed = getattr(user, column)
                if sealed is None or Keyring.key_of(sealed) == keyring.current.id:
                    continue
                try:
                    secret = keyring.open_text(sealed, context_of(user.id))
                except UnreadableSecret:
                    continue
                setattr(user, column, keyring.seal_text(secret, context_of(user.id)))
                moved += 1
    return moved

