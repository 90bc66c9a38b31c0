"""pyHanko's facts about every signature of a PDF, with nothing but the file, the CA
certificates and optional CRLs.

Each signature is reported fact by fact (intact, valid, trusted, revoked, its timestamp,
the certificate's validity at that time, the modifications after it). This module judges
nothing and words nothing: attest.verify decides the verdict and says why. Note that
pyHanko's ``intact`` alone also holds for a signature after which page content was drawn.
"""

from __future__ import annotations

import datetime as dt
import enum
import threading
from dataclasses import dataclass, replace
from io import BytesIO
from typing import Sequence

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DiffPolicy
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.status import (
    DocumentTimestampStatus,
    PdfSignatureStatus,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)

from attest.pki.ca import asn1_certificate, require_utc
from attest.signing.timestamps import run_sync

__all__ = [
    "DetachedReport",
    "SignatureReport",
    "ValidationReport",
    "async_validate_pdf",
    "validate_detached",
    "validate_pdf",
]


@dataclass(frozen=True)
class SignatureReport:
    """What was found out about one signature or document timestamp."""

    field_name: str
    signer_name: str  # CN of the certificate (the TSA's, for a document timestamp)
    signer_title: str
    signer_organisation: str
    certificate_sha256: str  # hex fingerprint of the signer's certificate
    signing_time: dt.datetime | None  # as claimed by the signer: not evidence
    timestamp_time: dt.datetime | None  # from the RFC 3161 token, when it is trusted
    is_certification: bool
    is_document_timestamp: bool
    intact: bool  # the signed bytes are unchanged
    valid: bool  # the cryptographic signature is correct
    trusted: bool  # the certificate chains to a trust root and is usable now
    revoked: bool
    timestamp_ok: bool  # a signature timestamp is present, intact, valid and trusted
    certificate_valid_at_signing: bool  # the timestamp falls within the certificate's validity
    modification_level: str | None  # pyHanko ModificationLevel name of later changes
    docmdp_ok: bool | None  # later changes respect the certification's permissions
    bottom_line: bool  # pyHanko's overall judgement
    revoked_at: dt.datetime | None = None  # when a CRL says the certificate was revoked
    trust_problem: str | None = None  # pyHanko's AdES indication when not trusted
    timestamp_in_future: bool = False  # the token's time is after the validation time
    error: str | None = None  # the signature could not be validated at all: why

    @property
    def readable(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class ValidationReport:
    """Every signature's facts, and the fields still unsigned."""

    signatures: tuple[SignatureReport, ...]
    unsigned_fields: tuple[str, ...]  # empty signature fields: attestations not (yet) made
    readable: bool = True  # False: the file could not be read as a PDF at all
    signed: bool = True  # False: it has no signatures


# CRLs parsed by asn1crypto, by their DER: an organisation's CRL is the same for every file
# of a bulk check, and pyHanko reads its entries one by one, for every certificate it checks.
# asn1crypto keeps what it has parsed in the object, so a CRL is parsed once per process.
# The key is the whole encoding: any other CRL, even one differing in a byte, is parsed anew.
_CRL_CACHE_SIZE = 16
_parsed_crls: dict[bytes, asn1_crl.CertificateList] = {}
_parsed_crls_lock = threading.Lock()


def _asn1_crl(crl: x509.CertificateRevocationList | bytes) -> asn1_crl.CertificateList:
    der = crl if isinstance(crl, bytes) else crl.public_bytes(serialization.Encoding.DER)
    with _parsed_crls_lock:
        found = _parsed_crls.get(der)
        if found is None:
            found = asn1_crl.CertificateList.load(der)
            if len(_parsed_crls) >= _CRL_CACHE_SIZE:
                _parsed_crls.pop(next(iter(_parsed_crls)))
            _parsed_crls[der] = found
    return found


def _name_attribute(cert: asn1_x509.Certificate, key: str) -> str:
    try:
        value = cert.subject.native.get(key, "")
    except ValueError:  # a name that does not decode names nobody
        return ""
    return value[-1] if isinstance(value, list) else str(value)


def _is_certification(embedded: EmbeddedPdfSignature) -> bool:
    for reference in embedded.sig_object.get("/Reference", ()):
        if reference.get_object().get("/TransformMethod") == "/DocMDP":
            return True
    return False


def _report(
    embedded: EmbeddedPdfSignature, status: PdfSignatureStatus | DocumentTimestampStatus
) -> SignatureReport:
    cert = status.signing_cert
    if isinstance(status, DocumentTimestampStatus):
        signing_time = None
        timestamp_ok = status.intact and status.valid and status.trusted
        timestamp_time = status.timestamp if timestamp_ok else None
        bottom_line = timestamp_ok
        signed_at = None
    else:
        signing_time = status.signer_reported_dt
        tst = status.timestamp_validity
        timestamp_ok = tst is not None and tst.intact and tst.valid and tst.trusted
        timestamp_time = tst.timestamp if tst is not None and timestamp_ok else None
        bottom_line = status.bottom_line
        signed_at = timestamp_time

    # pyHanko checks the certificate at the validation time only; a signature made
    # before the certificate began or after it ended is a fact of its own.
    valid_at_signing = True
    if signed_at is not None:
        tbs_validity = cert["tbs_certificate"]["validity"]
        not_before = tbs_validity["not_before"].native
        not_after = tbs_validity["not_after"].native
        valid_at_signing = not_before <= signed_at <= not_after

    indication = status.trust_problem_indic
    details = status.revocation_details
    level = status.modification_level
    return SignatureReport(
        field_name=embedded.field_name,
        signer_name=_name_attribute(cert, "common_name"),
        signer_title=_name_attribute(cert, "title"),
        signer_organisation=_name_attribute(cert, "organization_name"),
        certificate_sha256=cert.sha256.hex(),
        signing_time=signing_time,
        timestamp_time=timestamp_time,
        is_certification=_is_certification(embedded),
        is_document_timestamp=isinstance(status, DocumentTimestampStatus),
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        revoked=status.revoked,
        timestamp_ok=timestamp_ok,
        certificate_valid_at_signing=valid_at_signing,
        modification_level=level.name if level is not None else None,
        docmdp_ok=status.docmdp_ok,
        bottom_line=bottom_line,
        revoked_at=details.revocation_date if details is not None else None,
        trust_problem=indication.name if isinstance(indication, enum.Enum) else None,
    )


def _token_time(signed_data: cms.SignedData) -> dt.datetime | None:
    try:
        info = signed_data["encap_content_info"]["content"].parsed
        return info["gen_time"].native
    except (KeyError, ValueError, TypeError, AttributeError):
        return None


def _claimed_time(tokens: Sequence[cms.SignedData], reference: dt.datetime) -> dt.datetime | None:
    """The time a signature's timestamp token claims, if in the past; pyHanko checks the token
    itself (intact, valid, trusted) before anything is judged at this time."""
    times = [t for t in (_token_time(token) for token in tokens) if t is not None]
    if not times or min(times) > reference:
        return None
    return min(times)


def _claimed_time_in_future(tokens: Sequence[cms.SignedData], reference: dt.datetime) -> bool:
    times = [t for t in (_token_time(token) for token in tokens) if t is not None]
    return bool(times) and min(times) > reference + dt.timedelta(minutes=5)


async def async_validate_pdf(
    pdf: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList | bytes] = (),
    now: dt.datetime | None = None,
    reader: PdfFileReader | None = None,
    diff_policy: DiffPolicy | None = None,
) -> ValidationReport:
    """See validate_pdf."""
    try:
        if reader is None:
            reader = PdfFileReader(BytesIO(pdf), strict=False)
        embedded_signatures = list(reader.embedded_signatures)
        unsigned = tuple(name for name, _, _ in enumerate_sig_fields(reader, filled_status=False))
    except (PdfError, ValueError, KeyError, TypeError):
        return ValidationReport(signatures=(), unsigned_fields=(), readable=False, signed=False)
    if not embedded_signatures:
        return ValidationReport(signatures=(), unsigned_fields=unsigned, signed=False)

    roots = [asn1_certificate(c) for c in trust_roots]
    revocation_lists = [_asn1_crl(c) for c in crls]
    moment = require_utc(now) if now is not None else None

    def context(rule: RevocationCheckingRule, at: dt.datetime | None = None) -> ValidationContext:
        return ValidationContext(
            trust_roots=roots,
            crls=revocation_lists,
            moment=at or moment,
            # Point-in-time validation: a certificate is judged at the moment its trusted
            # timestamp proves, with revocation information issued later allowed to say
            # whether it was revoked then. A certificate revoked after an attestation (a
            # password reset) leaves that attestation valid; one revoked before does not.
            allow_fetching=False,
            revinfo_policy=CertRevTrustPolicy(
                RevocationCheckingPolicy(
                    ee_certificate_rule=rule,
                    intermediate_ca_cert_rule=RevocationCheckingRule.CHECK_IF_DECLARED_SOFT,
                ),
                retroactive_revinfo=at is not None,
            ),
        )

    # Our certificates name no CRL distribution point, so pyHanko's "hard-fail" would
    # never consult the CRLs: with CRLs given, a certificate from a trusted CA must be
    # on a current CRL of theirs. An external TSA's certificate is held to its own
    # declared sources, which are not fetched (soft).
    root_names = {root.subject.dump() for root in roots}

    def timestamp_context(
        signed_data_list: list[cms.SignedData], at: dt.datetime | None = None
    ) -> ValidationContext:
        for signed_data in signed_data_list:
            tsa_cert = extract_certificate_info(signed_data).signer_cert
            if tsa_cert.issuer.dump() not in root_names:
                return context(RevocationCheckingRule.CHECK_IF_DECLARED_SOFT, at)
        return context(strict_rule, at)

    strict_rule = (
        RevocationCheckingRule.CRL_REQUIRED if revocation_lists else RevocationCheckingRule.NO_CHECK
    )
    reference = moment or dt.datetime.now(dt.timezone.utc)

    reports: list[SignatureReport] = []
    for embedded in embedded_signatures:
        status: PdfSignatureStatus | DocumentTimestampStatus
        try:
            if embedded.sig_object_type == "/DocTimeStamp":
                at = _claimed_time([embedded.signed_data], reference)
                status = await async_validate_pdf_timestamp(
                    embedded,
                    timestamp_context([embedded.signed_data], at),
                    diff_policy=diff_policy,
                )
            else:
                tokens = list(extract_tst_data_iter(embedded.signer_info, signed=False))
                at = _claimed_time(tokens, reference)
                status = await async_validate_pdf_signature(
                    embedded,
                    context(strict_rule, at),
                    ts_validation_context=timestamp_context(tokens, at),
                    diff_policy=diff_policy,
                )
        except Exception as exc:  # a malformed signature is a finding, not a crash
            reports.append(_unreadable(embedded, exc))
            continue
        report = _report(embedded, status)
        if _claimed_time_in_future(
            tokens if embedded.sig_object_type != "/DocTimeStamp" else [embedded.signed_data],
            reference,
        ):
            report = replace(report, timestamp_in_future=True)
        reports.append(report)
    return ValidationReport(signatures=tuple(reports), unsigned_fields=unsigned)


