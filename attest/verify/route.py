"""The sealed route and the authority of each row: who was to attest, and who did.

The route is read from the revision the certification seal signed, never a later one. Each
row's signer must be the person the route names for it, with a certificate that gives them
the step's title; or an acting substitute whose t.f. certificate names that role and that
person (or the role for anyone). The row must show exactly attest's rendering of the
certificate. A memo frozen before routes were sealed cannot answer these questions: for
it they are "not checked", and the verdict at best "Kan inte avgöras".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from attest.pki.ca import certificate_name
from attest.signing.fields import STEP_FIELD_PREFIX
from attest.signing.route import (
    ROUTE_KEY,
    ROUTE_MAX_BYTES,
    RouteError,
    RouteRow,
    SealedRoute,
    parse_route,
)
from attest.signing.sign import CERTIFICATION_FIELD
from attest.signing.validate import SignatureReport
from attest.verify.appearance import compare_row
from attest.verify.checks import CLAIM_TOLERANCE, Verification, who
from attest.verify.document import ARCHIVE_FIELD, STEP_FIELD, position
from attest.verify.facts import Signature, describe
from attest.verify.report import format_time
from attest.verify.result import FAILED, NOT_CHECKED, OK, Attestation
from attest.verify.trust import fingerprint, issuer_in

# A certificate without the row's title is compared with at most this many of its titles.
MAX_TITLES = 8

__all__ = [
    "RouteReading",
    "attestation",
    "check_authority",
    "check_route_order",
    "check_route_sealed",
    "read_sealed_route",
]


@dataclass(frozen=True)
class RouteReading:
    """The route as the certified revision holds it: absent (older format), or read."""

    present: bool
    route: SealedRoute | None = None
    error: str = ""


def read_sealed_route(reader: PdfFileReader, certification: Signature) -> RouteReading:
    """The route in the catalog of the revision the certification seal signed."""
    try:
        historical = reader.get_historical_resolver(certification.revision)
        root = historical.root
        if ROUTE_KEY not in root:
            return RouteReading(False)
        stream = root.raw_get(ROUTE_KEY)
        stream = (
            historical(stream.reference) if isinstance(stream, generic.IndirectObject) else stream
        )
        if not isinstance(stream, generic.StreamObject):
            raise RouteError("the route is not a stream")
        if len(stream.encoded_data) > ROUTE_MAX_BYTES:
            raise RouteError("the route is unreasonably large")
        return RouteReading(True, parse_route(stream.data))
    except Exception as exc:  # a route that cannot be read is a finding
        return RouteReading(True, None, describe(exc))


def check_route_sealed(v: Verification, reading: RouteReading | None) -> SealedRoute | None:
    """route_sealed: the route is in the certified revision, readable, and names the CA
    that issued the certification seal. The route, when it may be relied on."""
    add = v.findings.add
    if reading is None:
        add("route_sealed", NOT_CHECKED, "route_sealed.not_certified")
        return None
    if not reading.present:
        add("route_sealed", NOT_CHECKED, "route_sealed.older_format")
        v.findings.undecided = True
        return None
    route = reading.route
    if route is None:
        add("route_sealed", FAILED, "route_sealed.unreadable", detail=reading.error)
        return None
    if v.organisation_ca is None:
        add(
            "route_sealed",
            NOT_CHECKED,
            "route_sealed.unknown_organisation",
            organisation=route.organisation_name,
            org_code=route.organisation_code,
        )
        return None
    if route.ca_sha256.lower() != fingerprint(v.organisation_ca):
        add(
            "route_sealed",
            FAILED,
            "route_sealed.other_ca",
            organisation=route.organisation_name,
            ca=certificate_name(v.organisation_ca)[0],
        )
        return None
    add(
        "route_sealed",
        OK,
        "route_sealed.ok",
        count=len(route.rows),
        organisation=route.organisation_name,
        org_code=route.organisation_code,
        dnr=route.dnr,
        version=route.version_number,
    )
    return route


def _row_of(route: SealedRoute | None, field: str) -> RouteRow | None:
    if route is None:
        return None
    return next((row for row in route.rows if row.field == field), None)


def _moments(v: Verification, sig: Signature, facts: SignatureReport | None) -> list[dt.datetime]:
    """The times whose day a row may show: the timestamp's, and the signer's claim when it
    is within the tolerance of the timestamp."""
    stamped = v.signed_at(sig, facts)
    moments = [stamped] if stamped is not None else []
    claimed = sig.claimed_time
    if claimed is not None and (stamped is None or abs(claimed - stamped) <= CLAIM_TOLERANCE):
        moments.append(claimed)
    return moments


def check_authority(
    v: Verification,
    route: SealedRoute | None,
    sealed: bool,
    facts: dict[str, SignatureReport | None],
) -> None:
    """authority and appearance, for every signed row."""
    add = v.findings.add
    for sig in v.attestation_signatures():
        field = sig.field_name
        if not sealed:
            add("authority", NOT_CHECKED, "authority.older_format", field, field=field)
            add("appearance", NOT_CHECKED, "appearance.older_format", field, field=field)
            continue
        row = _row_of(route, field)
        person = sig.person
        if route is None or person is None:
            add("authority", NOT_CHECKED, "authority.no_route", field, field=field)
            add("appearance", NOT_CHECKED, "appearance.no_route", field, field=field)
            continue
        signer = who(sig.cert, field)
        if row is None:
            add("authority", FAILED, "authority.not_in_route", field, field=field, who=signer)
            add("appearance", NOT_CHECKED, "appearance.no_route", field, field=field)
            continue
        if _service_row(v, sig, row):
            _check_service_row(v, sig, row, facts.get(field))
            continue
        expected = f"{row.name} ({row.person or '–'})"
        title = person.title_for(row.role_title)
        if not person.person:
            add("authority", FAILED, "authority.no_person", field, field=field, who=signer)
        elif person.acting is None:
            if person.person != row.person:
                add(
                    "authority",
                    FAILED,
                    "authority.other_person",
                    field,
                    field=field,
                    who=f"{person.name} ({person.person})",
                    expected=expected,
                    role=row.role_title,
                )
            elif title is None:
                add(
                    "authority",
                    FAILED,
                    "authority.no_title",
                    field,
                    field=field,
                    who=signer,
                    role=row.role_title,
                )
            else:
                add(
                    "authority",
                    OK,
                    "authority.ok",
                    field,
                    field=field,
                    who=person.name,
                    person=person.person,
                    role=row.role_title,
                )
        else:
            acting = person.acting
            if acting.role_code != row.role_code or title is None:
                add(
                    "authority",
                    FAILED,
                    "authority.acting_other_role",
                    field,
                    field=field,
                    who=person.name,
                    role=row.role_title,
                    titles=", ".join(person.titles) or "–",
                )
            elif acting.person not in ("", row.person):
                add(
                    "authority",
                    FAILED,
                    "authority.acting_other_person",
                    field,
                    field=field,
                    who=person.name,
                    expected=expected,
                    role=row.role_title,
                )
            else:
                assert sig.cert is not None
                add(
                    "authority",
                    OK,
                    "authority.acting_ok",
                    field,
                    field=field,
                    who=person.name,
                    expected=row.name,
                    role=row.role_title,
                    not_before=format_time(sig.cert.not_valid_before_utc),
                    not_after=format_time(sig.cert.not_valid_after_utc),
                )
        _check_appearance(v, sig, facts.get(field), person.name, title, person.titles)


def _service_row(v: Verification, sig: Signature, row: RouteRow) -> bool:
    """A row the route lets the signature service sign, signed by a certificate of its CA."""
    if not row.service_ca or sig.cert is None:
        return False
    issuer = issuer_in(sig.cert, v.trust)
    return issuer is not None and fingerprint(issuer) == row.service_ca


def _check_service_row(
    v: Verification, sig: Signature, row: RouteRow, facts: SignatureReport | None
) -> None:
    """authority and appearance for a signature service's certificate: it names the person
    by the identifier the sealed route binds to the row (its serialNumber, ELN-0604); the
    role and title are the route's, which the organisation sealed."""
    add, field = v.findings.add, sig.field_name
    assert sig.cert is not None and sig.person is not None
    named = sig.person.person
    issuer = issuer_in(sig.cert, v.trust)
    if named and named == row.service_person:
        add(
            "authority",
            OK,
            "authority.service_ok",
            field,
            field=field,
            who=sig.person.name,
            person=named,
            role=row.role_title,
            ca=certificate_name(issuer)[0] if issuer is not None else "?",
        )
    else:
        add(
            "authority",
            FAILED,
            "authority.service_other_person",
            field,
            field=field,
            who=f"{sig.person.name} ({named or '–'})",
            expected=f"{row.name} ({row.service_person})",
            role=row.role_title,
        )
    _check_appearance(v, sig, facts, row.name, row.title, ())


