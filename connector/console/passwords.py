"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from connector.errors import PermanentError

MIN_LENGTH = 10
MAX_LENGTH = 200
_HASHER = PasswordHasher()
# A hash to verify against when the account does not exist, so a wrong name and a wrong
# password take the same time.
_DUMMY = _HASHER.hash("no such account: compare anyway")


def check_strength(password: str) -> None:
    """Refuse passwords that are too short or too long (with a message for the person)."""
    if len(password) < MIN_LENGTH:
        raise PermanentError(
            f"the password needs at least {MIN_LENGTH} characters", code="password_weak"
        )
    if len(password) > MAX_LENGTH:
        raise PermanentError(
            f"the password may have at most {MAX_LENGTH} characters", code="password_weak"
        )


def hash_password(password: str) -> str:
    """The argon2id hash to store (checks strength first)."""
    check_strength(password)
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; a missing account still costs one verification."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY, password[:MAX_LENGTH]) and bool(stored_hash)
    except (VerificationError, InvalidHashError):
        return False
