"""The built-in roles. Roles are data (table ``roles``): an organisation's route may name
a role added later, such as ekonomichef; these are the ones the code itself relies on."""

from __future__ import annotations

from typing import Any

from attest.catalogue import N_

HANDLAGGARE = "handlaggare"
AVDELNINGSCHEF = "avdelningschef"
STADSDELSDIREKTOR = "stadsdelsdirektor"
REGISTRATOR = "registrator"
ADMINISTRATOR = "administrator"

# code -> title as shown (Swedish). Seeded by the first migration and by ensure_builtin_roles.
BUILTIN_ROLES: dict[str, str] = {
    HANDLAGGARE: N_("Handläggare"),
    AVDELNINGSCHEF: N_("Avdelningschef"),
    STADSDELSDIREKTOR: N_("Stadsdelsdirektör"),
    REGISTRATOR: N_("Registrator"),
    ADMINISTRATOR: N_("Administratör"),
}


def normalise_role_code(text: str) -> str:
    """'Stadsdelsdirektör' or 'stadsdelsdirektor' -> 'stadsdelsdirektor'."""
    folded = text.strip().lower()
    for swedish, ascii_ in (("å", "a"), ("ä", "a"), ("ö", "o"), ("é", "e")):
        folded = folded.replace(swedish, ascii_)
    return folded


# Roles that never attest: a personal certificate lists the titles of the other roles, and
# a route names only those.
NOT_ATTESTING: frozenset[str] = frozenset({HANDLAGGARE, REGISTRATOR, ADMINISTRATOR})


def shown_title(title: str) -> Any:
    """A role's title as the reader reads it: the built-in titles are in the catalogue,
    a title an organisation gave its own role (or renamed one to) is shown as written."""
    from attest.i18n import _l

    return _l(title) if title in _BUILTIN_TITLES else title


_BUILTIN_TITLES = frozenset(BUILTIN_ROLES.values())
