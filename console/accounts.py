"""Console accounts: adding, listing and disabling users, signing in, changing passwords.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106). Every
change to an account goes into the audit log in the same transaction; every
sign-in's result (succeeded, failed, or the first refusal of a throttle window)
in the transaction that records the attempt's result. Names that are no user are
audited as "?", so nothing a stranger types lands in the log.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db import audit, logins
from db.user_models import ROLES, User

DEFAULT_HASHER = PasswordHasher()
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # hashing a megabyte of "password" is a cheap way to burn our CPU


class AccountError(ValueError):
    """An account change that cannot be made; `code` names it for the interface."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def normalise_name(name: str) -> str:
    return name.strip().lower()


def check_password_rules(password: str, name: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError("password_short",
                           f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError("password_long", f"a password has at most {MAX_PASSWORD} characters")
    if password.strip().lower() == name:
        raise AccountError("password_is_name", "the password must not be the user name")


def add_user(session: Session, name: str, role: str, password: str, *, at: datetime,
             actor: str = audit.COMMAND_LINE, address: str | None = None,
             hasher: PasswordHasher = DEFAULT_HASHER) -> User:
    name = normalise_name(name)
    if not NAME.match(name):
        raise AccountError("bad_name", "a user name is 2 to 64 lowercase letters, digits, "
                                       "'.', '_' or '-', starting with a letter or digit")
    if role not in ROLES:
        raise AccountError("bad_role", f"the role is one of {', '.join(ROLES)}")
    check_password_rules(password, name)
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise AccountError("exists", f"there is already a user {name!r}")
    user = User(name=name, role=role, password_hash=hasher.hash(password), active=True,
                session_token=secrets.token_hex(16), created_at=at, password_changed_at=at)
    session.add(user)
    session.flush()
    audit.user_added(session, at=at, actor=actor, name=name, role=role, address=address)
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.name)).all()


def find_user(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == normalise_name(name)))


def set_active(session: Session, name: str, active: bool, *, at: datetime,
               actor: str = audit.COMMAND_LINE, address: str | None = None) -> User:
    user = find_user(session, name)
    if user is None:
        raise AccountError("no_user", f"there is no user {normalise_name(name)!r}")
    if user.active and not active and user.role == "admin":
        # Lock the active admins' rows, so two admins cannot disable each other at once.
        admins = session.scalars(select(User.id).where(
            User.role == "admin", User.active.is_(True)).with_for_update()).all()
        if len([ident for ident in admins if ident != user.id]) == 0:
            raise AccountError("last_admin", "the last active admin cannot be disabled")
    if user.active != active:
        user.active = active
        # A new token ends every session the user has open.
        user.session_token = secrets.token_hex(16)
        session.flush()
        audit.user_active(session, at=at, actor=actor, name=user.name, active=active,
                          address=address)
    return user


@dataclass(frozen=True)
class SignIn:
    user: User | None
    throttled_until: datetime | None = None
    # The password was right; a second factor must follow: a code (the user enrolled)
    # or enrolment (they have none, and it is required).
    second_step: str | None = None  # None | "code" | "enrol"


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    # Verifying against this when the name is unknown keeps the answer's timing the same.
    return hasher.hash(secrets.token_hex(16))


