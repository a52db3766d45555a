"""The second factor's ten one-time recovery codes, for a user without their phone.

Hashed with Argon2id like passwords rather than with a keyed hash: no second key to
keep, rotate and back up, and checking a code against ten hashes costs about what one
sign-in costs. Each code is 50 random bits, shown once and used at most once. Hashing
happens outside any transaction (the codes are made, or the hashes read, before).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from console.accounts import AccountError
from db import audit
from db.user_models import RecoveryCode, User

RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_LENGTH = 10      # 10 of 31 symbols: about 50 bits each


def looks_like_one(code: str) -> bool:
    """A recovery code, not a six-digit TOTP code, was typed."""
    typed = normalise(code)
    return len(typed) == RECOVERY_LENGTH and not typed.isdigit()


def normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def new(hasher: PasswordHasher) -> list[tuple[str, str]]:
    """Ten new codes: (as shown, "abcde-fghjk"; its hash). Hashed before any transaction."""
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
             for _ in range(RECOVERY_CODES)]
    return [(f"{code[:5]}-{code[5:]}", hasher.hash(code)) for code in codes]


def store(session: Session, user: User, codes: list[tuple[str, str]],
                          at: datetime) -> list[str]:
    """The new codes replace any the user had; the codes as shown, to show once."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.add_all(RecoveryCode(user_id=user.id, code_hash=code_hash, created_at=at)
                    for _, code_hash in codes)
    session.flush()
    return [shown for shown, _ in codes]


def matching(writers: sessionmaker[Session], user_id: int, code: str,
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


def left(session: Session, user_id: int) -> int:
    return len(session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))).all())


def renew(session: Session, user_id: int, *, at: datetime,
                         codes: list[tuple[str, str]], address: str | None) -> list[str]:
    """New recovery codes for an enrolled user (the old ones stop working); `codes` from
    new_recovery_codes(), made before the transaction."""
    user = session.get(User, user_id)
    if user is None or user.totp_secret is None:
        raise AccountError("not_enrolled", "set up the second factor first")
    shown = store(session, user, codes, at)
    audit.recovery_codes_renewed(session, at=at, name=user.name, address=address)
    return shown
