"""PAdES signatures over a frozen memo: the seal's certification, each attestation, LTA.

Every function takes bytes and returns new bytes; the input is never changed, and each
signature is one incremental update, so earlier signatures stay intact. The sync
functions wrap async_* coroutines (see timestamps.run_sync).
"""

from __future__ import annotations

import datetime as dt
import functools
from io import BytesIO
from typing import Iterable, Sequence

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import attributes, fields, signers
from pyhanko.sign.general import SigningError, as_signing_certificate_v2
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import PdfSigningSession, PdfTimeStamper
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation import DocumentSecurityStore
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from attest.pki.ca import asn1_certificate, require_utc
from attest.signing.archival import ArchivalPdfWriter
from attest.signing.fields import CLOSING_SEAL_FIELD
from attest.signing.rows import row_stamp_style
from attest.signing.timestamps import run_sync

__all__ = [
    "ARCHIVE_TIMESTAMP_FIELD",
    "CERTIFICATION_FIELD",
    "CLOSING_SEAL_FIELD",
    "DIGEST_ALGORITHM",
    "KeySigner",
    "SigningRefused",
    "async_certify",
    "async_finish_lta",
    "async_seal_closing",
    "async_sign_field",
    "certify",
    "finish_lta",
    "seal_closing",
    "sign_detached",
    "sign_field",
]

DIGEST_ALGORITHM = "sha256"
CERTIFICATION_FIELD = "attest-sigill"
ARCHIVE_TIMESTAMP_FIELD = "attest-arkivstampel"
CERTIFICATION_REASON = "Fastställd version för attestering"
CLOSING_REASON = "Attesteringen är fullständig"


class SigningRefused(Exception):
    """A signature that would not validate, or is not allowed here, was not made."""


def signing_certificate_v2_der(cert: asn1_x509.Certificate) -> bytes:
    """The ESS signing-certificate-v2 value (RFC 5035) naming ``cert``, as DER."""
    return _signing_certificate_v2_der(cert.dump())


@functools.lru_cache(maxsize=256)
def _signing_certificate_v2_der(cert_der: bytes) -> bytes:
    # Keyed by the certificate's bytes: the seal's signer is made afresh for each seal.
    return as_signing_certificate_v2(asn1_x509.Certificate.load(cert_der)).dump()


class _PreparedSigningCertificateV2(attributes.SigningCertificateV2Provider):
    """pyHanko's signing-certificate-v2 attribute, the same bytes, prepared once per signer.

    pyHanko builds the value afresh for every signature, and asn1crypto then serialises
    the issuer's name (a tagged copy) field by field, three times per signature: most of a
    small CMS signature's time. Parsed from its DER, the value serialises as those bytes.
    """

    def __init__(self, signing_cert: asn1_x509.Certificate, der: bytes) -> None:
        super().__init__(signing_cert)
        self._der = der

    async def build_attr_value(self, dry_run: bool = False) -> tsp.SigningCertificateV2:
        return tsp.SigningCertificateV2.load(self._der)  # a fresh object: nothing is shared


