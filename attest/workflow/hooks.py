"""What the engine asks of the signature code: freeze, attest a step, finish.

The engine calls these at fixed points and stores what they return. Without cryptography
(``RecordOnlyHooks``) a step is recorded and the PDF passes through unchanged; the
signature code registers its own implementation under ``app.extensions["attest.hooks"]``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from flask import current_app

from attest.errors import AttestError
from attest.i18n import _l
from attest.pdf import RenderedMemo
from attest.pki.profile import acting_title
from attest.signing.fields import step_field_name

log = logging.getLogger(__name__)


class PasswordRejected(AttestError):
    """The attester's password did not unlock their key: nothing was signed."""

    status = 400

    def __init__(self) -> None:
        super().__init__(_l("Fel lösenord. Inget har signerats; försök igen."))


@dataclass(frozen=True)
class PlannedRow:
    """One row of the route as it is sent: sealed into the frozen PDF by the signing code."""

    field_name: str  # attest-steg-N
    role_code: str
    role_title: str
    person_name: str  # the person picked for the step
    person_id: str  # their stable person identifier (a UUID)
    substitute_ids: tuple[str, ...] = ()  # t.f. for the step registered when it is sent
    signservice_id: str = ""  # set when the person signs through the signature service


@dataclass(frozen=True)
class StepSignature:
    """What an attested step adds to the record."""

    pdf: bytes  # the document after this attestation
    title: str  # the title the row shows ("Avdelningschef", "t.f. Avdelningschef")
    certificate_sha256: str | None = None  # None only when nothing was signed
    timestamp_at: dt.datetime | None = None  # from the RFC 3161 token
    tsa: str | None = None  # which timestamp authority answered


class SigningHooks(Protocol):
    def freeze(
        self,
        rendered: RenderedMemo,
        *,
        organisation_id: int,
        dnr: str,
        version_number: int,
        rows: list[PlannedRow],
    ) -> bytes:
        """The bytes every attester will see and sign, with the route sealed into them."""

    def attest(
        self,
        pdf: bytes,
        *,
        field_name: str,
        signer: Any,
        role_code: str,
        role_title: str,
        substitution: Any,
        moment: dt.datetime,
        password: str | None,
        remote: Any = None,
    ) -> StepSignature:
        """Sign the step's field (as t.f. when ``substitution`` is the registered one that
        allows it); raise an AttestError (e.g. wrong password) to refuse. ``remote`` is a
        signature made elsewhere (attest.signservice.operations.RemoteSignature) to embed
        instead of signing with the person's key."""

    def finish(self, pdf: bytes, *, organisation_id: int) -> bytes:
        """Seal the fully attested document (validation data, document timestamp)."""


class RecordOnlyHooks:
    """Records attestations without signing: for a deployment without keys, and tests."""

    def freeze(self, rendered: RenderedMemo, **_: Any) -> bytes:
        return rendered.pdf

    def attest(self, pdf, *, role_title, substitution, **_: Any) -> StepSignature:
        return StepSignature(pdf=pdf, title=row_title(role_title, acting=substitution is not None))

    def finish(self, pdf: bytes, *, organisation_id: int) -> bytes:
        return pdf


def hooks() -> SigningHooks:
    """The app's hooks: PAdES signatures, or (SIGNING = "record-only") none."""
    found = current_app.extensions.get("attest.hooks")
    if found is None:
        if current_app.config["SIGNING"] == "pades":
            from attest.attestation.hooks import PadesHooks

            found = PadesHooks()
        else:
            found = RecordOnlyHooks()
        current_app.extensions["attest.hooks"] = found
    return found


def warn_if_not_signing(app) -> None:
    if app.config["SIGNING"] != "pades":
        log.warning(
            "SIGNING=%s: attestations are RECORDED WITHOUT SIGNATURES. "
            "Never run a real organisation like this.",
            app.config["SIGNING"],
        )


def field_name(position: int) -> str:
    """The PDF signature field of a route step (position 1-based)."""
    return step_field_name(position - 1)


def row_title(role_title: str, *, acting: bool) -> str:
    """The title a row shows: the role's, or "t.f. <Role>" for an acting substitute."""
    return acting_title(role_title) if acting else role_title
