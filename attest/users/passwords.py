"""Password hashing with argon2id (argon2-cffi); cost from the configuration."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from attest.errors import Invalid
from attest.i18n import _l


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


# zxcvbn's estimate must reach this score (0-4): 3 is "safely unguessable" (at least 10^8
# guesses), which a long password of unrelated words easily is, and "Sommar2024" is not.
MIN_SCORE = 3
MAX_LENGTH = 1024
# zxcvbn's matching grows with the length; the first characters decide how guessable it is.
_ESTIMATED_LENGTH = 100

COMMON = _l(
    "Lösenordet finns bland de vanligaste lösenorden och i listor över läckta lösenord, som "
    "är det första en angripare provar. Välj ett annat."
)
PERSONAL = _l("Lösenordet får inte innehålla ditt namn eller ditt användarnamn.")
REPEATED = _l("Lösenordet består av upprepningar (som aaaa eller abcabc) och är lätt att gissa.")
SEQUENCE = _l("Lösenordet är en följd (som abcd, 1234 eller qwerty) och är lätt att gissa.")
GUESSABLE = _l(
    "Lösenordet är för lätt att gissa. Använd till exempel tre eller fyra ord som inte hör "
    "ihop, eller fler tecken."
)


def _name_parts(*texts: str) -> list[str]:
    parts = []
    for text in texts:
        folded = text.casefold()
        parts.append(folded)
        parts += [p for p in folded.replace("-", " ").replace(".", " ").split() if len(p) >= 3]
    return [p for p in parts if len(p) >= 3]


def check_strength(password: str, *, username: str = "", full_name: str = "") -> None:
    """Refuse a password that is short, common or breached, or guessable from the person's
    own name or username (ASVS 6.2), saying why in Swedish.

    The list of common and breached passwords (30 000, from real leaks) and the estimate
    come with zxcvbn, read from the installed package: nothing is looked up on a network.
    """
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise Invalid(_l("Lösenordet måste ha minst %(n)d tecken.", n=minimum))
    if len(password) > MAX_LENGTH:
        raise Invalid(_l("Lösenordet är för långt."))
    from zxcvbn import zxcvbn
    from zxcvbn.matching import RANKED_DICTIONARIES

    folded = password.casefold()
    common = RANKED_DICTIONARIES["passwords"]
    if folded in common or folded.strip() in common or folded.replace(" ", "") in common:
        raise Invalid(COMMON)
    personal = _name_parts(username, full_name)
    if any(part in folded for part in personal):
        raise Invalid(PERSONAL)
    estimate = zxcvbn(
        password[:_ESTIMATED_LENGTH], user_inputs=personal, max_length=_ESTIMATED_LENGTH
    )
    if estimate["score"] >= MIN_SCORE:
        return
    patterns = {match["pattern"] for match in estimate["sequence"]}
    dictionaries = {match.get("dictionary_name") for match in estimate["sequence"]}
    if "user_inputs" in dictionaries:
        raise Invalid(PERSONAL)
    if "passwords" in dictionaries:
        raise Invalid(COMMON)
    if "repeat" in patterns:
        raise Invalid(REPEATED)
    if patterns & {"sequence", "spatial"}:
        raise Invalid(SEQUENCE)
    raise Invalid(GUESSABLE)


def hash_password(password: str) -> str:
    """The argon2id hash; the caller has checked the password (check_strength)."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:  # invited, or reset: no password yet
        burn_time(password)
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_time(password: str) -> None:
    """Spend the time of one verification, so an unknown user answers as slowly as a known."""
    _hasher().hash(password or "x")
