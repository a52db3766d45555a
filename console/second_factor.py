"""The console's second factor: TOTP codes (RFC 6238, pyotp) and ten one-time recovery codes.

A user's TOTP secret is sealed in the database with the recordings' key (AES-256-GCM,
recordings/keys.py), bound to the user's row; it is shown once, at enrolment, as a QR
code drawn in the page (segno, inline SVG: nothing is sent to a QR service). A code is
accepted one 30-second step either side of now, for clocks that drift, and never twice:
the last step accepted is kept, and only a later one is taken again (replay).

Ten one-time recovery codes (console/recovery_codes.py) stand in for a lost phone.

Every check, right or wrong, goes through the sign-in throttle (db/logins.py) under the
user's name and the address, so wrong codes delay the account like wrong passwords.
Like accounts.sign_in, a check is three short transactions with the hashing outside them.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from argon2 import PasswordHasher
from sqlalchemy import or_, update
from sqlalchemy.orm import Session, sessionmaker

from console import recovery_codes
from console.accounts import DEFAULT_HASHER
from db import audit, logins
from db.engine import rows_changed
from db.user_models import RecoveryCode, User
from recordings.keys import Keyring, UnreadableSecret

log = logging.getLogger(__name__)
ISSUER = "Hotline"
STEP_SECONDS = 30
DRIFT_STEPS = 1           # a code from the step before or after now is accepted too


# A check of what the user typed (passed?, which kind of code), and the claim of it in
# the final transaction (False: another request took the same code first).
Verify = Callable[[User], tuple[bool, str | None]]
Claim = Callable[[Session, User], bool]


@dataclass(frozen=True)
class CodeCheck:
    """The result of a second-factor check: the user when it passed, or when to retry."""

    user: User | None
    throttled_until: datetime | None = None
    method: str | None = None  # "code" or "recovery code"


def context_of(user_id: int) -> bytes:
    return f"hotline totp secret|user {user_id}".encode()


def enrolled(user: User) -> bool:
    return user.totp_secret is not None


def provisioning_uri(secret: str, name: str, issuer: str = ISSUER) -> str:
    """The otpauth:// URI an authenticator app reads (from the QR code or typed in)."""
    return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The URI as a QR code, an SVG element to put straight into the page."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")


def matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The time step whose code `code` is, within DRIFT_STEPS of `at`; None if none is."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    now = int(at.timestamp()) // STEP_SECONDS
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def secret_of(user: User, keyring: Keyring, *, pending: bool = False) -> str | None:
    """The user's secret (or the one awaiting confirmation); None when there is none or
    it cannot be opened (sealed under a key no longer configured, or altered), when no
    code can match it: an admin resets the user's second factor."""
    sealed = user.totp_pending if pending else user.totp_secret
    if not sealed:
        return None
    try:
        return keyring.open_text(sealed, context_of(user.id))
    except UnreadableSecret:
        log.warning("the second-factor secret of user %d cannot be opened", user.id)
        return None


def begin_enrolment(session: Session, user: User, keyring: Keyring) -> str:
    """The secret to show at enrolment: the one already shown (a reload shows the same
    QR code), else a new one, kept sealed until a code from it confirms it."""
    shown = secret_of(user, keyring, pending=True)
    if shown is None:
        shown = pyotp.random_base32()
        user.totp_pending = keyring.seal_text(shown, context_of(user.id))
        session.flush()
    return shown


def enrol(session: Session, user: User, secret: str, step: int | None, *, at: datetime,
          keyring: Keyring, codes: list[tuple[str, str]], actor: str,
          address: str | None) -> list[str]:
    """Give `user` the second factor `secret` (`step`: the step of the code that
    confirmed it, so it is not taken again) and `codes` (from recovery_codes.new());
    the recovery codes as shown, to show once."""
    user.totp_secret = keyring.seal_text(secret, context_of(user.id))
    user.totp_pending = None
    user.totp_last_step = step
    user.totp_enrolled_at = at
    shown = recovery_codes.store(session, user, codes, at)
    audit.second_factor_enrolled(session, at=at, actor=actor, name=user.name, address=address)
    return shown


