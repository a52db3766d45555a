"""The console's second factor: TOTP codes (RFC 6238, pyotp) and ten one-time recovery codes.

A user's TOTP secret is sealed in the database with the recordings' key (AES-256-GCM,
recordings/keys.py), bound to the user's row; it is shown once, at enrolment, as a QR
code drawn in the page (segno, inline SVG: nothing is sent to a QR service). A code is
accepted one 30-second step either side of now, for clocks that drift, and never twice:
the last step accepted is kept, and only a later one is taken again (replay).

Recovery codes are hashed with Argon2id like passwords rather than with a keyed hash: no
second key to keep, rotate and back up, and a code checked against ten hashes costs
about what one sign-in costs. Each is 50 random bits, shown once, used at most once.

Every check, right or wrong, goes through the sign-in throttle (db/logins.py) under the
user's name and the address, so wrong codes delay the account like wrong passwords.
Like accounts.sign_in, a check is three short transactions with the hashing outside them.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from console.accounts import DEFAULT_HASHER, AccountError, find_user, normalise_name
from db import audit, logins
from db.engine import rows_changed
from db.user_models import RecoveryCode, User
from recordings.keys import Keyring, UnreadableSecret

log = logging.getLogger(__name__)
ISSUER = "Hotline"
STEP_SECONDS = 30
DRIFT_STEPS = 1           # a code from the step before or after now is accepted too
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_LENGTH = 10      # 10 of 31 symbols: about 50 bits each


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


def _context(user_id: int) -> bytes:
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
        return keyring.open_text(sealed, _context(user.id))
    except UnreadableSecret:
        log.warning("the second-factor secret of user %d cannot be opened", user.id)
        return None


def begin_enrolment(session: Session, user: User, keyring: Keyring) -> str:
    """The secret to show at enrolment: the one already shown (a reload shows the same
    QR code), else a new one, kept sealed until a code from it confirms it."""
    shown = secret_of(user, keyring, pending=True)
    if shown is None:
        shown = pyotp.random_base32()
        user.totp_pending = keyring.seal_text(shown, _context(user.id))
        session.flush()
    return shown


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def new_recovery_codes(hasher: PasswordHasher) -> list[tuple[str, str]]:
    """Ten new codes: (as shown, "abcde-fghjk"; its hash). Hashed before any transaction."""
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
             for _ in range(RECOVERY_CODES)]
    return [(f"{code[:5]}-{code[5:]}", hasher.hash(code)) for code in codes]


def _store_recovery_codes(session: Session, user: User, codes: list[tuple[str, str]],
                          at: datetime) -> list[str]:
    """The new codes replace any the user had; the codes as shown, to show once."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.add_all(RecoveryCode(user_id=user.id, code_hash=code_hash, created_at=at)
                    for _, code_hash in codes)
    session.flush()
    return [shown for shown, _ in codes]


def _enrol(session: Session, user: User, secret: str, step: int | None, *, at: datetime,
           keyring: Keyring, codes: list[tuple[str, str]], actor: str,
           address: str | None) -> list[str]:
    user.totp_secret = keyring.seal_text(secret, _context(user.id))
    user.totp_pending = None
    user.totp_last_step = step
    user.totp_enrolled_at = at
    shown = _store_recovery_codes(session, user, codes, at)
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
    codes = new_recovery_codes(hasher)
    with writers.begin() as session:
        user = session.get(User, user_id)
        secret = secret_of(user, keyring, pending=True) if user is not None else None
        if user is None or secret is None:
            return CodeCheck(None), []
        shown = _enrol(session, user, secret, matching_step(secret, code, at), at=at,
                       keyring=keyring, codes=codes, actor=user.name, address=address)
    return CodeCheck(user, method="code"), shown


def check_code(writers: sessionmaker[Session], user_id: int, code: str, *, at: datetime,
               address: str, keyring: Keyring,
               hasher: PasswordHasher = DEFAULT_HASHER) -> CodeCheck:
    """The sign-in's second step: a TOTP code, or one of the user's recovery codes."""
    recovery = _normalise_recovery(code)
    state: dict[str, int] = {}

    def verify(user: User) -> tuple[bool, str | None]:
        if len(recovery) == RECOVERY_LENGTH and not recovery.isdigit():
            found = _matching_recovery_code(writers, user.id, recovery, hasher)
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


def _matching_recovery_code(writers: sessionmaker[Session], user_id: int, code: str,
                            hasher: PasswordHasher) -> int | None:
    with writers() as session:
        unused = session.execute(select(RecoveryCode.id, RecoveryCode.code_hash).where(
            RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))).all()
    for ident, code_hash in unused:  # the hashing happens outside any transaction
        try:
            if hasher.verify(code_hash, code):
                return int(ident)
        except (VerificationError, InvalidHashError):
            continue
    return None


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
    codes = _enrol(session, user, secret, None, at=at, keyring=keyring,
                   codes=new_recovery_codes(hasher), actor=audit.COMMAND_LINE, address=None)
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


def recovery_codes_left(session: Session, user_id: int) -> int:
    return len(session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))).all())


def renew_recovery_codes(session: Session, user_id: int, *, at: datetime,
                         codes: list[tuple[str, str]], address: str | None) -> list[str]:
    """New recovery codes for an enrolled user (the old ones stop working); `codes` from
    new_recovery_codes(), made before the transaction."""
    user = session.get(User, user_id)
    if user is None or not enrolled(user):
        raise AccountError("not_enrolled", "set up the second factor first")
    shown = _store_recovery_codes(session, user, codes, at)
    audit.recovery_codes_renewed(session, at=at, name=user.name, address=address)
    return shown


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
                    secret = keyring.open_text(sealed, _context(user.id))
                except UnreadableSecret:
                    continue
                setattr(user, column, keyring.seal_text(secret, _context(user.id)))
                moved += 1
    return moved

