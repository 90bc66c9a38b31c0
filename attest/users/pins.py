"""The signing PIN: the secret a person who signs in through an identity provider chooses
for their signing key (attest never sees their password there). Checked for length and for
the patterns anyone would try first."""

from __future__ import annotations

from flask import current_app

from attest.errors import Invalid
from attest.i18n import _l

# Patterns people choose first; a PIN of them is the first thing a thief tries.
_WELL_KNOWN = {"123123", "121212", "112233", "123321", "147258", "159753", "696969", "qwerty"}


def _run(text: str) -> bool:
    """A run of consecutive characters up or down (123456, 987654, abcdef)."""
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:])}
    return steps in ({1}, {-1})


def check_pin(pin: str) -> None:
    """Invalid (with why, in Swedish) unless the PIN is long enough and not trivial."""
    minimum = current_app.config["SIGNING_PIN_MIN_LENGTH"]
    if len(pin) < minimum:
        raise Invalid(_l("Signerings-PIN måste ha minst %(n)d tecken.", n=minimum))
    if len(pin) > 128:
        raise Invalid(_l("Signerings-PIN får ha högst 128 tecken."))
    lowered = pin.lower()
    if len(set(lowered)) <= 2 or _run(lowered) or any(w in lowered for w in _WELL_KNOWN):
        raise Invalid(
            _l(
                "Den signerings-PIN är för lätt att gissa (upprepade tecken eller en följd). "
                "Välj en annan."
            )
        )
    half = len(lowered) // 2
    if len(lowered) % 2 == 0 and lowered[:half] == lowered[half:]:
        raise Invalid(
            _l("Den signerings-PIN är för lätt att gissa (samma del två gånger). Välj en annan.")
        )