def _check_appearance(
    v: Verification,
    sig: Signature,
    facts: SignatureReport | None,
    name: str,
    title: str | None,
    titles: tuple[str, ...],
) -> None:
    """appearance: the row is attest's rendering of the certificate. Its title is the one
    the certificate gives for the row's role; a certificate without one (the authority
    check fails) may still only show one of the titles it has."""
    add, field = v.findings.add, sig.field_name
    moments = _moments(v, sig, facts)
    candidates = (title,) if title is not None else titles[:MAX_TITLES]
    if not candidates or not moments:
        add("appearance", NOT_CHECKED, "appearance.no_title", field, field=field)
        return
    found = None
    for candidate in candidates:
        try:
            found = compare_row(
                v.document.reader, sig.revision, sig.field_ref, name, candidate, moments
            )
        except Exception as exc:  # a widget that cannot be read shows nothing attest drew
            detail = describe(exc)
            add("appearance", FAILED, "appearance.unreadable", field, field=field, detail=detail)
            return
        if found.matches or found.problem in ("absent", "too_large"):
            break
    assert found is not None
    if found.matches:
        add("appearance", OK, "appearance.ok", field, field=field, shown=found.expected)
    elif found.problem == "absent":
        add("appearance", FAILED, "appearance.absent", field, field=field, expected=found.expected)
    else:
        add(
            "appearance",
            FAILED,
            "appearance.different",
            field,
            field=field,
            expected=found.expected,
        )


