"""The PAdES implementation of the workflow's signing hooks.

freeze: signature fields on the table rows, then the seal's certification signature.
attest: the attester's key, unlocked by their password, signs their row's field with the
row drawn as its appearance and an RFC 3161 timestamp. finish: validation data (CA, CRL)
and a document timestamp (PAdES B-LTA).
"""

from __future__ import annotations

import datetime as dt
import threading
from io import BytesIO

from flask import current_app

from attest import clock, db
from attest.attestation import keystore
from attest.attestation.personal import current_crl, unlock
from attest.errors import Invalid
from attest.orgs.models import Organisation
from attest.pdf import RenderedMemo, render_row_appearance
from attest.pdf.memo import ROW_NAME_COL_WIDTH
from attest.pki import OrgPki, WrongPassword
from attest.signing import (
    HttpTimeStamper,
    InProcessTimeStamper,
    SigningRefused,
    TimeStamper,
    add_signature_fields,
    certify,
    fields_for_rows,
    finish_lta,
    sign_field,
)
from attest.workflow.hooks import PasswordRejected, StepSignature

_timestampers: dict[tuple[str, int], TimeStamper] = {}
_timestampers_lock = threading.Lock()


def timestamper(organisation: Organisation, pki: OrgPki) -> TimeStamper:
    """The configured external TSA, or the organisation's own (kept per process)."""
    config = current_app.config
    if config.get("TSA_URL"):
        return HttpTimeStamper(
            config["TSA_URL"],
            username=config.get("TSA_USERNAME"),
            password=config.get("TSA_PASSWORD"),
        )
    app_clock = current_app.extensions["attest.clock"]
    key = (organisation.code, id(pki), id(app_clock))
    with _timestampers_lock:
        found = _timestampers.get(key)
        if found is None:
            found = InProcessTimeStamper(pki.tsa_key, pki.tsa_cert, pki.chain, app_clock.now)
            _timestampers[key] = found
    return found


def tsa_description() -> str:
    url = current_app.config.get("TSA_URL")
    return url or "attest (organisationens egen tidsstämpeltjänst)"


def _organisation(organisation_id: int) -> Organisation:
    org = db.session().get(Organisation, organisation_id)
    assert org is not None
    return org


def _field_rect(pdf: bytes, field_name: str) -> tuple[float, float, float, float]:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(BytesIO(pdf))
    for name, _value, ref in enumerate_sig_fields(reader):
        if name == field_name:
            rect = ref.get_object()["/Rect"]
            x1, y1, x2, y2 = (float(v) for v in rect)
            return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)
    raise Invalid(f"Fältet {field_name} finns inte i dokumentet.")


def _timestamp_time(signed: bytes, previous_length: int) -> dt.datetime | None:
    """The RFC 3161 time in the signature just added (the revision after previous_length).

    Reads only the new revision's /Contents, not the whole document: the CMS is a few KB.
    """
    import re

    from asn1crypto import cms

    match = re.search(rb"/Contents\s*<([0-9A-Fa-f]+)>", signed[previous_length:])
    if match is None:
        return None
    try:
        signed_data = cms.ContentInfo.load(bytes.fromhex(match.group(1).decode()))["content"]
        for attribute in signed_data["signer_infos"][0]["unsigned_attrs"] or ():
            if attribute["type"].native == "signature_time_stamp_token":
                token = attribute["values"][0]
                return token["content"]["encap_content_info"]["content"].parsed["gen_time"].native
    except (ValueError, KeyError, TypeError):
        return None
    return None


class PadesHooks:
    requires_password = True

    def freeze(
        self, rendered: RenderedMemo, *, organisation_id: int, field_names: list[str]
    ) -> bytes:
        org = _organisation(organisation_id)
        pki = keystore.org_pki(org)
        fields = fields_for_rows(rendered.rows)
        assert [f.name for f in fields] == field_names, "the table rows are the route steps"
        with_fields = add_signature_fields(rendered.pdf, fields)
        return certify(
            with_fields,
            signer_key=pki.seal_key,
            signer_cert=pki.seal_cert,
            chain=pki.chain,
            timestamper=timestamper(org, pki),
            now=clock.now(),
        )

    def attest(self, pdf, *, field_name, signer, name_title, moment, password) -> StepSignature:
        if not password:
            raise Invalid("Skriv ditt lösenord för att attestera.")
        try:
            key, cert, row = unlock(signer, password)
        except WrongPassword:
            raise PasswordRejected() from None
        org = signer.organisation
        pki = keystore.org_pki(org)
        x1, y1, x2, y2 = _field_rect(pdf, field_name)
        appearance = render_row_appearance(
            x2 - x1, y2 - y1, name_title, clock.format_date(moment), ROW_NAME_COL_WIDTH
        )
        try:
            signed = sign_field(
                pdf,
                field_name=field_name,
                signer_key=key,
                signer_cert=cert,
                chain=pki.chain,
                appearance_pdf=appearance,
                timestamper=timestamper(org, pki),
                reason=f"Attesterat av {name_title}",
                location=org.name,
                now=moment,
            )
        except SigningRefused as exc:
            raise Invalid(f"Signeringen avbröts: {exc}") from None
        return StepSignature(
            pdf=signed,
            certificate_sha256=row.certificate_sha256,
            timestamp_at=_timestamp_time(signed, len(pdf)),
            tsa=tsa_description(),
        )

    def finish(self, pdf: bytes, *, organisation_id: int) -> bytes:
        org = _organisation(organisation_id)
        pki = keystore.org_pki(org)
        return finish_lta(
            pdf,
            timestamper=timestamper(org, pki),
            ca_cert=pki.ca_cert,
            crls=[current_crl(org)],
            now=clock.now(),
        )
