"""The planned route, sealed into the frozen PDF: who is to attest each row, by what role.

At freeze, before the certification seal, the catalog gets ``/AttestRoute``: a stream of
canonical UTF-8 JSON (sorted keys, no spaces) naming the organisation (with its CA
certificate's SHA-256), the Dnr and version, and per row of "Attesterat av" its signature
field, the step's role (code and title) and the expected attester (name, the title the row
shows, person identifier), and the t.f. substitutes registered for the step when it was
sent. The seal's certification covers it; the verifier reads it from that revision only.

``version`` names the format and also the row rendering: a verifier keeps every version's
renderer (attest.signing.rows) so that old memos stay verifiable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ROUTE_KEY",
    "ROUTE_MAX_BYTES",
    "ROUTE_VERSION",
    "RouteError",
    "RouteRow",
    "SealedRoute",
    "parse_route",
    "route_json",
]

ROUTE_KEY = "/AttestRoute"
ROUTE_VERSION = 1
# A route of 50 steps with long names is a few tens of kilobytes; more is not a route.
ROUTE_MAX_BYTES = 256 * 1024


class RouteError(ValueError):
    """The sealed route cannot be read as attest's route."""


@dataclass(frozen=True)
class RouteRow:
    """One row of "Attesterat av": the step's role and the person expected to attest it."""

    field: str  # attest-steg-N
    role_code: str
    role_title: str
    name: str  # the expected attester, as the certificate names them
    title: str  # the title their row shows: the role's title
    person: str  # their certificate's serialNumber, "attest:<uuid>"
    substitutes: tuple[str, ...] = ()  # t.f. registered when sent (person identifiers)
    # The person signs through the signature service: its CA (hex SHA-256 of the DER) may
    # issue this row's certificate, which must name them by this identifier (serialNumber,
    # e.g. a personnummer). Empty for a personal key of the organisation's CA.
    service_ca: str = ""
    service_person: str = ""


@dataclass(frozen=True)
class SealedRoute:
    """What the certification seal fixes about who may attest the version."""

    organisation_name: str
    organisation_code: str
    ca_sha256: str  # hex SHA-256 of the organisation's CA certificate (DER)
    dnr: str
    version_number: int
    rows: tuple[RouteRow, ...]
    version: int = ROUTE_VERSION


def _row_json(row: RouteRow) -> dict[str, Any]:
    attester: dict[str, Any] = {"name": row.name, "title": row.title, "person": row.person}
    if row.service_ca:  # only then: a route without one keeps its bytes
        attester["signservice"] = {"ca_sha256": row.service_ca, "person": row.service_person}
    return {
        "field": row.field,
        "role": {"code": row.role_code, "title": row.role_title},
        "attester": attester,
        "substitutes": list(row.substitutes),
    }


def route_json(route: SealedRoute) -> bytes:
    """The route as canonical UTF-8 JSON: the same route always gives the same bytes."""
    document = {
        "version": route.version,
        "organisation": {
            "name": route.organisation_name,
            "code": route.organisation_code,
            "ca_sha256": route.ca_sha256,
        },
        "dnr": route.dnr,
        "version_number": route.version_number,
        "rows": [_row_json(row) for row in route.rows],
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise RouteError(f"{what} is missing or not text")
    return value


def parse_route(data: bytes) -> SealedRoute:
    """The route from its JSON; RouteError for anything attest does not write."""
    if len(data) > ROUTE_MAX_BYTES:
        raise RouteError("the route is unreasonably large")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RouteError("the route is not JSON") from exc
    if not isinstance(document, dict):
        raise RouteError("the route is not a JSON object")
    if document.get("version") != ROUTE_VERSION:
        raise RouteError(f"unknown route version {document.get('version')!r}")
    organisation = document.get("organisation")
    rows = document.get("rows")
    number = document.get("version_number")
    if not isinstance(organisation, dict) or not isinstance(rows, list) or not rows:
        raise RouteError("the route has no organisation or no rows")
    if not isinstance(number, int) or isinstance(number, bool):
        raise RouteError("the route has no version number")
    parsed = []
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise RouteError(f"row {index} of the route is malformed")
        role, attester = row.get("role"), row.get("attester")
        substitutes = row.get("substitutes", [])
        if not isinstance(role, dict) or not isinstance(attester, dict):
            raise RouteError(f"row {index} of the route has no role or no attester")
        if not isinstance(substitutes, list):
            raise RouteError(f"row {index} of the route has malformed substitutes")
        service = attester.get("signservice", {})
        if not isinstance(service, dict):
            raise RouteError(f"row {index} of the route has a malformed signature service")
        parsed.append(
            RouteRow(
                field=_text(row.get("field"), "field"),
                role_code=_text(role.get("code"), "role code"),
                role_title=_text(role.get("title"), "role title"),
                name=_text(attester.get("name"), "name"),
                title=_text(attester.get("title"), "title"),
                person=_text(attester.get("person"), "person"),
                substitutes=tuple(_text(s, "substitute") for s in substitutes),
                service_ca=_text(service.get("ca_sha256", ""), "service CA"),
                service_person=_text(service.get("person", ""), "service person"),
            )
        )
    fields = [row.field for row in parsed]
    if len(set(fields)) != len(fields):
        raise RouteError("the route names a field twice")
    return SealedRoute(
        organisation_name=_text(organisation.get("name"), "organisation name"),
        organisation_code=_text(organisation.get("code"), "organisation code"),
        ca_sha256=_text(organisation.get("ca_sha256"), "CA fingerprint"),
        dnr=_text(document.get("dnr"), "dnr"),
        version_number=number,
        rows=tuple(parsed),
    )
