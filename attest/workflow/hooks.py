"""What the engine asks of the signature code: freeze, attest a step, finish.

The engine calls these at fixed points and stores what they return. Without cryptography
(``RecordOnlyHooks``) a step is recorded and the PDF passes through unchanged; the
signature code registers its own implementation under ``app.extensions["attest.hooks"]``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Protocol

from flask import current_app

from attest.errors import AttestError
from attest.pdf import RenderedMemo

log = logging.getLogger(__name__)


class PasswordRejected(AttestError):
    """The attester's password did not unlock their key: nothing was signed."""

    status = 400

    def __init__(self) -> None:
        super().__init__("Fel lösenord. Inget har signerats; försök igen.")


@dataclass(frozen=True)
class StepSignature:
    """What an attested step adds to the record."""

    pdf: bytes  # the document after this attestation
    certificate_sha256: str | None = None  # None only when nothing was signed
    timestamp_at: dt.datetime | None = None  # from the RFC 3161 token
    tsa: str | None = None  # which timestamp authority answered


class SigningHooks(Protocol):
    def freeze(
        self, rendered: RenderedMemo, *, organisation_id: int, field_names: list[str]
    ) -> bytes:
        """The bytes every attester will see and sign."""

    def attest(
        self,
        pdf: bytes,
        *,
        field_name: str,
        signer: object,
        name_title: str,
        moment: dt.datetime,
        password: str | None,
    ) -> StepSignature:
        """Sign the step's field; raise an AttestError (e.g. wrong password) to refuse."""

    def finish(self, pdf: bytes, *, organisation_id: int) -> bytes:
        """Seal the fully attested document (validation data, document timestamp)."""


class RecordOnlyHooks:
    """Records attestations without signing: for a deployment without keys, and tests."""

    def freeze(
        self, rendered: RenderedMemo, *, organisation_id: int, field_names: list[str]
    ) -> bytes:
        return rendered.pdf

    def attest(self, pdf, *, field_name, signer, name_title, moment, password) -> StepSignature:
        return StepSignature(pdf=pdf)

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
    """The PDF signature field of a route step."""
    return f"attest-steg-{position}"