class KeySigner(signers.Signer):
    """A pyHanko signer over an already loaded cryptography RSA key.

    SimpleSigner keeps the key as DER and re-loads it for every raw signature (RSA key
    loading validates the key: ~90 ms for RSA-3072, paid twice per signature because
    the size estimate signs too). This signer keeps the loaded key and answers the
    size estimate's dry run with a placeholder of the right length.
    """

    def __init__(
        self, key: rsa.RSAPrivateKey, cert: x509.Certificate, chain: Sequence[x509.Certificate]
    ) -> None:
        if not isinstance(key, rsa.RSAPrivateKey):
            raise SigningRefused("attest signs with RSA keys")
        if key.public_key() != cert.public_key():
            raise SigningRefused("the private key does not belong to the certificate")
        super().__init__(
            signing_cert=asn1_certificate(cert),
            cert_registry=SimpleCertificateStore.from_certs([asn1_certificate(c) for c in chain]),
        )
        self._key = key
        self._public_key = key.public_key()  # the certificate's, as checked above
        self._signing_certificate_v2 = signing_certificate_v2_der(self.signing_cert)

    def _signed_attr_providers(self, *args, **kwargs):
        """pyHanko's signed attributes, the signing certificate's prepared once."""
        for provider in super()._signed_attr_providers(*args, **kwargs):
            if type(provider) is attributes.SigningCertificateV2Provider:
                provider = _PreparedSigningCertificateV2(
                    provider.signing_cert, self._signing_certificate_v2
                )
            yield provider

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if dry_run:
            return bytes(self._key.key_size // 8)
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        if mechanism.signature_algo != "rsassa_pkcs1v15":
            raise SigningRefused(f"unsupported signature mechanism {mechanism.signature_algo}")
        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        signature = self._key.sign(data, padding.PKCS1v15(), hash_algorithm)
        # Never release a signature the certificate's key does not verify: a damaged key
        # (keys are loaded without RSA validation) must not leak itself through a fault.
        try:
            self._public_key.verify(signature, data, padding.PKCS1v15(), hash_algorithm)
        except InvalidSignature:
            raise SigningRefused("the key produced an invalid signature; it is damaged") from None
        return signature


class _TimedPdfSigner(signers.PdfSigner):
    """PdfSigner whose signing time (CMS signingTime, /M) is given, not read from the OS."""

    def __init__(
        self,
        signature_meta: signers.PdfSignatureMetadata,
        signer: signers.Signer,
        *,
        timestamper: TimeStamper,
        stamp_style: StaticStampStyle | None,
        new_field_spec: fields.SigFieldSpec | None,
        signing_time: dt.datetime,
    ) -> None:
        super().__init__(
            signature_meta,
            signer,
            timestamper=timestamper,
            stamp_style=stamp_style,
            new_field_spec=new_field_spec,
        )
        self._signing_time = signing_time

    def init_signing_session(
        self, pdf_out: BasePdfFileWriter, existing_fields_only: bool = False
    ) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._signing_time
        return session


def _signer(
    signer: signers.Signer | None,
    signer_key: rsa.RSAPrivateKey | None,
    signer_cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
) -> signers.Signer:
    """The signer given (a device's, attest.custody), or a KeySigner over a software key."""
    if signer is not None:
        return signer
    if signer_key is None:
        raise TypeError("a signature needs signer_key or signer")
    return KeySigner(signer_key, signer_cert, chain)


def _check_certificate_time(cert: x509.Certificate, now: dt.datetime) -> None:
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise SigningRefused(
            f"the certificate of {cert.subject.rfc4514_string()} is not valid at {now.isoformat()}"
        )


async def _sign(
    pdf: bytes | IncrementalPdfFileWriter,
    meta: signers.PdfSignatureMetadata,
    signer: signers.Signer,
    timestamper: TimeStamper,
    now: dt.datetime,
    *,
    stamp_style: StaticStampStyle | None = None,
    new_field: fields.SigFieldSpec | None = None,
) -> bytes:
    writer = (
        pdf
        if isinstance(pdf, IncrementalPdfFileWriter)
        else ArchivalPdfWriter(BytesIO(pdf), modified_at=now)
    )
    pdf_signer = _TimedPdfSigner(
        meta,
        signer,
        timestamper=timestamper,
        stamp_style=stamp_style,
        new_field_spec=new_field,
        signing_time=now,
    )
    try:
        output = await pdf_signer.async_sign_pdf(writer, existing_fields_only=new_field is None)
    except SigningError as exc:  # e.g. no such empty field, or it is signed already
        raise SigningRefused(str(exc)) from exc
    return output.getvalue()


async def async_certify(
    pdf: bytes,
    *,
    signer_key: rsa.RSAPrivateKey | None = None,
    signer: signers.Signer | None = None,
    signer_cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    timestamper: TimeStamper,
    now: dt.datetime,
) -> bytes:
    """See certify."""
    now = require_utc(now)
    _check_certificate_time(signer_cert, now)
    meta = signers.PdfSignatureMetadata(
        field_name=CERTIFICATION_FIELD,
        md_algorithm=DIGEST_ALGORITHM,
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=True,
        # Filling the pre-placed fields (the attestations) stays allowed; nothing else.
        docmdp_permissions=fields.MDPPerm.FILL_FORMS,
        reason=CERTIFICATION_REASON,
    )
    return await _sign(
        pdf,
        meta,
        _signer(signer, signer_key, signer_cert, chain),
        timestamper,
        now,
        new_field=fields.SigFieldSpec(sig_field_name=CERTIFICATION_FIELD),
    )


def certify(
    pdf: bytes,
    *,
    signer_key: rsa.RSAPrivateKey | None = None,
    signer: signers.Signer | None = None,
    signer_cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    timestamper: TimeStamper,
    now: dt.datetime,
) -> bytes:
    """The system seal's certification signature (invisible, DocMDP: fill forms), PAdES B-T."""
    return run_sync(
        async_certify(
            pdf,
            signer_key=signer_key,
            signer=signer,
            signer_cert=signer_cert,
            chain=chain,
            timestamper=timestamper,
            now=now,
        )
    )


async def async_sign_field(
    pdf: bytes | IncrementalPdfFileWriter,
    *,
    field_name: str,
    signer_key: rsa.RSAPrivateKey | None = None,
    signer: signers.Signer | None = None,
    signer_cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    appearance_pdf: bytes | None,
    timestamper: TimeStamper,
    reason: str,
    location: str = "",
    now: dt.datetime,
) -> bytes:
    """See sign_field."""
    now = require_utc(now)
    _check_certificate_time(signer_cert, now)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm=DIGEST_ALGORITHM,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
    )
    return await _sign(
        pdf,
        meta,
        _signer(signer, signer_key, signer_cert, chain),
        timestamper,
        now,
        stamp_style=row_stamp_style(appearance_pdf),
    )


