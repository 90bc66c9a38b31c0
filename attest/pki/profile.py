"""What a personal certificate of attest says, written and read in one place.

A person's certificate names them (CN), their organisation (O), their stable person
identifier (serialNumber, ``attest:<uuid>``, never reused) and one ``title`` per role they
hold for attesting ("Avdelningschef"). An acting substitute's (t.f.) certificate has the
title "t.f. <Role>" and a private extension (attest.pki.oids.ACTING_FOR) naming the role
and, when the substitution is for one person, that person's identifier; its validity is
the substitution's period. The verifier reads authority from these and from nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from asn1crypto import core
from cryptography import x509
from cryptography.x509.oid import NameOID

from attest.pki import oids

__all__ = [
    "ACTING_PREFIX",
    "ActingFor",
    "PERSON_ID_PREFIX",
    "PersonCertificate",
    "acting_extension",
    "acting_title",
    "person_name",
    "person_serial",
    "read_person",
    "row_text",
]

COUNTRY = "SE"
PERSON_ID_PREFIX = "attest:"
ACTING_PREFIX = "t.f. "
ACTING_FOR_OID = x509.ObjectIdentifier(oids.ACTING_FOR)


class _ActingForValue(core.Sequence):
    """ActingFor ::= SEQUENCE { forPerson [0] UTF8String OPTIONAL, roleCode UTF8String }"""

    _fields = [
        ("for_person", core.UTF8String, {"implicit": 0, "optional": True}),
        ("role_code", core.UTF8String),
    ]


@dataclass(frozen=True)
class ActingFor:
    """Whom a t.f. certificate stands in for: a person (their identifier), or "" for anyone
    holding the role, and the role's code."""

    person: str
    role_code: str


@dataclass(frozen=True)
class PersonCertificate:
    """A personal certificate as attest reads it."""

    name: str  # CN
    organisation: str  # O
    person: str  # serialNumber ("attest:<uuid>"); "" in certificates made before it existed
    titles: tuple[str, ...]  # every title attribute, in the order written
    acting: ActingFor | None  # set in a t.f. certificate

    def title_for(self, role_title: str) -> str | None:
        """The title this certificate gives its holder for a role, or None.

        A role certificate must list the role's title; a t.f. certificate only its "t.f."
        title, and only for the role its extension names (checked by the caller).
        """
        wanted = acting_title(role_title) if self.acting else role_title
        return wanted if wanted in self.titles else None


def person_serial(person_id: str) -> str:
    """The serialNumber attribute for a person identifier (a UUID)."""
    return f"{PERSON_ID_PREFIX}{person_id}"


def acting_title(role_title: str) -> str:
    """The title of an acting substitute: "t.f. Avdelningschef"."""
    return f"{ACTING_PREFIX}{role_title}"


def row_text(name: str, title: str) -> str:
    """What a row of "Attesterat av" shows in its name column: "Namn, Titel"."""
    return f"{name}, {title}"


def person_name(
    full_name: str, organisation: str, person_id: str, titles: Sequence[str]
) -> x509.Name:
    """The subject of a personal certificate."""
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, COUNTRY)]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    if person_id:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, person_serial(person_id)))
    for title in titles:
        attributes.append(x509.NameAttribute(NameOID.TITLE, title))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, full_name))
    return x509.Name(attributes)


def acting_extension(acting: ActingFor) -> x509.UnrecognizedExtension:
    """The private extension of a t.f. certificate (DER made by asn1crypto)."""
    value = _ActingForValue({"role_code": acting.role_code})
    if acting.person:
        value["for_person"] = acting.person
    return x509.UnrecognizedExtension(ACTING_FOR_OID, value.dump())


def _first(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def _read_acting(cert: x509.Certificate) -> ActingFor | None:
    try:
        extension = cert.extensions.get_extension_for_oid(ACTING_FOR_OID)
    except x509.ExtensionNotFound:
        return None
    value = extension.value
    if not isinstance(value, x509.UnrecognizedExtension):  # pragma: no cover - private OID
        return None
    try:
        parsed = _ActingForValue.load(value.value)
        native = parsed.native
    except (ValueError, TypeError):
        # An unreadable extension grants nothing; the certificate reads as acting for no one.
        return ActingFor(person="\x00", role_code="")
    return ActingFor(person=native["for_person"] or "", role_code=native["role_code"] or "")


def read_person(cert: x509.Certificate) -> PersonCertificate:
    """The person, organisation, identifier, titles and t.f. grant a certificate states."""
    subject = cert.subject
    titles = tuple(str(a.value) for a in subject.get_attributes_for_oid(NameOID.TITLE))
    return PersonCertificate(
        name=_first(subject, NameOID.COMMON_NAME),
        organisation=_first(subject, NameOID.ORGANIZATION_NAME),
        person=_first(subject, NameOID.SERIAL_NUMBER),
        titles=titles,
        acting=_read_acting(cert),
    )