def check_route_order(v: Verification) -> None:
    """route_order: rows signed in order, each by its own person, nothing but the table's
    fields signed besides the seals and archive timestamps."""
    from attest.signing.fields import CLOSING_SEAL_FIELD

    problems: list[tuple[str, str, dict[str, Any]]] = []
    steps = v.attestation_signatures()
    names = {name for name, _ in v.document.field_names}
    known = (CERTIFICATION_FIELD, CLOSING_SEAL_FIELD)
    for name in sorted(names):
        if not (name in known or STEP_FIELD.match(name) or ARCHIVE_FIELD.match(name)):
            problems.append(("route_order.extra_field", name, {"field": name}))
    for sig in v.document.signatures:
        if sig.is_approval and not (
            STEP_FIELD.match(sig.field_name) or sig.field_name == CLOSING_SEAL_FIELD
        ):
            name = sig.field_name
            problems.append(("route_order.unexpected_field", name, {"field": name}))
    positions = [position(s.field_name) for s in steps]
    for index, (sig, at) in enumerate(zip(steps, positions)):
        if at != index + 1 and not v.document.broken:
            earlier = f"{STEP_FIELD_PREFIX}{index + 1}"
            problems.append(
                ("route_order.order", sig.field_name, {"field": sig.field_name, "earlier": earlier})
            )
            break
    seen: dict[str, list[str]] = {}
    names_of: dict[str, str] = {}
    for sig in steps:
        person = sig.person
        if person is None:
            continue
        key = person.person or person.name
        names_of[key] = person.name
        seen.setdefault(key, []).append(sig.field_name)
    for key, fields in seen.items():
        if len(fields) > 1:
            problems.append(
                ("route_order.same_person", "", {"who": names_of[key], "fields": ", ".join(fields)})
            )
    if problems:
        v.findings.add_joined("route_order", problems)
    elif v.document.broken:
        v.findings.add("route_order", NOT_CHECKED, "route_order.broken")
    elif not steps:
        v.findings.add("route_order", NOT_CHECKED, "route_order.none")
    else:
        v.findings.add("route_order", OK, "route_order.ok", count=len(steps))


def attestation(
    sig: Signature, facts: SignatureReport | None, route: SealedRoute | None
) -> Attestation:
    """One row as the report names it: the certificate's person and the row's title."""
    person = sig.person
    row = _row_of(route, sig.field_name)
    name, title, organisation = certificate_name(sig.cert) if sig.cert else ("", "", "")
    acting_for = ""
    if person is not None and row is not None and row.service_ca:
        title = person.title_for(row.role_title) or row.title
    elif person is not None and row is not None:
        title = person.title_for(row.role_title) or title
        if person.acting is not None:
            acting_for = row.name
    elif person is not None and person.acting is not None and person.titles:
        title = person.titles[0]
    return Attestation(
        position=position(sig.field_name),
        field_name=sig.field_name,
        signer_name=name,
        title=title,
        organisation=organisation,
        signing_time=sig.claimed_time,
        timestamp_time=facts.timestamp_time if facts is not None else None,
        certificate_sha256=fingerprint(sig.cert) if sig.cert else "",
        person=person.person if person is not None else "",
        acting_for=acting_for,
    )