def sign_field(
    pdf: bytes | IncrementalPdfFileWriter,
    *,
    field_name: str,
    signer_key: rsa.RSAPrivateKey | None = None,
    signer: signers.Signer | None = None,
    signer_cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    appearance_pdf: bytes | None,
    timestamper: TimeStamper,
    reason: str,
    location: str = "",
    now: dt.datetime,
) -> bytes:
    """An attestation: a PAdES B-T approval signature in the existing empty field.

    appearance_pdf is a one-page PDF the size of the field (render_row_appearance);
    None leaves the row blank. pdf may be a writer already opened on the PDF (by a caller
    that has read the field's size from it), so that the file is parsed once. Raises
    SigningRefused if the field does not exist or is signed already, or the certificate is
    not valid at now.
    """
    return run_sync(
        async_sign_field(
            pdf,
            field_name=field_name,
            signer_key=signer_key,
            signer=signer,
            signer_cert=signer_cert,
            chain=chain,
            appearance_pdf=appearance_pdf,
            timestamper=timestamper,
            reason=reason,
            location=location,
            now=now,
        )
    )


async def async_seal_closing(
    pdf: bytes,
    *,
    signer_key: rsa.RSAPrivateKey | None = None,
    signer: signers.Signer | None = None,
    signer_cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    timestamper: TimeStamper,
    now: dt.datetime,
) -> bytes:
    """See seal_closing."""
    now = require_utc(now)
    _check_certificate_time(signer_cert, now)
    meta = signers.PdfSignatureMetadata(
        field_name=CLOSING_SEAL_FIELD,
        md_algorithm=DIGEST_ALGORITHM,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=CLOSING_REASON,
    )
    return await _sign(pdf, meta, _signer(signer, signer_key, signer_cert, chain), timestamper, now)


def seal_closing(
    pdf: bytes,
    *,
    signer_key: rsa.RSAPrivateKey | None = None,
    signer: signers.Signer | None = None,
    signer_cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    timestamper: TimeStamper,
    now: dt.datetime,
) -> bytes:
    """The closing seal: the system seal's approval signature (PAdES B-T) in the invisible
    field attest-slutsigill, saying the route is complete. After it come only validation
    data and document timestamps (finish_lta). SigningRefused if the field is missing or
    signed already."""
    return run_sync(
        async_seal_closing(
            pdf,
            signer_key=signer_key,
            signer=signer,
            signer_cert=signer_cert,
            chain=chain,
            timestamper=timestamper,
            now=now,
        )
    )


