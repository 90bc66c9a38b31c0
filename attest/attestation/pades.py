"""A memo's signatures as pure functions: freeze a rendered memo, sign one row, close it.

freeze: the rows' empty signature fields, the route sealed into the catalog and the
closing seal's field, then the system seal's certification. sign_row: the attester's
signature in their row, whose appearance is attest's rendering of their certificate
(attest.signing.rows). close: the closing seal, then validation data and a document
timestamp (B-LTA).

No Flask and no database: the workflow's PAdES hooks (attest.attestation.hooks) call these
with the organisation's keys and clock, and so do the tests and benchmarks, so that what
they sign is made exactly as the product makes it.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from typing import Sequence

from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader

from attest.custody import SigningIdentity, key_identity, seal_identity
from attest.pdf import RenderedMemo
from attest.pki import OrgPki, PrivateKey
from attest.pki.profile import read_person
from attest.signing import (
    CLOSING_SEAL_FIELD,
    SealedRoute,
    SigningRefused,
    TimeStamper,
    add_signature_fields,
    certify,
    fields_for_rows,
    finish_lta,
    seal_closing,
    sign_field,
)
from attest.signing.archival import ArchivalPdfWriter
from attest.signing.rows import row_appearance_pdf


class NoSuchField(LookupError):
    """The PDF has no signature field of that name."""


def freeze(
    rendered: RenderedMemo,
    pki: OrgPki,
    timestamper: TimeStamper,
    now: dt.datetime,
    route: SealedRoute,
) -> bytes:
    """The rows' fields, the route and the closing seal's field, then the certification."""
    with_fields = add_signature_fields(rendered.pdf, fields_for_rows(rendered.rows), route=route)
    seal = seal_identity(pki)
    return certify(
        with_fields,
        signer=seal.signer,
        signer_cert=seal.certificate,
        chain=seal.chain,
        timestamper=timestamper,
        now=now,
    )


def has_field(pdf: bytes, field_name: str) -> bool:
    try:
        field_rect(pdf, field_name)
    except NoSuchField:
        return False
    return True


def field_rect(pdf: bytes, field_name: str) -> tuple[float, float, float, float]:
    """The signature field's rectangle (x1, y1, x2, y2), normalised; NoSuchField if absent."""
    return _field_rect(PdfFileReader(BytesIO(pdf)), field_name)


def _field_rect(reader: PdfFileReader, field_name: str) -> tuple[float, float, float, float]:
    from pyhanko.sign.fields import enumerate_sig_fields

    for name, _value, ref in enumerate_sig_fields(reader):
        if name == field_name:
            x1, y1, x2, y2 = (float(v) for v in ref.get_object()["/Rect"])
            return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)
    raise NoSuchField(field_name)


def sign_row(
    pdf: bytes,
    *,
    field_name: str,
    signer_key: PrivateKey | None = None,
    signer_cert: x509.Certificate | None = None,
    chain: Sequence[x509.Certificate] = (),
    identity: SigningIdentity | None = None,
    role_title: str,
    timestamper: TimeStamper,
    reason: str,
    location: str,
    now: dt.datetime,
) -> bytes:
    """One attestation: the row's field signed; its appearance shows the certificate's name
    and its title for the role (a t.f. certificate's "t.f." title), and the day of signing.

    The signer is ``identity`` (attest.custody), or a software key with its certificate
    and chain. SigningRefused if the certificate gives its holder no title for the role.
    """
    if identity is None:
        if signer_key is None or signer_cert is None:
            raise TypeError("sign_row needs identity, or signer_key and signer_cert")
        identity = key_identity(signer_key, signer_cert, chain)
    person = read_person(identity.certificate)
    title = person.title_for(role_title)
    if title is None:
        raise SigningRefused(f"the certificate of {person.name} names no title {role_title!r}")
    # One parse of the PDF: the field's size is read from the reader the signer writes on.
    writer = ArchivalPdfWriter(BytesIO(pdf), modified_at=now)  # keeps the PDF/A packet
    x1, y1, x2, y2 = _field_rect(writer.prev, field_name)
    return sign_field(
        writer,
        field_name=field_name,
        signer=identity.signer,
        signer_cert=identity.certificate,
        chain=identity.chain,
        appearance_pdf=row_appearance_pdf(x2 - x1, y2 - y1, person.name, title, now),
        timestamper=timestamper,
        reason=reason,
        location=location,
        now=now,
    )


def seal(pdf: bytes, pki: OrgPki, timestamper: TimeStamper, now: dt.datetime) -> bytes:
    """The closing seal after the last row. A version frozen before the closing seal
    existed (no field for it) is left as it is: it is archived without one, as then."""
    if not has_field(pdf, CLOSING_SEAL_FIELD):
        return pdf
    seal = seal_identity(pki)
    return seal_closing(
        pdf,
        signer=seal.signer,
        signer_cert=seal.certificate,
        chain=seal.chain,
        timestamper=timestamper,
        now=now,
    )


def archive(
    pdf: bytes,
    pki: OrgPki,
    timestamper: TimeStamper,
    crls: Sequence[x509.CertificateRevocationList],
    now: dt.datetime,
) -> bytes:
    """Validation data (certificates, the CRL, made after the closing seal so that it
    vouches for every signature) and a document timestamp (B-LTA)."""
    return finish_lta(pdf, timestamper=timestamper, ca_cert=pki.ca_cert, crls=crls, now=now)


def close(
    pdf: bytes,
    pki: OrgPki,
    timestamper: TimeStamper,
    crls: Sequence[x509.CertificateRevocationList],
    now: dt.datetime,
) -> bytes:
    """seal, then archive with these CRLs: the attested memo closed."""
    return archive(seal(pdf, pki, timestamper, now), pki, timestamper, crls, now)
