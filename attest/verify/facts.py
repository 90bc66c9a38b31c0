"""What the verifier reads from the file itself, beside pyHanko's per-signature facts.

Every signature (its revision, byte range, kind, certificate, claimed time, timestamp
token, field), the form's signature fields, and the revocation lists the file carries
(in the DSS and in the signatures). Nothing here judges: the checks do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any, Iterable

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from cryptography import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.validation import EmbeddedPdfSignature
from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter

from attest.pki.profile import PersonCertificate, read_person

__all__ = [
    "Document",
    "Signature",
    "Token",
    "describe",
    "pyca",
    "read_document",
]

# Revocation lists a file may carry; more is not an attest file, and is not read.
MAX_EMBEDDED_CRLS = 64
MAX_CRL_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Token:
    """The RFC 3161 token on a signature (or a document timestamp's own)."""

    gen_time: dt.datetime | None
    matches: bool  # the message imprint is the hash of what it claims to stamp
    tsa_cert: x509.Certificate | None


@dataclass(frozen=True)
class Signature:
    """What the verifier reads itself about one embedded signature."""

    field_name: str
    revision: int
    covered_end: int  # the end of the signed byte range
    is_document_timestamp: bool
    is_certification: bool
    docmdp_level: int | None
    md_algorithm: str
    cert: x509.Certificate | None
    claimed_time: dt.datetime | None
    token: Token | None
    field_ref: Any  # the field's indirect reference, to read it as of a revision

    @property
    def person(self) -> PersonCertificate | None:
        return read_person(self.cert) if self.cert is not None else None

    @property
    def is_approval(self) -> bool:
        return not (self.is_certification or self.is_document_timestamp)


@dataclass(frozen=True)
class Document:
    """The file as the verifier reads it itself."""

    reader: PdfFileReader
    signatures: tuple[Signature, ...]  # in the order they were made
    broken: tuple[tuple[str, str], ...]  # (field, why) for signatures that cannot be read
    field_names: tuple[tuple[str, bool], ...]  # every signature field: (name, filled)
    embedded_crls: tuple[x509.CertificateRevocationList, ...]  # DSS and signatures' CRLs

    def signature(self, field_name: str) -> Signature | None:
        return next((s for s in self.signatures if s.field_name == field_name), None)


def pyca(cert: Any) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def describe(exc: BaseException) -> str:
    """A technical cause, short enough to print in a report."""
    detail = str(exc).strip() or type(exc).__name__
    return detail if len(detail) <= 160 else detail[:157] + "..."


def _read_token(signed_data: cms.SignedData, stamped: bytes | None) -> Token:
    """A token's time, TSA certificate, and whether its imprint matches the stamped bytes.

    stamped None: a document timestamp, whose imprint pyHanko checks as its integrity.
    """
    tst_info = signed_data["encap_content_info"]["content"].parsed
    imprint = tst_info["message_imprint"]
    matches = True
    if stamped is not None:
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        try:
            digest = hashlib.new(algorithm.replace("_", "-"), stamped).digest()
        except ValueError:
            digest = b""
        matches = digest == imprint["hashed_message"].native
    tsa_cert = extract_certificate_info(signed_data).signer_cert
    return Token(
        gen_time=tst_info["gen_time"].native,
        matches=matches,
        tsa_cert=pyca(tsa_cert) if tsa_cert is not None else None,
    )


def _validated_certificate(embedded: EmbeddedPdfSignature, sha256: str | None) -> Any:
    """The signer's certificate pyHanko validated, found by the fingerprint it reported.

    The name shown must be that of the certificate that was checked. pyHanko chose it by
    the ESS signing-certificate attribute; finding it again by fingerprint is cheaper.
    """
    if sha256:
        for choice in embedded.signed_data["certificates"]:
            if choice.name == "certificate" and choice.chosen.sha256.hex() == sha256:
                return choice.chosen
    return embedded.signer_cert


def _read_signature(embedded: EmbeddedPdfSignature, sha256: str | None, ref: Any) -> Signature:
    is_document_timestamp = embedded.sig_object_type == "/DocTimeStamp"
    byte_range = [int(v) for v in embedded.byte_range]
    token: Token | None
    if is_document_timestamp:
        token = _read_token(embedded.signed_data, None)
    else:
        tokens = list(extract_tst_data_iter(embedded.signer_info, signed=False))
        signature_value = embedded.signer_info["signature"].native
        token = _read_token(tokens[0], signature_value) if tokens else None
    is_certification = any(
        reference.get_object().get("/TransformMethod") == "/DocMDP"
        for reference in embedded.sig_object.get("/Reference", ())
    )
    level = embedded.docmdp_level if is_certification else None
    return Signature(
        # A plain str: pyHanko's string objects point back into the whole parsed file.
        field_name=str(embedded.field_name),
        revision=embedded.signed_revision,
        covered_end=byte_range[-2] + byte_range[-1] if len(byte_range) >= 2 else 0,
        is_document_timestamp=is_document_timestamp,
        is_certification=is_certification,
        docmdp_level=level.value if level is not None else None,
        md_algorithm=embedded.md_algorithm,
        cert=pyca(_validated_certificate(embedded, sha256)),
        claimed_time=None if is_document_timestamp else embedded.self_reported_timestamp,
        token=token,
        field_ref=ref,
    )


_SUBFILTERS = {s.value for s in SigSeedSubFilter}


def _signature_crls(embedded: EmbeddedPdfSignature) -> Iterable[asn1_crl.CertificateList]:
    """CRLs a signature carries: in its CMS, and Adobe's revocation-info attribute."""
    for choice in embedded.signed_data["crls"] or ():
        if choice.name == "crl":
            yield choice.chosen
    for attribute in embedded.signer_info["signed_attrs"] or ():
        if attribute["type"].native == "adobe_revocation_info_archival":
            for value in attribute["values"]:
                for crl in value["crl"] or ():
                    yield crl


def _dss_crls(reader: PdfFileReader) -> Iterable[asn1_crl.CertificateList]:
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return
    for ref in list(dss.crls)[:MAX_EMBEDDED_CRLS]:
        stream = ref.get_object()
        if not isinstance(stream, generic.StreamObject):
            continue
        yield asn1_crl.CertificateList.load(stream.read_data(DecodePurpose.CRL))


def _to_pyca(crls: Iterable[asn1_crl.CertificateList]) -> list[x509.CertificateRevocationList]:
    found: dict[bytes, x509.CertificateRevocationList] = {}
    for crl in crls:
        der = crl.dump()
        if len(der) > MAX_CRL_BYTES or der in found or len(found) >= MAX_EMBEDDED_CRLS:
            continue
        try:
            found[der] = x509.load_der_x509_crl(der)
        except ValueError:
            continue  # an unreadable list vouches for nothing
    return list(found.values())


def read_document(reader: PdfFileReader, fingerprints: dict[str, str]) -> Document:
    """Every signature field and signature; fingerprints: field -> pyHanko's certificate."""
    signatures: list[tuple[tuple[int, int], Signature]] = []
    broken: list[tuple[str, str]] = []
    fields: list[tuple[str, bool]] = []
    carried: list[asn1_crl.CertificateList] = []
    for name, value, field_ref in enumerate_sig_fields(reader, filled_status=None):
        fields.append((name, value is not None))
        if value is None:
            continue
        try:
            subfilter = value.get_object().get("/SubFilter")
            if subfilter not in _SUBFILTERS:
                raise ValueError(f"okänd /SubFilter {subfilter}")
            embedded = EmbeddedPdfSignature(reader, field_ref, name)
            signature = _read_signature(embedded, fingerprints.get(name), field_ref)
            # A rewritten file puts every signature in one revision: the ranges still tell.
            signatures.append(((signature.revision, signature.covered_end), signature))
            carried.extend(_signature_crls(embedded))
        except Exception as exc:  # a damaged signature is a finding, not a crash
            broken.append((name, describe(exc)))
    signatures.sort(key=lambda pair: pair[0])
    try:
        carried.extend(_dss_crls(reader))
    except Exception:  # noqa: BLE001 - a damaged DSS carries nothing; the archive check says so
        pass
    return Document(
        reader,
        tuple(s for _, s in signatures),
        tuple(broken),
        tuple(fields),
        tuple(_to_pyca(carried)),
    )
