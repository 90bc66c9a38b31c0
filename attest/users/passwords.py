"""Password hashing with argon2id (argon2-cffi); cost from the configuration."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from attest.errors import Invalid


def _hasher() -> PasswordHasher:
    hasher = current_app.extensions.get("attest.password_hasher")
    if hasher is None:
        config = current_app.config
        hasher = PasswordHasher(
            time_cost=config["ARGON2_TIME_COST"],
            memory_cost=config["ARGON2_MEMORY_COST"],
            parallelism=config["ARGON2_PARALLELISM"],
        )
        current_app.extensions["attest.password_hasher"] = hasher
    return hasher


def check_strength(password: str) -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise Invalid(f"Lösenordet måste ha minst {minimum} tecken.")
    if len(password) > 1024:
        raise Invalid("Lösenordet är för långt.")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_time(password: str) -> None:
    """Spend the time of one verification, so an unknown user answers as slowly as a known."""
    _hasher().hash(password or "x")