async def async_sign_detached(
    data: bytes,
    *,
    signer_key: rsa.RSAPrivateKey | None = None,
    signer: signers.Signer | None = None,
    signer_cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    timestamper: TimeStamper,
    now: dt.datetime,
) -> bytes:
    """See sign_detached."""
    now = require_utc(now)
    _check_certificate_time(signer_cert, now)
    content_info = await _signer(signer, signer_key, signer_cert, chain).async_sign_general_data(
        data,
        DIGEST_ALGORITHM,
        detached=True,
        timestamper=timestamper,
        signed_attr_settings=PdfCMSSignedAttributes(signing_time=now),
    )
    return content_info.dump()


def sign_detached(
    data: bytes,
    *,
    signer_key: rsa.RSAPrivateKey | None = None,
    signer: signers.Signer | None = None,
    signer_cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    timestamper: TimeStamper,
    now: dt.datetime,
) -> bytes:
    """A detached CMS signature (DER ContentInfo) over data, with signingTime ``now`` and a
    signature timestamp token: how the system seal anchors the audit log's head."""
    return run_sync(
        async_sign_detached(
            data,
            signer_key=signer_key,
            signer=signer,
            signer_cert=signer_cert,
            chain=chain,
            timestamper=timestamper,
            now=now,
        )
    )


def _embedded_certificates(reader: PdfFileReader) -> Iterable[asn1_x509.Certificate]:
    """Every certificate in the signatures and their signature timestamp tokens."""
    for embedded in reader.embedded_signatures:
        signed_data_list: list[cms.SignedData] = [embedded.signed_data]
        signed_data_list.extend(extract_tst_data_iter(embedded.signer_info, signed=False))
        for signed_data in signed_data_list:
            for choice in signed_data["certificates"]:
                if choice.name == "certificate":
                    yield choice.chosen


def _archive_field_name(reader: PdfFileReader) -> str:
    """attest-arkivstampel, then -2, -3 ... when the archive timestamp is renewed."""
    taken = {embedded.field_name for embedded in reader.embedded_signatures}
    name, number = ARCHIVE_TIMESTAMP_FIELD, 1
    while name in taken:
        number += 1
        name = f"{ARCHIVE_TIMESTAMP_FIELD}-{number}"
    return name


async def async_finish_lta(
    pdf: bytes,
    *,
    timestamper: TimeStamper,
    ca_cert: x509.Certificate,
    crls: Sequence[x509.CertificateRevocationList],
    now: dt.datetime,
) -> bytes:
    """See finish_lta."""
    now = require_utc(now)
    for crl in crls:
        next_update = crl.next_update_utc
        if crl.last_update_utc > now or (next_update is not None and next_update < now):
            raise SigningRefused("a CRL for the archive must be current")
    writer = ArchivalPdfWriter(BytesIO(pdf), modified_at=now)
    certificates = {c.dump(): c for c in _embedded_certificates(writer.prev)}
    certificates[asn1_certificate(ca_cert).dump()] = asn1_certificate(ca_cert)
    # DSS and document timestamp go into one revision, as pyHanko's own LTA code does;
    # the timestamp then covers the validation data.
    DocumentSecurityStore.supply_dss_in_writer(
        writer,
        sig_contents=None,
        certs=list(certificates.values()),
        crls=[
            asn1_crl.CertificateList.load(crl.public_bytes(serialization.Encoding.DER))
            for crl in crls
        ],
    )
    output = await PdfTimeStamper(
        timestamper, field_name=_archive_field_name(writer.prev)
    ).async_timestamp_pdf(writer, DIGEST_ALGORITHM)
    return output.getvalue()


def finish_lta(
    pdf: bytes,
    *,
    timestamper: TimeStamper,
    ca_cert: x509.Certificate,
    crls: Sequence[x509.CertificateRevocationList],
    now: dt.datetime,
) -> bytes:
    """PAdES B-LTA: the certificates and CRLs in the DSS, sealed by a document timestamp.

    The CRLs must be current at now (they vouch that no signer was revoked when the
    attested memo was archived).
    """
    return run_sync(
        async_finish_lta(
            pdf,
            timestamper=timestamper,
            ca_cert=ca_cert,
            crls=crls,
            now=now,
        )
    )