def _unreadable(embedded: EmbeddedPdfSignature, exc: Exception) -> SignatureReport:
    return SignatureReport(
        field_name=embedded.field_name,
        signer_name="",
        signer_title="",
        signer_organisation="",
        certificate_sha256="",
        signing_time=None,
        timestamp_time=None,
        is_certification=False,
        is_document_timestamp=embedded.sig_object_type == "/DocTimeStamp",
        intact=False,
        valid=False,
        trusted=False,
        revoked=False,
        timestamp_ok=False,
        certificate_valid_at_signing=False,
        modification_level=None,
        docmdp_ok=None,
        bottom_line=False,
        error=str(exc).strip() or type(exc).__name__,
    )


def validate_pdf(
    pdf: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList | bytes] = (),
    now: dt.datetime | None = None,
    reader: PdfFileReader | None = None,
    diff_policy: DiffPolicy | None = None,
) -> ValidationReport:
    """pyHanko's facts about every signature and document timestamp in pdf.

    now is the validation time; None lets pyHanko use the current time. With CRLs,
    revocation is checked strictly (a CRL must be current at that time); without, only
    the certificates' chain and validity are checked. reader: pdf already opened (non-strict)
    by the caller, whose parsed objects and revisions pyHanko then reads instead of parsing
    the file again. diff_policy: how later revisions are judged (default: pyHanko's own
    analysis; attest.verify.revisions for attest's documents).
    """
    return run_sync(
        async_validate_pdf(
            pdf,
            trust_roots=trust_roots,
            crls=crls,
            now=now,
            reader=reader,
            diff_policy=diff_policy,
        )
    )


