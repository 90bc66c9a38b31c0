"""A row signature made elsewhere: pyHanko's interrupted signing, in two halves.

``prepare_field`` lays out the signature (its field, appearance and /M time) with the
/Contents reserved, and returns the CMS signed attributes a remote signer (the signature
service) signs: contentType and the document's messageDigest. The signer's certificate is
not known yet: the service issues one per signature and adds the signingCertificateV2
attribute itself (ELN-0609, AdESType "BES"). ``finish_field`` takes the attributes it
signed, its signature value and certificate chain, checks them, adds the RFC 3161
signature timestamp, and fills the reserved /Contents.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from io import BytesIO
from typing import Sequence

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError, simple_cms_attribute
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from attest.pki.ca import asn1_certificate, require_utc
from attest.signing.archival import ArchivalPdfWriter
from attest.signing.rows import row_stamp_style
from attest.signing.sign import DIGEST_ALGORITHM, SigningRefused, _TimedPdfSigner
from attest.signing.timestamps import run_sync

__all__ = ["PreparedSignature", "finish_field", "prepare_field"]

# Room for the CMS: the service's certificate chain (2-3 RSA certificates), the signed
# attributes and the timestamp token with the TSA's chain. Unused room is zero padding.
RESERVED_BYTES = 24 * 1024
# Attributes a signature service may add to the ones it was sent; it may change none.
_MAY_ADD = {"signing_certificate", "signing_certificate_v2", "cms_algorithm_protection"}


@dataclass(frozen=True)
class PreparedSignature:
    """The document with its signature laid out and /Contents reserved, and what to sign."""

    pdf: bytes
    document_digest: bytes  # SHA-256 over the /ByteRange
    reserved_start: int
    reserved_end: int
    signed_attributes: bytes  # DER SET OF Attribute: what the remote signer signs


def _signed_attributes(document_digest: bytes) -> cms.CMSAttributes:
    return cms.CMSAttributes(
        [
            simple_cms_attribute("content_type", "data"),
            simple_cms_attribute("message_digest", document_digest),
        ]
    )


async def _prepare(
    pdf: bytes,
    field_name: str,
    appearance_pdf: bytes | None,
    reason: str,
    location: str,
    now: dt.datetime,
) -> PreparedSignature:
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm=DIGEST_ALGORITHM,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
    )
    placeholder = signers.ExternalSigner(None, None, signature_value=256)
    pdf_signer = _TimedPdfSigner(
        meta,
        placeholder,
        timestamper=None,  # type: ignore[arg-type]  # the timestamp comes at finish
        stamp_style=row_stamp_style(appearance_pdf),
        new_field_spec=None,
        signing_time=now,
    )
    writer = ArchivalPdfWriter(BytesIO(pdf), modified_at=now)
    try:
        prepared, _tbs, output = await pdf_signer.async_digest_doc_for_signing(
            writer, existing_fields_only=True, bytes_reserved=RESERVED_BYTES
        )
    except SigningError as exc:  # no such empty field, or it is signed already
        raise SigningRefused(str(exc)) from exc
    output.seek(0)
    return PreparedSignature(
        pdf=output.read(),
        document_digest=prepared.document_digest,
        reserved_start=prepared.reserved_region_start,
        reserved_end=prepared.reserved_region_end,
        signed_attributes=_signed_attributes(prepared.document_digest).dump(),
    )


def prepare_field(
    pdf: bytes,
    *,
    field_name: str,
    appearance_pdf: bytes | None,
    reason: str,
    location: str,
    now: dt.datetime,
) -> PreparedSignature:
    """The first half: the signature laid out in the empty field, nothing signed yet."""
    return run_sync(_prepare(pdf, field_name, appearance_pdf, reason, location, require_utc(now)))


def _check_attributes(sent: bytes, returned: cms.CMSAttributes) -> None:
    """The service signs what it was sent; it may add its certificate's reference only."""
    sent_attrs = {a["type"].native: a.dump() for a in cms.CMSAttributes.load(sent)}
    seen: dict[str, bytes] = {}
    for attribute in returned:
        kind = attribute["type"].native
        if kind in seen:
            raise SigningRefused(f"the signed attributes name {kind} twice")
        seen[kind] = attribute.dump()
    for kind, encoded in sent_attrs.items():
        if seen.get(kind) != encoded:
            raise SigningRefused(f"the service changed or dropped the attribute {kind}")
    added = set(seen) - set(sent_attrs)
    if not added <= _MAY_ADD:
        raise SigningRefused(f"the service added attributes {sorted(added)}")


async def _finish(
    prepared: PreparedSignature,
    signed_attributes: bytes,
    signature: bytes,
    signer_cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    timestamper: TimeStamper,
) -> bytes:
    try:
        returned = cms.CMSAttributes.load(signed_attributes)
        returned.native  # parse it all now: a malformed value is refused here, not later
    except (ValueError, TypeError) as exc:
        raise SigningRefused("the signed attributes are not DER") from exc
    _check_attributes(prepared.signed_attributes, returned)
    public_key = signer_cert.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise SigningRefused("attest accepts RSA signatures from the signature service")
    try:
        public_key.verify(signature, signed_attributes, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise SigningRefused("the signature does not verify with the certificate") from None
    signer = signers.ExternalSigner(
        asn1_certificate(signer_cert),
        SimpleCertificateStore.from_certs([asn1_certificate(c) for c in chain]),
        signature_value=signature,
    )
    content_info = await signer.async_sign_prescribed_attributes(
        DIGEST_ALGORITHM, signed_attrs=returned, timestamper=timestamper
    )
    output = BytesIO(prepared.pdf)
    digest = PreparedByteRangeDigest(
        document_digest=prepared.document_digest,
        reserved_region_start=prepared.reserved_start,
        reserved_region_end=prepared.reserved_end,
    )
    try:
        await PdfTBSDocument.async_finish_signing(output, digest, content_info)
    except SigningError as exc:  # e.g. a CMS larger than the reserved room
        raise SigningRefused(str(exc)) from exc
    return output.getvalue()


def finish_field(
    prepared: PreparedSignature,
    *,
    signed_attributes: bytes,
    signature: bytes,
    signer_cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    timestamper: TimeStamper,
) -> bytes:
    """The second half: the remote signature (RSA PKCS#1 v1.5, SHA-256) over the returned
    signed attributes, checked against the certificate and against what was sent, then
    timestamped and embedded. SigningRefused for anything that would not validate."""
    return run_sync(
        _finish(prepared, signed_attributes, signature, signer_cert, chain, timestamper)
    )
