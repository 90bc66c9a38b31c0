"""The PAdES implementation of the workflow's signing hooks.

freeze: signature fields on the table rows, the route sealed into the catalog and the
closing seal's field, then the seal's certification signature. attest: the attester's key,
unlocked by their password, signs their row's field with an RFC 3161 timestamp; the row
shows what the certificate says (their role certificate, or their t.f. certificate when
they act as a substitute). finish: the closing seal, validation data (CA, CRL) and a
document timestamp (PAdES B-LTA).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from cryptography.hazmat.primitives import hashes
from flask import current_app

from attest import clock, db
from attest.attestation import keystore, pades
from attest.attestation.personal import current_crl, fingerprint
from attest.custody import PersonalCustody, org_timestamper
from attest.custody.software import NoActingCertificate, SoftwarePersonalCustody
from attest.errors import Invalid
from attest.i18n import _l
from attest.orgs.models import Organisation
from attest.pdf import RenderedMemo
from attest.pki import OrgPki, WrongPassword
from attest.pki.profile import person_serial, row_text
from attest.signing import (
    HttpTimeStamper,
    RouteRow,
    SealedRoute,
    SigningRefused,
    TimeStamper,
    fields_for_rows,
)
from attest.signservice.custody import SignServicePersonalCustody
from attest.signservice.operations import embed_remote, service_binding, signs_through_service
from attest.users.models import User
from attest.workflow.hooks import PasswordRejected, PlannedRow, StepSignature, row_title
from attest.workflow.models import Substitution

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
            found = org_timestamper(pki, app_clock.now)
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


def personal_custody(user: User) -> PersonalCustody:
    """Where the person's signing key is: their own encrypted key (software), or the
    signature service's, as an administrator set it (attest user signing)."""
    if signs_through_service(user):
        return SignServicePersonalCustody()
    return SoftwarePersonalCustody()


class PadesHooks:
    requires_password = True

    def freeze(
        self,
        rendered: RenderedMemo,
        *,
        organisation_id: int,
        dnr: str,
        version_number: int,
        rows: list[PlannedRow],
    ) -> bytes:
        org = _organisation(organisation_id)
        pki = keystore.org_pki(org)
        expected = [field.name for field in fields_for_rows(rendered.rows)]
        assert expected == [r.field_name for r in rows], "the table rows are the route steps"
        route = SealedRoute(
            organisation_name=org.name,
            organisation_code=org.code,
            ca_sha256=fingerprint(pki.ca_cert),
            dnr=dnr,
            version_number=version_number,
            rows=tuple(
                RouteRow(
                    field=r.field_name,
                    role_code=r.role_code,
                    role_title=r.role_title,
                    name=r.person_name,
                    title=r.role_title,
                    person=person_serial(r.person_id),
                    substitutes=tuple(person_serial(s) for s in r.substitute_ids),
                    **service_binding(r.signservice_id),
                )
                for r in rows
            ),
        )
        return pades.freeze(rendered, pki, timestamper(org, pki), clock.now(), route)

    def attest(
        self,
        pdf: bytes,
        *,
        field_name: str,
        signer: User,
        role_code: str,
        role_title: str,
        substitution: Substitution | None,
        moment: dt.datetime,
        password: str | None,
        remote: Any = None,
    ) -> StepSignature:
        if remote is not None:  # signed by the signature service: embed it, then as below
            org = signer.organisation
            pki = keystore.org_pki(org)
            signed, cert = embed_remote(remote, pdf, field_name, timestamper(org, pki))
            return StepSignature(
                pdf=signed,
                title=row_title(role_title, acting=substitution is not None),
                certificate_sha256=fingerprint(cert),
                timestamp_at=_timestamp_time(signed, len(pdf)),
                tsa=tsa_description(),
            )
        try:
            identity = personal_custody(signer).identity(
                signer,
                password,
                substitution_id=substitution.id if substitution is not None else None,
                at=moment,
            )
        except WrongPassword:
            raise PasswordRejected() from None
        except NoActingCertificate:
            raise Invalid(
                _l(
                    "Du har inget giltigt t.f.-certifikat för rollen %(role)s. "
                    "Be en administratör registrera förordnandet på nytt.",
                    role=role_title.lower(),
                )
            ) from None
        org = signer.organisation
        pki = keystore.org_pki(org)
        title = row_title(role_title, acting=substitution is not None)
        try:
            signed = pades.sign_row(
                pdf,
                field_name=field_name,
                identity=identity,
                role_title=role_title,
                timestamper=timestamper(org, pki),
                reason=f"Attesterat av {row_text(signer.full_name, title)}",
                location=org.name,
                now=moment,
            )
        except pades.NoSuchField:
            raise Invalid(
                _l("Fältet %(field)s finns inte i dokumentet.", field=field_name)
            ) from None
        except SigningRefused as exc:
            raise Invalid(_l("Signeringen avbröts: %(reason)s", reason=str(exc))) from None
        return StepSignature(
            pdf=signed,
            title=title,
            certificate_sha256=fingerprint(identity.certificate),
            timestamp_at=_timestamp_time(signed, len(pdf)),
            tsa=tsa_description(),
        )

    def finish(self, pdf: bytes, *, organisation_id: int) -> bytes:
        org = _organisation(organisation_id)
        pki = keystore.org_pki(org)
        stamper = timestamper(org, pki)
        sealed = pades.seal(pdf, pki, stamper, clock.now())
        # The CRL is made after the closing seal: it vouches for every signature before it.
        return pades.archive(sealed, pki, stamper, [current_crl(org)], clock.now())