@dataclass(frozen=True)
class DetachedReport:
    """The facts about a detached CMS signature over some data."""

    intact: bool  # the data is what was signed
    valid: bool
    trusted: bool  # the signer's certificate chains to a trust root
    signer_sha256: str  # hex fingerprint of the signer's certificate ("" if unreadable)
    signer_name: str
    signing_time: dt.datetime | None  # the signed signingTime attribute
    timestamp_time: dt.datetime | None  # the signature timestamp's, when it is trusted
    timestamp_ok: bool
    error: str | None = None  # could not be read at all


async def async_validate_detached(
    data: bytes,
    signature: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    now: dt.datetime | None = None,
) -> DetachedReport:
    """See validate_detached."""
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

    roots = [asn1_certificate(c) for c in trust_roots]
    try:
        signed_data = cms.ContentInfo.load(signature)["content"]
        tokens = list(extract_tst_data_iter(signed_data["signer_infos"][0], signed=False))
        at = _claimed_time(tokens, require_utc(now) if now else dt.datetime.now(dt.timezone.utc))
        context = ValidationContext(
            trust_roots=roots,
            moment=at or (require_utc(now) if now else None),
            allow_fetching=False,
            revinfo_policy=CertRevTrustPolicy(
                RevocationCheckingPolicy(
                    ee_certificate_rule=RevocationCheckingRule.NO_CHECK,
                    intermediate_ca_cert_rule=RevocationCheckingRule.NO_CHECK,
                )
            ),
        )
        status = await async_validate_detached_cms(data, signed_data, context)
    except Exception as exc:  # a damaged signature is a finding, not a crash
        return DetachedReport(False, False, False, "", "", None, None, False, str(exc) or "?")
    tst = status.timestamp_validity
    timestamp_ok = tst is not None and tst.intact and tst.valid and tst.trusted
    cert = status.signing_cert
    return DetachedReport(
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        signer_sha256=cert.sha256.hex(),
        signer_name=_name_attribute(cert, "common_name"),
        signing_time=status.signer_reported_dt,
        timestamp_time=tst.timestamp if tst is not None and timestamp_ok else None,
        timestamp_ok=timestamp_ok,
    )


def validate_detached(
    data: bytes,
    signature: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    now: dt.datetime | None = None,
) -> DetachedReport:
    """pyHanko's facts about a detached CMS signature (sign_detached) over data, judged at
    the time its trusted timestamp proves."""
    return run_sync(async_validate_detached(data, signature, trust_roots=trust_roots, now=now))