def confirm_enrolment(writers: sessionmaker[Session], user_id: int, code: str, *,
                      at: datetime, address: str, keyring: Keyring,
                      hasher: PasswordHasher = DEFAULT_HASHER, signs_in: bool = False
                      ) -> tuple[CodeCheck, list[str]]:
    """Enrol the user when `code` comes from the secret they were shown; the recovery
    codes to show them once. A wrong code counts toward the throttle. `signs_in`: this
    completes a sign-in (enrolment on first sign-in), audited as one."""

    def verify(user: User) -> tuple[bool, str | None]:
        secret = secret_of(user, keyring, pending=True)
        return secret is not None and matching_step(secret, code, at) is not None, "code"

    check = _throttled(writers, user_id, at=at, address=address, verify=verify,
                       signs_in=signs_in)
    if check.user is None:
        return check, []
    codes = recovery_codes.new(hasher)
    with writers.begin() as session:
        user = session.get(User, user_id)
        secret = secret_of(user, keyring, pending=True) if user is not None else None
        if user is None or secret is None:
            return CodeCheck(None), []
        shown = enrol(session, user, secret, matching_step(secret, code, at), at=at,
                       keyring=keyring, codes=codes, actor=user.name, address=address)
    return CodeCheck(user, method="code"), shown


def check_code(writers: sessionmaker[Session], user_id: int, code: str, *, at: datetime,
               address: str, keyring: Keyring,
               hasher: PasswordHasher = DEFAULT_HASHER) -> CodeCheck:
    """The sign-in's second step: a TOTP code, or one of the user's recovery codes."""
    state: dict[str, int] = {}

    def verify(user: User) -> tuple[bool, str | None]:
        if recovery_codes.looks_like_one(code):
            found = recovery_codes.matching(writers, user.id, recovery_codes.normalise(code),
                                            hasher)
            if found is not None:
                state["recovery"] = found
            return found is not None, "recovery code"
        secret = secret_of(user, keyring)
        step = matching_step(secret, code, at) if secret else None
        if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
            return False, "code"
        state["step"] = step
        return True, "code"

    def claim(session: Session, user: User) -> bool:
        # Claimed with a conditional UPDATE, so two requests with one code cannot both pass.
        if "recovery" in state:
            used = session.execute(update(RecoveryCode).where(
                RecoveryCode.id == state["recovery"], RecoveryCode.used_at.is_(None))
                .values(used_at=at))
        else:
            used = session.execute(update(User).where(
                User.id == user.id, or_(User.totp_last_step.is_(None),
                                        User.totp_last_step < state["step"]))
                .values(totp_last_step=state["step"]))
        return rows_changed(used) == 1

    return _throttled(writers, user_id, at=at, address=address, verify=verify, claim=claim,
                      signs_in=True)


def _throttled(writers: sessionmaker[Session], user_id: int, *, at: datetime, address: str,
               verify: Verify, claim: Claim | None = None, signs_in: bool) -> CodeCheck:
    """Run `verify` under the sign-in throttle: the attempt committed as pending, the
    throttle counted, the check made outside any transaction, the result written (and,
    when it `signs_in`, the sign-in audited with it)."""
    with writers.begin() as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            return CodeCheck(None)
        name = user.name
        attempt = logins.begin_attempt(session, name, address, at)
    with writers.begin() as session:
        throttle = logins.check(session, name, address, at, exclude=attempt)
        if throttle.refused:
            if logins.finish_throttled(session, attempt, name, address, at):
                audit.sign_in_throttled(session, at=at, actor=name, address=address)
            return CodeCheck(None, throttled_until=throttle.until)
        user = session.get(User, user_id)
    ok, method = verify(user) if user is not None else (False, None)
    with writers.begin() as session:
        user = session.get(User, user_id)
        if ok and user is not None and user.active and (claim is None or claim(session, user)):
            logins.finish_attempt(session, attempt, logins.OK)
            if signs_in:
                audit.sign_in(session, at=at, name=name, address=address, method=method)
            return CodeCheck(user, method=method)
        logins.finish_attempt(session, attempt, logins.FAILED)
        audit.second_factor_failed(session, at=at, actor=name, method=method or "code",
                                   address=address)
    return CodeCheck(None)
