"""The password rules (ASVS 6.2): length, the common and breached passwords that zxcvbn
ships (read from the package, no network), the person's own name and username, and
zxcvbn's estimate; each refusal says why in Swedish."""

from __future__ import annotations

import pytest

from attest.errors import Invalid
from attest.users.passwords import check_strength

JENNY = {"username": "jenny", "full_name": "Jenny Johansson"}


@pytest.mark.parametrize(
    "password, why",
    [
        ("kort", "minst 12 tecken"),
        ("password1234", "vanligaste lösenorden"),
        ("Password1234", "vanligaste lösenorden"),
        ("qwertyuiop123", "vanligaste lösenorden"),
        ("aaaaaaaaaaaa", "upprepningar"),
        ("sommarsommar", "upprepningar"),
        ("abcdefghijkl", "en följd"),
        ("123456789012", "vanligaste lösenorden"),
        ("jennyjohansson12", "ditt namn eller ditt användarnamn"),
        ("Johansson-2024!", "ditt namn eller ditt användarnamn"),
        ("x" * 1025, "för långt"),
    ],
)
def test_the_rules_and_why_in_swedish(app_context, password, why):
    with pytest.raises(Invalid) as refused:
        check_strength(password, **JENNY)
    assert why in refused.value.message


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery",
        "ett helt nytt lösenord",
        "sjöbod under regnmoln",
        "Tr4d-gård!Vinter",
    ],
)
def test_long_unrelated_words_pass(app_context, password):
    check_strength(password, **JENNY)


def test_the_list_is_the_packages_own(app_context):
    from zxcvbn.matching import RANKED_DICTIONARIES

    assert len(RANKED_DICTIONARIES["passwords"]) >= 30_000
    assert "password1234" in RANKED_DICTIONARIES["passwords"]
