"""The built-in roles. Roles are data (table ``roles``): an organisation's route may name
a role added later, such as ekonomichef; these are the ones the code itself relies on."""

from __future__ import annotations

HANDLAGGARE = "handlaggare"
AVDELNINGSCHEF = "avdelningschef"
STADSDELSDIREKTOR = "stadsdelsdirektor"
REGISTRATOR = "registrator"
ADMINISTRATOR = "administrator"

# code -> title as shown (Swedish). Seeded by the first migration and by ensure_builtin_roles.
BUILTIN_ROLES: dict[str, str] = {
    HANDLAGGARE: "Handläggare",
    AVDELNINGSCHEF: "Avdelningschef",
    STADSDELSDIREKTOR: "Stadsdelsdirektör",
    REGISTRATOR: "Registrator",
    ADMINISTRATOR: "Administratör",
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
