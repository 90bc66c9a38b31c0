"""The PAdES implementation of the workflow's signing hooks.

freeze: signature fields on the table rows, then the seal's certification signature.
attest: the attester's key, unlocked by their password, signs their row's field with the
row drawn as its appearance and an RFC 3161 timestamp. finish: validation data (CA, CRL)
and a document timestamp (PAdES B-LTA).
"""

from __future__ import annotations

import datetime as dt
import threading

from cryptography.hazmat.primitives import hashes
from flask import current_app

from attest import clock, db
from attest.attestation import keystore, pades
from attest.attestation.personal import current_crl, unlock
from attest.errors import Invalid
from attest.orgs.models import Organisation
from attest.pdf import RenderedMemo
from attest.pki import OrgPki, WrongPassword
from attest.signing import (
    HttpTimeStamper,
    InProcessTimeStamper,
    SigningRefused,
    TimeStamper,
    fields_for_rows,
)
from attest.workflow.hooks import PasswordRejected, StepSignature

_timestampers_lock = threading.Lock()


def timestamper(organisation: Organisation, pki: OrgPki) -> TimeStamper:
    """The configured external TSA, or the organisation's own (kept per app).

    The in-process TSA is kept per app (whose clock it reads) and per TSA certificate:
    keyed by what it signs with, never by id(), which a later object may reuse.
    """
    config = current_app.config
    if config.get("TSA_URL"):
        return HttpTimeStamper(
            config["TSA_URL"],
            username=config.get("TSA_USERNAME"),
            password=config.get("TSA_PASSWORD"),
        )
    app_clock = current_app.extensions["attest.clock"]
    key = (organisation.code, pki.tsa_cert.fingerprint(hashes.SHA256()))
    with _timestampers_lock:
        cache: dict[tuple[str, bytes], TimeStamper]
        cache = current_app.extensions.setdefault("attest.timestampers", {})
        found = cache.get(key)
        if found is None:
            found = InProcessTimeStamper(pki.tsa_key, pki.tsa_cert, pki.chain, app_clock.now)
            cache[key] = found
    return found


def tsa_description() -> str:
    url = current_app.config.get("TSA_URL")
    return url or "attest (organisationens egen tidsstämpeltjänst)"


def _organisation(organisation_id: int) -> Organisation:
    org = db.session().get(Organisation, organisation_id)
    assert org is not None
    return org


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
        expected = [field.name for field in fields_for_rows(rendered.rows)]
        assert expected == field_names, "the table rows are the route steps"
        return pades.freeze(rendered, pki, timestamper(org, pki), clock.now())

    def attest(self, pdf, *, field_name, signer, name_title, moment, password) -> StepSignature:
        if not password:
            raise Invalid("Skriv ditt lösenord för att attestera.")
        try:
            key, cert, row = unlock(signer, password)
        except WrongPassword:
            raise PasswordRejected() from None
        org = signer.organisation
        pki = keystore.org_pki(org)
        try:
            signed = pades.sign_row(
                pdf,
                field_name=field_name,
                signer_key=key,
                signer_cert=cert,
                chain=pki.chain,
                name_title=name_title,
                date_text=clock.format_date(moment),
                timestamper=timestamper(org, pki),
                reason=f"Attesterat av {name_title}",
                location=org.name,
                now=moment,
            )
        except pades.NoSuchField:
            raise Invalid(f"Fältet {field_name} finns inte i dokumentet.") from None
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
        return pades.close(pdf, pki, timestamper(org, pki), [current_crl(org)], clock.now())