def sign_in(writers: sessionmaker[Session], name: str, password: str, *, address: str,
            at: datetime, hasher: PasswordHasher = DEFAULT_HASHER,
            second_factor_required: bool = False) -> SignIn:
    """Check a sign-in's password; record it (and throttle) whatever the result. A user
    with a second factor (or without one where it is required) is not signed in yet:
    `second_step` says what follows, and the sign-in is audited when that passes.

    Three short transactions on `writers` (a writer session factory): the attempt is
    committed as pending, then the throttle is counted, then the result is written;
    the password is checked outside any transaction, so hashing never holds a lock
    and a webhook committing meanwhile cannot make the final write fail.
    """
    name = normalise_name(name)[:64]
    with writers.begin() as session:
        attempt = logins.begin_attempt(session, name, address, at)
    with writers.begin() as session:
        user = session.scalar(select(User).where(User.name == name))
        # Only known names are written into the audit log: anything typed is not.
        actor = user.name if user is not None else audit.UNKNOWN
        throttle = logins.check(session, name, address, at, exclude=attempt)
        if throttle.refused:
            if logins.finish_throttled(session, attempt, name, address, at):
                audit.sign_in_throttled(session, at=at, actor=actor, address=address)
            return SignIn(None, throttled_until=throttle.until)
    stored = user.password_hash if user else _dummy_hash(hasher)
    ok = _verify(hasher, stored, password[:MAX_PASSWORD])
    with writers.begin() as session:
        if user is None or not user.active or not ok:
            logins.finish_attempt(session, attempt, logins.FAILED)
            reason = ("unknown user" if user is None else
                      "account disabled" if not user.active else "wrong password")
            audit.sign_in_failed(session, at=at, actor=actor, reason=reason, address=address)
            return SignIn(None)
        user = session.get(User, user.id)
        if user is None or not user.active:  # disabled or removed while we hashed
            logins.finish_attempt(session, attempt, logins.FAILED)
            audit.sign_in_failed(session, at=at, actor=actor, reason="account disabled",
                                 address=address)
            return SignIn(None)
        if hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
        logins.finish_attempt(session, attempt, logins.OK)
        second_step = ("code" if user.totp_secret is not None else
                       "enrol" if second_factor_required else None)
        if second_step is None:
            audit.sign_in(session, at=at, name=name, address=address)
    return SignIn(user, second_step=second_step)


def _verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def change_password(writers: sessionmaker[Session], user_id: int, current: str, new: str, *,
                    at: datetime, address: str = "unknown",
                    hasher: PasswordHasher = DEFAULT_HASHER) -> User:
    """Change a user's own password; wrong current passwords count towards the same
    throttle as failed sign-ins (per account and per address)."""
    with writers.begin() as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise AccountError("no_user", "there is no such active user")
        attempt = logins.begin_attempt(session, user.name, address, at)
    with writers.begin() as session:
        throttle = logins.check(session, user.name, address, at, exclude=attempt)
        if throttle.refused:
            logins.finish_throttled(session, attempt, user.name, address, at)
            raise AccountError("throttled", "too many wrong passwords; try again later")
    ok = _verify(hasher, user.password_hash, current[:MAX_PASSWORD])
    with writers.begin() as session:
        logins.finish_attempt(session, attempt, logins.OK if ok else logins.FAILED)
    if not ok:
        raise AccountError("wrong_password", "the current password is wrong")
    check_password_rules(new, user.name)
    if new == current:
        raise AccountError("password_same", "the new password is the same as the old one")
    new_hash = hasher.hash(new)
    with writers.begin() as session:
        user = session.get(User, user_id)
        if user is None:
            raise AccountError("no_user", "there is no such active user")
        user.password_hash = new_hash
        user.password_changed_at = at
        # Other browsers signed in with the old password are signed out.
        user.session_token = secrets.token_hex(16)
        session.flush()
        audit.password_changed(session, at=at, name=user.name, address=address)
    return user


def sign_out(session: Session, user_id: int, *, at: datetime, address: str | None = None
             ) -> None:
    """End the user's sessions server-side: a new token makes every old cookie useless."""
    user = session.get(User, user_id)
    if user is None:
        return
    user.session_token = secrets.token_hex(16)
    session.flush()
    audit.sign_out(session, at=at, name=user.name, address=address)


def reset_password(session: Session, name: str, new: str, *, at: datetime,
                   actor: str = audit.COMMAND_LINE, address: str | None = None,
                   hasher: PasswordHasher = DEFAULT_HASHER) -> User:
    """An administrator sets a new password (the user forgot theirs)."""
    user = find_user(session, name)
    if user is None:
        raise AccountError("no_user", f"there is no user {normalise_name(name)!r}")
    check_password_rules(new, user.name)
    _set_password(user, new, at, hasher)
    session.flush()
    audit.password_reset(session, at=at, actor=actor, name=user.name, address=address)
    return user


def _set_password(user: User, new: str, at: datetime, hasher: PasswordHasher) -> None:
    user.password_hash = hasher.hash(new)
    user.password_changed_at = at
    # Other browsers signed in with the old password are signed out.
    user.session_token = secrets.token_hex(16)
