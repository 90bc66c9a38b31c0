"""The verification core: is this PDF exactly what the named people attested, and if not, why?

``verify_pdf`` needs nothing but the file, the organisation's CA certificate and, when
the clerk has it, a current CRL. It takes the per-signature facts from
``attest.signing.validate_pdf`` (pyHanko) and adds what a signature validator does not
know about attest: the system seal certifies first, the attestations fill the rows of
the "Attesterat av" table in route order, every row is signed, a document timestamp with
validation data closes the file, and nothing follows it. The result is one frozen
``Check`` per fact, each with its reason in Swedish and English.

Nothing here imports Flask or the database: the CLI and the web page share this module.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import os
import re
from dataclasses import asdict, dataclass, field
from io import BytesIO
from typing import Any, Iterable, Sequence

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.misc import PDF_WHITESPACE
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.validation import EmbeddedPdfSignature
from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter

from attest.pki.ca import certificate_name, require_utc
from attest.signing.fields import STEP_FIELD_PREFIX
from attest.signing.sign import ARCHIVE_TIMESTAMP_FIELD, CERTIFICATION_FIELD
from attest.signing.validate import SignatureReport, ValidationReport, validate_pdf
from attest.verify import report as texts
from attest.verify.report import Both, format_time

__all__ = [
    "CHECK_CODES",
    "Attestation",
    "Check",
    "VerificationResult",
    "load_crls",
    "load_trust",
    "verify_pdf",
]

OK, FAILED, NOT_CHECKED = "ok", "failed", "not_checked"
VALID, INVALID, UNDECIDABLE = "valid", "invalid", "undecidable"

# The stable identifiers of the checks, in the order a report lists them.
CHECK_CODES = (
    "file_is_pdf",
    "has_signatures",
    "certification_first",
    "intact",
    "valid",
    "trusted",
    "not_revoked",
    "timestamp",
    "time_within_validity",
    "changes_allowed",
    "route_order",
    "complete",
    "archive_timestamp",
    "nothing_after",
    "records",
)
_DOCUMENT_CHECKS = (
    "has_signatures",
    "certification_first",
    "route_order",
    "complete",
    "archive_timestamp",
    "nothing_after",
)

STEP_FIELD = re.compile(re.escape(STEP_FIELD_PREFIX) + r"([1-9][0-9]*)$")
ARCHIVE_FIELD = re.compile(re.escape(ARCHIVE_TIMESTAMP_FIELD) + r"(-[2-9]|-[1-9][0-9]+)?$")
ALLOWED_MODIFICATIONS = ("NONE", "LTA_UPDATES", "FORM_FILLING")
STRONG_DIGESTS = ("sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512")
# DocMDP P=2: filling in forms and signing; the certification permits nothing more.
FILL_FORMS = 2
# A TSA's clock and the verifier's may differ a little; more than this is "in the future".
CLOCK_TOLERANCE = dt.timedelta(minutes=5)
# How much later than its timestamp a signer may claim to have signed (network, queues).
CLAIM_TOLERANCE = dt.timedelta(minutes=10)
SEAL_NAME_PREFIX = "attest systemsigill"
ROW_INFLATE_LIMIT = 16 * 1024 * 1024


@dataclass(frozen=True)
class Check:
    """One fact about the file: ok, failed or not checked, and why, in Swedish and English."""

    code: str  # one of CHECK_CODES
    status: str  # "ok" | "failed" | "not_checked"
    message: str  # Swedish
    message_en: str
    subject: str = ""  # the signature field the check is about; "" for the whole file

    def text(self, lang: str = "sv") -> str:
        return self.message if lang == "sv" else self.message_en


@dataclass(frozen=True)
class Attestation:
    """One signed row of the "Attesterat av" table, as the certificate names the signer."""

    position: int  # the route step, 1-based: attest-steg-<position>
    field_name: str
    signer_name: str
    title: str
    organisation: str
    signing_time: dt.datetime | None  # claimed by the signer: not evidence
    timestamp_time: dt.datetime | None  # from a timestamp token the check trusted
    certificate_sha256: str


@dataclass(frozen=True)
class VerificationResult:
    """The verdict first, then who attested what and when, then every check."""

    verdict: str  # "valid" | "invalid" | "undecidable"
    attestations: tuple[Attestation, ...]
    checks: tuple[Check, ...]
    file_sha256: str
    file_size: int
    verified_at: dt.datetime  # the time the certificates and signatures were judged at

    @property
    def ok(self) -> bool:
        return self.verdict == VALID

    @property
    def unusable(self) -> bool:
        """The input could not be read as a PDF at all (the CLI exits 2 for it)."""
        return any(c.code == "file_is_pdf" and c.status == FAILED for c in self.checks)

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status == FAILED)

    @property
    def failed_codes(self) -> frozenset[str]:
        return frozenset(c.code for c in self.failed)

    def title(self, lang: str = "sv") -> str:
        """The verdict as users read it: Giltig / Ogiltig / Kan inte avgöras."""
        return texts.VERDICT_TITLES[self.verdict][texts.LANGUAGES.index(lang)]

    @property
    def verdict_title(self) -> str:
        return self.title("sv")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (times in ISO 8601, UTC)."""
        data = _jsonable(asdict(self))
        data["verdict_title"] = {lang: self.title(lang) for lang in texts.LANGUAGES}
        return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


# --- Loading the clerk's inputs ------------------------------------------------------------


def load_trust(data: bytes) -> tuple[x509.Certificate, ...]:
    """Every certificate in a PEM bundle, or the one DER certificate; ValueError if none."""
    if b"-----BEGIN" in data:
        certs = tuple(x509.load_pem_x509_certificates(data))
    else:
        certs = (x509.load_der_x509_certificate(data),)
    if not certs:
        raise ValueError("no certificate found")
    return certs


def load_crls(data: bytes) -> tuple[x509.CertificateRevocationList, ...]:
    """The CRLs in a PEM file (one or more), or the one DER CRL."""
    if b"-----BEGIN" not in data:
        return (x509.load_der_x509_crl(data),)
    blocks = re.findall(
        rb"-----BEGIN X509 CRL-----.+?-----END X509 CRL-----", data, flags=re.DOTALL
    )
    if not blocks:
        raise ValueError("no CRL found")
    return tuple(x509.load_pem_x509_crl(block) for block in blocks)


# --- Facts read from the file, beyond pyHanko's report -------------------------------------


@dataclass(frozen=True)
class _Token:
    """The RFC 3161 token on a signature (or a document timestamp's own)."""

    gen_time: dt.datetime | None
    matches: bool  # the message imprint is the hash of what it claims to stamp
    tsa_cert: x509.Certificate | None


@dataclass(frozen=True)
class _Signature:
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
    token: _Token | None


@dataclass
class _Findings:
    """Checks as they are found, and whether some fact could not be decided."""

    checks: list[Check] = field(default_factory=list)
    undecided: bool = False

    def add(self, code: str, status: str, key: str, subject: str = "", **params: Any) -> None:
        self.checks.append(
            Check(
                code=code,
                status=status,
                message=texts.text(key, "sv", **params),
                message_en=texts.text(key, "en", **params),
                subject=subject,
            )
        )

    def add_joined(self, code: str, problems: list[tuple[str, str, dict[str, Any]]]) -> None:
        """One failed check whose message lists every problem found for it."""
        self.checks.append(
            Check(
                code=code,
                status=FAILED,
                message=" ".join(texts.text(k, "sv", **p) for k, _, p in problems),
                message_en=" ".join(texts.text(k, "en", **p) for k, _, p in problems),
                subject=problems[0][1] if len({s for _, s, _ in problems}) == 1 else "",
            )
        )


def _pyca(cert: Any) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def _read_token(signed_data: cms.SignedData, stamped: bytes | None) -> _Token:
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
    return _Token(
        gen_time=tst_info["gen_time"].native,
        matches=matches,
        tsa_cert=_pyca(tsa_cert) if tsa_cert is not None else None,
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


def _read_signature(embedded: EmbeddedPdfSignature, sha256: str | None) -> _Signature:
    is_document_timestamp = embedded.sig_object_type == "/DocTimeStamp"
    byte_range = [int(v) for v in embedded.byte_range]
    token: _Token | None
    if is_document_timestamp:
        token = _read_token(embedded.signed_data, None)
    else:
        tokens = list(extract_tst_data_iter(embedded.signer_info, signed=False))
        signature_value = embedded.signer_info["signature"].native
        token = _read_token(tokens[0], signature_value) if tokens else None
    is_certification = any(
        ref.get_object().get("/TransformMethod") == "/DocMDP"
        for ref in embedded.sig_object.get("/Reference", ())
    )
    level = embedded.docmdp_level if is_certification else None
    return _Signature(
        field_name=embedded.field_name,
        revision=embedded.signed_revision,
        covered_end=byte_range[-2] + byte_range[-1] if len(byte_range) >= 2 else 0,
        is_document_timestamp=is_document_timestamp,
        is_certification=is_certification,
        docmdp_level=level.value if level is not None else None,
        md_algorithm=embedded.md_algorithm,
        cert=_pyca(_validated_certificate(embedded, sha256)),
        claimed_time=None if is_document_timestamp else embedded.self_reported_timestamp,
        token=token,
    )


@dataclass(frozen=True)
class _Document:
    """The file as the verifier reads it itself."""

    reader: PdfFileReader
    signatures: tuple[_Signature, ...]  # in the order they were made
    broken: tuple[tuple[str, str], ...]  # (field, why) for signatures that cannot be read
    field_names: tuple[tuple[str, bool], ...]  # every signature field: (name, filled)


_SUBFILTERS = {s.value for s in SigSeedSubFilter}


def _read_document(reader: PdfFileReader, fingerprints: dict[str, str]) -> _Document:
    """Every signature field and signature; fingerprints: field -> pyHanko's certificate."""
    signatures: list[tuple[tuple[int, int], _Signature]] = []
    broken: list[tuple[str, str]] = []
    fields: list[tuple[str, bool]] = []
    for name, value, field_ref in enumerate_sig_fields(reader, filled_status=None):
        fields.append((name, value is not None))
        if value is None:
            continue
        try:
            subfilter = value.get_object().get("/SubFilter")
            if subfilter not in _SUBFILTERS:
                raise ValueError(f"okänd /SubFilter {subfilter}")
            embedded = EmbeddedPdfSignature(reader, field_ref, name)
            signature = _read_signature(embedded, fingerprints.get(name))
            # A rewritten file puts every signature in one revision: the ranges still tell.
            signatures.append(((signature.revision, signature.covered_end), signature))
        except Exception as exc:  # a damaged signature is a finding, not a crash
            broken.append((name, _describe(exc)))
    signatures.sort(key=lambda pair: pair[0])
    return _Document(reader, tuple(s for _, s in signatures), tuple(broken), tuple(fields))


def _describe(exc: Exception) -> str:
    detail = str(exc).strip() or type(exc).__name__
    return detail if len(detail) <= 160 else detail[:157] + "..."


# --- Trust and revocation, for the reasons behind pyHanko's facts ------------------------


def _issuer_in(
    cert: x509.Certificate, trust: Sequence[x509.Certificate]
) -> x509.Certificate | None:
    """The trust root that issued cert (or is cert), verified by signature; else None."""
    for root in trust:
        if cert == root:
            return root
        if cert.issuer != root.subject:
            continue
        try:
            cert.verify_directly_issued_by(root)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return root
    return None


def _crl_issued_by(crl: x509.CertificateRevocationList, root: x509.Certificate) -> bool:
    key: Any = root.public_key()  # an RSA key for attest's CAs; the stubs list every kind
    return crl.issuer == root.subject and crl.is_signature_valid(key)


def _revocation_date(
    cert: x509.Certificate,
    crls: Sequence[x509.CertificateRevocationList],
    trust: Sequence[x509.Certificate],
) -> dt.datetime | None:
    """When a CRL of the issuing CA lists cert as revoked; None if none of them does."""
    issuer = _issuer_in(cert, trust)
    if issuer is None:
        return None
    for crl in crls:
        if not _crl_issued_by(crl, issuer):
            continue
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is not None:
            return entry.revocation_date_utc
    return None


def _organisation(cert: x509.Certificate) -> str:
    return certificate_name(cert)[2]


def _who(cert: x509.Certificate | None, fallback: str) -> str:
    if cert is None:
        return fallback
    name, title, _ = certificate_name(cert)
    return f"{name} ({title})" if title else name or fallback


# --- The checks -----------------------------------------------------------------------------


def _system_now() -> dt.datetime:
    # The one place the verifier reads the clock: when no time of checking is given.
    return dt.datetime.now(dt.timezone.utc)


def _check_file(data: bytes, findings: _Findings) -> PdfFileReader | None:
    if not data:
        findings.add("file_is_pdf", FAILED, "file_is_pdf.empty")
        return None
    if data.find(b"%PDF-", 0, 1024) < 0:
        findings.add("file_is_pdf", FAILED, "file_is_pdf.not_pdf")
        return None
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        if reader.encrypted:
            findings.add("file_is_pdf", FAILED, "file_is_pdf.encrypted")
            return None
        reader.root.get("/AcroForm")
        reader.root["/Pages"].get_object()
    except Exception as exc:  # whatever a damaged file makes the parser raise
        findings.add("file_is_pdf", FAILED, "file_is_pdf.unreadable", detail=_describe(exc))
        return None
    findings.add("file_is_pdf", OK, "file_is_pdf.ok")
    return reader


def _not_checked(findings: _Findings, key: str) -> None:
    for code in _DOCUMENT_CHECKS:
        if not any(c.code == code for c in findings.checks):
            findings.add(code, NOT_CHECKED, key)


def _validate(
    data: bytes,
    trust: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    at: dt.datetime,
) -> dict[str, SignatureReport]:
    """attest.signing's per-signature facts (pyHanko), by field name."""
    report: ValidationReport = validate_pdf(data, trust_roots=trust, crls=crls, now=at)
    return {s.field_name: s for s in report.signatures}


class _Verifier:
    """One verification: the clerk's inputs, the file's facts, and pyHanko's report."""

    def __init__(
        self,
        data: bytes,
        document: _Document,
        trust: Sequence[x509.Certificate],
        crls: Sequence[x509.CertificateRevocationList],
        now: dt.datetime,
        findings: _Findings,
        report: dict[str, SignatureReport],
    ) -> None:
        self.data = data
        self.document = document
        self.trust = tuple(trust)
        self.crls = tuple(crls)
        self.now = now
        self.findings = findings
        self.report = report
        self._without_crls: dict[str, SignatureReport] | None = None

    def without_crls(self) -> dict[str, SignatureReport]:
        """pyHanko's facts when revocation is not checked: to tell "revoked" from "unknown"."""
        if self._without_crls is None:
            self._without_crls = _validate(self.data, self.trust, (), self.now)
        return self._without_crls

    # -- per signature ------------------------------------------------------------------

    def check_signature(self, sig: _Signature) -> SignatureReport | None:
        add = self.findings.add
        name = sig.field_name
        facts = self.report.get(name)
        if facts is None and self.document.broken:
            # pyHanko validates all signatures of a file or none: another one is unreadable.
            add("intact", NOT_CHECKED, "intact.not_validated", name, field=name)
            return None
        if facts is None or (not facts.intact and facts.signer_name == "" and facts.problems):
            detail = facts.problems[0] if facts is not None else "?"
            add("intact", FAILED, "intact.unreadable", name, field=name, detail=detail)
            return None
        who = _who(sig.cert, facts.signer_name)
        issuer = _issuer_in(sig.cert, self.trust) if sig.cert is not None else None
        anchors = [issuer] if issuer is not None else self.trust
        ca = ", ".join(certificate_name(c)[0] for c in anchors)

        if facts.intact:
            add("intact", OK, "intact.ok", name, field=name)
        else:
            add("intact", FAILED, "intact.failed", name, field=name)

        algorithm = sig.md_algorithm.upper().replace("SHA", "SHA-").replace("_", "-")
        if not facts.intact:
            add("valid", NOT_CHECKED, "valid.not_intact", name, field=name)
        elif sig.md_algorithm not in STRONG_DIGESTS:
            add("valid", FAILED, "valid.weak", name, field=name, algorithm=algorithm)
        elif facts.valid:
            add("valid", OK, "valid.ok", name, field=name, algorithm=algorithm)
        else:
            add("valid", FAILED, "valid.failed", name, field=name, algorithm=algorithm)

        facts = self._check_trust(sig, facts, who, issuer, ca)
        if not sig.is_document_timestamp:
            self._check_timestamp(sig, facts)
        self._check_time(sig, facts)

        level = facts.modification_level
        if level is None:
            add("changes_allowed", FAILED, "changes_allowed.unknown", name, field=name)
        elif level not in ALLOWED_MODIFICATIONS:
            add(
                "changes_allowed",
                FAILED,
                "changes_allowed.failed",
                name,
                field=name,
                level=_level(level),
            )
        elif facts.docmdp_ok is False:
            add("changes_allowed", FAILED, "changes_allowed.docmdp", name, field=name)
        else:
            add("changes_allowed", OK, "changes_allowed.ok", name, field=name, level=_level(level))
        return facts

    def _check_trust(
        self,
        sig: _Signature,
        facts: SignatureReport,
        who: str,
        issuer: x509.Certificate | None,
        ca: str,
    ) -> SignatureReport:
        """The trusted and not_revoked checks; the facts the later checks should use.

        pyHanko judges each certificate at the time its trusted timestamp proves (see
        attest.signing.validate); this names the reason when it says no.
        """
        add, name, cert = self.findings.add, sig.field_name, sig.cert
        signed_at = self._signed_at(sig, facts)
        revoked_at = _revocation_date(cert, self.crls, self.trust) if cert is not None else None

        if facts.trusted:
            if cert and signed_at and self.now > cert.not_valid_after_utc:
                time = format_time(signed_at)
                add("trusted", OK, "trusted.ok_at_timestamp", name, who=who, ca=ca, time=time)
            else:
                add("trusted", OK, "trusted.ok", name, who=who, ca=ca)
            self._add_revocation(name, who, revoked_at, signed_at)
            return facts
        if issuer is None or cert is None:
            add("trusted", FAILED, "trusted.foreign", name, who=who)
            add("not_revoked", NOT_CHECKED, "not_revoked.not_trusted", name, who=who)
            return facts
        if not facts.intact:
            # pyHanko judges no certificate of a signature whose bytes changed.
            add("trusted", NOT_CHECKED, "trusted.not_intact", name, field=name)
            add("not_revoked", NOT_CHECKED, "not_revoked.not_trusted", name, who=who)
            return facts
        if facts.revoked or (
            revoked_at is not None and (signed_at is None or revoked_at <= signed_at)
        ):
            add("trusted", OK, "trusted.revoked", name, who=who, ca=ca)
            when = f" {format_time(revoked_at)}" if revoked_at is not None else ""
            add("not_revoked", FAILED, "not_revoked.revoked", name, who=who, when=when)
            return facts
        at = signed_at or self.now
        if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
            add(
                "trusted",
                FAILED,
                "trusted.not_valid_then",
                name,
                who=who,
                time=format_time(at),
                not_before=format_time(cert.not_valid_before_utc),
                not_after=format_time(cert.not_valid_after_utc),
            )
            add("not_revoked", NOT_CHECKED, "not_revoked.not_trusted", name, who=who)
            return facts
        if self.crls:
            lenient = self.without_crls().get(name)
            if lenient is not None and lenient.trusted:
                # Trusted without the CRLs, not with them: none of them vouches for it.
                add("trusted", OK, "trusted.ok", name, who=who, ca=ca)
                add("not_revoked", NOT_CHECKED, "not_revoked.unknown", name, who=who)
                self.findings.undecided = True
                return lenient
        add("trusted", FAILED, "trusted.other", name, who=who)
        add("not_revoked", NOT_CHECKED, "not_revoked.not_trusted", name, who=who)
        return facts

    def _add_revocation(
        self,
        name: str,
        who: str,
        revoked_at: dt.datetime | None,
        signed_at: dt.datetime | None,
    ) -> None:
        add = self.findings.add
        if not self.crls:
            add("not_revoked", NOT_CHECKED, "not_revoked.no_crl", name, who=who)
        elif revoked_at is None:
            add("not_revoked", OK, "not_revoked.ok", name, who=who)
        elif signed_at is not None and signed_at < revoked_at:
            # Revoked after the timestamp proves the signature was made: it stands.
            add(
                "not_revoked",
                OK,
                "not_revoked.revoked_later",
                name,
                who=who,
                when=format_time(revoked_at),
                time=format_time(signed_at),
            )
        else:
            when = f" {format_time(revoked_at)}"
            add("not_revoked", FAILED, "not_revoked.revoked", name, who=who, when=when)

    def _signed_at(self, sig: _Signature, facts: SignatureReport) -> dt.datetime | None:
        if facts.timestamp_time is not None:
            return facts.timestamp_time
        return sig.token.gen_time if sig.token is not None else None

    def _check_timestamp(self, sig: _Signature, facts: SignatureReport) -> None:
        add, name, token = self.findings.add, sig.field_name, sig.token
        if token is None:
            add("timestamp", FAILED, "timestamp.missing", name, field=name)
            return
        tsa = _who(token.tsa_cert, "?")
        if not token.matches:
            add("timestamp", FAILED, "timestamp.mismatch", name, field=name)
        elif facts.timestamp_ok:
            add(
                "timestamp",
                OK,
                "timestamp.ok",
                name,
                field=name,
                tsa=tsa,
                time=format_time(facts.timestamp_time),
            )
        elif token.tsa_cert is None or _issuer_in(token.tsa_cert, self.trust) is None:
            add("timestamp", FAILED, "timestamp.untrusted", name, field=name, tsa=tsa)
        else:
            add("timestamp", FAILED, "timestamp.invalid", name, field=name)

    def _check_time(self, sig: _Signature, facts: SignatureReport) -> None:
        add, name, cert = self.findings.add, sig.field_name, sig.cert
        if sig.is_document_timestamp:
            what = {"what": Both("Dokumenttidsstämpeln", "document timestamp")}
        else:
            what = {"what": Both("Signaturen", "signature")}
        at = self._signed_at(sig, facts) or sig.claimed_time
        if at is None or cert is None:
            add("time_within_validity", FAILED, "time_within_validity.no_time", name, field=name)
            return
        validity = {
            "not_before": format_time(cert.not_valid_before_utc),
            "not_after": format_time(cert.not_valid_after_utc),
        }
        latest = max(t for t in (at, sig.claimed_time) if t is not None)
        if latest > self.now + CLOCK_TOLERANCE:
            add(
                "time_within_validity",
                FAILED,
                "time_within_validity.future",
                name,
                field=name,
                time=format_time(latest),
                now=format_time(self.now),
                **what,
            )
        elif not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
            add(
                "time_within_validity",
                FAILED,
                "time_within_validity.outside",
                name,
                field=name,
                time=format_time(at),
                **validity,
                **what,
            )
        elif sig.claimed_time is not None and sig.claimed_time > at + CLAIM_TOLERANCE:
            add(
                "time_within_validity",
                FAILED,
                "time_within_validity.claim_mismatch",
                name,
                field=name,
                claimed=format_time(sig.claimed_time),
                time=format_time(at),
            )
        else:
            add(
                "time_within_validity",
                OK,
                "time_within_validity.ok",
                name,
                field=name,
                time=format_time(at),
                **validity,
                **what,
            )

    # -- the document -------------------------------------------------------------------

    def check_certification(self, facts: dict[str, SignatureReport | None]) -> None:
        add = self.findings.add
        signatures = self.document.signatures
        certifications = [s for s in signatures if s.is_certification]
        seal = next((s for s in signatures if s.field_name == CERTIFICATION_FIELD), None)
        if len(certifications) > 1:
            fields = ", ".join(s.field_name for s in certifications)
            add("certification_first", FAILED, "certification_first.several", fields=fields)
        elif seal is None:
            add("certification_first", FAILED, "certification_first.missing")
        elif signatures[0] is not seal:
            add(
                "certification_first",
                FAILED,
                "certification_first.not_first",
                field=signatures[0].field_name,
            )
        elif not seal.is_certification:
            add("certification_first", FAILED, "certification_first.not_certification")
        elif seal.docmdp_level != FILL_FORMS:
            add(
                "certification_first",
                FAILED,
                "certification_first.permissions",
                permission=f"P={seal.docmdp_level}",
            )
        elif seal.cert is None or not _is_seal(seal.cert):
            add(
                "certification_first",
                FAILED,
                "certification_first.not_seal",
                signer=_who(seal.cert, "?"),
            )
        elif (seal_facts := facts.get(CERTIFICATION_FIELD)) is None:
            add("certification_first", NOT_CHECKED, "certification_first.not_validated")
        elif not (seal_facts.trusted and seal_facts.intact and seal_facts.valid):
            add("certification_first", FAILED, "certification_first.untrusted")
        else:
            add(
                "certification_first",
                OK,
                "certification_first.ok",
                signer=_who(seal.cert, "?"),
                time=format_time(self._signed_at(seal, seal_facts)),
            )

    def check_route(self) -> None:
        problems: list[tuple[str, str, dict[str, Any]]] = []
        steps = self.attestation_signatures()
        names = {name for name, _ in self.document.field_names}
        for name in sorted(names):
            if not (
                name == CERTIFICATION_FIELD or STEP_FIELD.match(name) or ARCHIVE_FIELD.match(name)
            ):
                problems.append(("route_order.extra_field", name, {"field": name}))
        for sig in self.document.signatures:
            approval = not (sig.is_certification or sig.is_document_timestamp)
            if approval and not STEP_FIELD.match(sig.field_name):
                name = sig.field_name
                problems.append(("route_order.unexpected_field", name, {"field": name}))
        positions = [_position(s.field_name) for s in steps]
        for index, (sig, position) in enumerate(zip(steps, positions)):
            if position != index + 1 and not self.document.broken:
                earlier = f"{STEP_FIELD_PREFIX}{index + 1}"
                problems.append(
                    (
                        "route_order.order",
                        sig.field_name,
                        {"field": sig.field_name, "earlier": earlier},
                    )
                )
                break
        ca_organisations = {_organisation(root) for root in self.trust}
        seen: dict[str, list[str]] = {}
        for sig in steps:
            if sig.cert is None:
                continue
            person, title, organisation = certificate_name(sig.cert)
            who = _who(sig.cert, sig.field_name)
            seen.setdefault(person, []).append(sig.field_name)
            if not title:
                problems.append(
                    ("route_order.no_title", sig.field_name, {"who": who, "field": sig.field_name})
                )
            if organisation not in ca_organisations:
                problems.append(
                    (
                        "route_order.org_mismatch",
                        sig.field_name,
                        {
                            "who": who,
                            "field": sig.field_name,
                            "org": organisation or "–",
                            "ca_org": " / ".join(sorted(ca_organisations)),
                        },
                    )
                )
        rows = _row_texts(self.data) if steps else {}
        for sig in steps:
            if sig.cert is not None:
                problem = _row_problem(sig, rows.get(sig.field_name))
                if problem is not None:
                    problems.append(problem)
        for person, fields in seen.items():
            if len(fields) > 1:
                problems.append(
                    ("route_order.same_person", "", {"who": person, "fields": ", ".join(fields)})
                )
        if problems:
            self.findings.add_joined("route_order", problems)
        elif self.document.broken:
            self.findings.add("route_order", NOT_CHECKED, "route_order.broken")
        elif not steps:
            self.findings.add("route_order", NOT_CHECKED, "route_order.none")
        else:
            self.findings.add("route_order", OK, "route_order.ok", count=len(steps))

    def attestation_signatures(self) -> list[_Signature]:
        return [s for s in self.document.signatures if STEP_FIELD.match(s.field_name)]

    def check_complete(self, expected_steps: int | None) -> bool:
        rows = sorted(
            (
                (_position(name), name, filled)
                for name, filled in self.document.field_names
                if STEP_FIELD.match(name)
            ),
        )
        problems: list[tuple[str, str, dict[str, Any]]] = []
        if not rows:
            problems.append(("complete.no_rows", "", {}))
        count = len(rows)
        if rows and [p for p, _, _ in rows] != list(range(1, count + 1)):
            problems.append(("complete.gap", "", {"fields": ", ".join(n for _, n, _ in rows)}))
        missing = [name for _, name, filled in rows if not filled]
        if missing:
            problems.append(
                (
                    "complete.missing",
                    "",
                    {"missing": ", ".join(missing), "signed": count - len(missing), "count": count},
                )
            )
        if expected_steps is not None and rows and count != expected_steps:
            problems.append(("complete.expected", "", {"count": count, "expected": expected_steps}))
        if problems:
            self.findings.add_joined("complete", problems)
            return False
        self.findings.add("complete", OK, "complete.ok", count=count)
        return True

    def check_archive(self) -> None:
        add = self.findings.add
        signatures = self.document.signatures
        stamps = [s for s in signatures if s.is_document_timestamp]
        steps = self.attestation_signatures()
        if not stamps:
            add("archive_timestamp", FAILED, "archive_timestamp.missing")
            return
        last = signatures[-1]
        if not last.is_document_timestamp or not ARCHIVE_FIELD.match(last.field_name):
            if steps and stamps[-1].revision < steps[-1].revision:
                add(
                    "archive_timestamp",
                    FAILED,
                    "archive_timestamp.before_last",
                    field=stamps[-1].field_name,
                    last=steps[-1].field_name,
                )
            else:
                add(
                    "archive_timestamp",
                    FAILED,
                    "archive_timestamp.wrong_field",
                    field=last.field_name,
                )
            return
        try:
            dss = DocumentSecurityStore.read_dss(self.document.reader)
            dss_certs = {_pyca(c) for c in dss.load_certs()}
            dss_crls = [x509.load_der_x509_crl(c.dump()) for c in _dss_crls(dss)]
        except NoDSSFoundError:
            add("archive_timestamp", FAILED, "archive_timestamp.no_dss")
            return
        except Exception as exc:  # a damaged DSS is as good as none
            add(
                "archive_timestamp",
                FAILED,
                "archive_timestamp.dss_incomplete",
                missing=_describe(exc),
            )
            return
        missing_sv: list[str] = []
        missing_en: list[str] = []
        needed = {s.cert for s in signatures if s.cert is not None}
        needed |= {s.token.tsa_cert for s in signatures if s.token and s.token.tsa_cert}
        absent = [c for c in needed if c not in dss_certs]
        if absent:
            names = ", ".join(sorted(certificate_name(c)[0] for c in absent))
            missing_sv.append(f"certifikat för {names}")
            missing_en.append(f"certificates of {names}")
        if not any(root in dss_certs for root in self.trust):
            missing_sv.append("organisationens CA-certifikat")
            missing_en.append("the organisation's CA certificate")
        if not any(_crl_issued_by(crl, root) for crl in dss_crls for root in self.trust):
            missing_sv.append("en spärrlista från organisationens CA")
            missing_en.append("a CRL from the organisation's CA")
        if missing_sv:
            add(
                "archive_timestamp",
                FAILED,
                "archive_timestamp.dss_incomplete",
                missing=Both(", ".join(missing_sv), ", ".join(missing_en)),
            )
            return
        facts = self.report.get(last.field_name)
        at = facts.timestamp_time if facts is not None else None
        add(
            "archive_timestamp",
            OK,
            "archive_timestamp.ok",
            field=last.field_name,
            time=format_time(at or (last.token.gen_time if last.token else None)),
        )

    def check_nothing_after(self) -> None:
        last = self.document.signatures[-1]
        extra = len(self.data) - last.covered_end
        if extra == 0:
            self.findings.add("nothing_after", OK, "nothing_after.ok")
            return
        revisions = max(self.document.reader.xrefs.total_revisions - 1 - last.revision, 0)
        if revisions:
            sv, en = f"{revisions} ny(a) revision(er)", f"{revisions} more revision(s)"
        else:
            sv, en = "byte utan ny revision", "bytes outside any revision"
        self.findings.add(
            "nothing_after",
            FAILED,
            "nothing_after.trailing",
            field=last.field_name,
            count=abs(extra),
            revisions=Both(sv, en),
        )


def _dss_crls(dss: DocumentSecurityStore) -> Iterable[Any]:
    for ref in dss.crls:
        yield asn1_crl.CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL))


def _row_texts(data: bytes) -> dict[str, str]:
    """The text each signature field's appearance shows: the row's "Namn, Titel" and date.

    pypdf reads the text (the appearance is a reportlab page in a subset font); it loads
    only when a file has attestations. A file pypdf cannot read gives no texts.
    """
    from pypdf import apply_configuration

    # A row's appearance inflates to a few kilobytes; a bomb in one is not read.
    with apply_configuration(zlib_maximum_output_length=ROW_INFLATE_LIMIT):
        return _read_row_texts(data)


def _read_row_texts(data: bytes) -> dict[str, str]:
    try:
        from pypdf import PageObject, PdfReader
        from pypdf.generic import DictionaryObject, NameObject, StreamObject

        reader = PdfReader(BytesIO(data), strict=False)
        texts = {}
        fields: Any = reader.trailer["/Root"]["/AcroForm"]["/Fields"]  # type: ignore[index]
        for ref in fields:
            field = ref.get_object()
            widget = field["/Kids"][0].get_object() if "/Kids" in field else field
            appearance = widget.get("/AP", {}).get("/N")
            if appearance is None:
                continue
            # A page whose only content is the appearance, for pypdf's text extraction.
            page = PageObject(pdf=reader)
            page[NameObject("/MediaBox")] = appearance.get_object()["/BBox"]
            page[NameObject("/Resources")] = DictionaryObject(
                {
                    NameObject("/XObject"): DictionaryObject(
                        {NameObject("/AttestAppearance"): appearance}
                    )
                }
            )
            content = StreamObject()
            content.set_data(b"/AttestAppearance Do")
            page[NameObject("/Contents")] = content
            texts[str(field["/T"])] = " ".join(page.extract_text().split())
        return texts
    except Exception:  # pypdf's errors on a damaged file are many; the checks say the rest
        return {}


def _row_problem(sig: _Signature, row: str | None) -> tuple[str, str, dict[str, Any]] | None:
    """Whether the row shows the certificate's holder, and a title consistent with it.

    The row names the route step's title; it must be the certificate's title, or an acting
    title ("t.f. avdelningschef") when a substitute attested.
    """
    assert sig.cert is not None
    name, title, _ = certificate_name(sig.cert)
    field = sig.field_name
    who = _who(sig.cert, field)
    if not row:
        return ("route_order.row_blank", field, {"field": field, "who": who})
    shown = re.sub(r"\s*\d{4}-\d{2}-\d{2}$", "", row)  # the date column
    shown_name, _, shown_title = shown.partition(", ")
    ellipsis = shown.endswith("…")
    expected = f"{name}, {title}"
    if ellipsis:
        # A long "Namn, Titel" is cut to fit the row.
        matches_name = expected.startswith(shown[:-1]) and len(shown) > len(name) // 2
        matches_title = True
    else:
        matches_name = shown_name == name
        acting = shown_title.casefold().startswith("t.f. ")
        matches_title = acting or shown_title.casefold() == title.casefold()
    if not matches_name:
        return ("route_order.row_other_name", field, {"field": field, "who": who, "row": row})
    if not matches_title:
        params = {"field": field, "who": who, "row": row, "title": title}
        return ("route_order.row_other_title", field, params)
    return None


def _is_seal(cert: x509.Certificate) -> bool:
    name, title, _ = certificate_name(cert)
    return not title and name.startswith(SEAL_NAME_PREFIX)


def _position(field_name: str) -> int:
    match = STEP_FIELD.match(field_name)
    return int(match.group(1)) if match else 0


def _level(level: str) -> Both:
    return Both(*texts.MODIFICATION_LEVELS.get(level, (level, level)))


def _attestation(sig: _Signature, facts: SignatureReport | None) -> Attestation:
    name, title, organisation = certificate_name(sig.cert) if sig.cert else ("", "", "")
    fingerprint = sig.cert.fingerprint(hashes.SHA256()).hex() if sig.cert else ""
    return Attestation(
        position=_position(sig.field_name),
        field_name=sig.field_name,
        signer_name=name,
        title=title,
        organisation=organisation,
        signing_time=sig.claimed_time,
        timestamp_time=facts.timestamp_time if facts is not None else None,
        certificate_sha256=fingerprint,
    )


def _normalise_crls(
    crls: Sequence[x509.CertificateRevocationList | bytes],
) -> tuple[x509.CertificateRevocationList, ...]:
    out: list[x509.CertificateRevocationList] = []
    for crl in crls:
        out.extend(load_crls(crl) if isinstance(crl, bytes) else (crl,))
    return tuple(out)


def verify_pdf(
    data: bytes,
    *,
    trust: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList | bytes] = (),
    now: dt.datetime | None = None,
    expected_steps: int | None = None,
) -> VerificationResult:
    """Every check on an attested PDF, with nothing but the file, the CA and optional CRLs.

    trust: the organisation's CA certificate (and any other root the clerk trusts, e.g.
    an external TSA's). crls: current CRLs of that CA; without them, revocation is not
    checked (and the report says so). now: the time of checking (default: the clock).
    expected_steps: the route's length when the clerk knows it.
    """
    if not trust:
        raise ValueError("verify_pdf needs the organisation's CA certificate")
    moment = require_utc(now) if now is not None else _system_now()
    revocation_lists = _normalise_crls(crls)
    findings = _Findings()
    attestations: tuple[Attestation, ...] = ()
    complete = False

    reader = _check_file(data, findings)
    if reader is None:
        _not_checked(findings, "not_checked.unusable")
    else:
        signed: list[str] | None
        try:
            signed = [name for name, _, _ in enumerate_sig_fields(reader, filled_status=True)]
        except Exception as exc:  # the form tree itself is damaged
            signed = None
            findings.add(
                "has_signatures", FAILED, "has_signatures.unreadable", detail=_describe(exc)
            )
        if signed:
            report = _validate(data, trust, revocation_lists, moment)
            fingerprints = {name: facts.certificate_sha256 for name, facts in report.items()}
            document = _read_document(reader, fingerprints)
            count = len(document.signatures) + len(document.broken)
            findings.add("has_signatures", OK, "has_signatures.ok", count=count)
            verifier = _Verifier(data, document, trust, revocation_lists, moment, findings, report)
            attestations, complete = _check_document(verifier, expected_steps)
        else:
            if signed is not None:
                findings.add("has_signatures", FAILED, "has_signatures.none")
            _not_checked(findings, "not_checked.unsigned")
    findings.add("records", NOT_CHECKED, "records.not_checked")

    checks = tuple(findings.checks)
    if any(c.status == FAILED for c in checks) or not complete:
        verdict = INVALID
    elif findings.undecided:
        verdict = UNDECIDABLE
    else:
        verdict = VALID
    return VerificationResult(
        verdict=verdict,
        attestations=attestations,
        checks=checks,
        file_sha256=hashlib.sha256(data).hexdigest(),
        file_size=len(data),
        verified_at=moment,
    )


def _check_document(
    verifier: _Verifier, expected_steps: int | None
) -> tuple[tuple[Attestation, ...], bool]:
    document, findings = verifier.document, verifier.findings
    certification_at = len(findings.checks)
    facts: dict[str, SignatureReport | None] = {}
    for name, why in document.broken:
        findings.add("intact", FAILED, "intact.unreadable", name, field=name, detail=why)
    for sig in document.signatures:
        facts[sig.field_name] = verifier.check_signature(sig)
    per_signature = findings.checks[certification_at:]
    del findings.checks[certification_at:]
    if document.signatures:
        verifier.check_certification(facts)
    else:
        findings.add("certification_first", FAILED, "certification_first.missing")
    findings.checks.extend(per_signature)
    verifier.check_route()
    complete = verifier.check_complete(expected_steps)
    if document.signatures:
        verifier.check_archive()
        verifier.check_nothing_after()
    else:
        _not_checked(findings, "not_checked.unsigned")
    attestations = tuple(
        sorted(
            (_attestation(s, facts.get(s.field_name)) for s in verifier.attestation_signatures()),
            key=lambda a: (a.position, a.field_name),
        )
    )
    return attestations, complete


# --- Speed-ups that change no result ---------------------------------------------------------


def _install_fast_hex_strings() -> None:
    """Read PDF hex strings in one slice instead of one byte at a time.

    A signature's /Contents is a hex string of 20–30 kB, which pyHanko's parser reads
    byte by byte, several times per signature (once per revision it compares): about
    40 % of a verification. This reader returns exactly what pyHanko's returns; on
    anything unusual (a comment, a stray character, no closing bracket) it hands the
    string to pyHanko's own reader, so errors and edge cases stay pyHanko's.
    """
    original = generic.read_hex_string_from_stream
    if hasattr(original, "_attest_original"):
        return
    hex_digits = b"0123456789abcdefABCDEF"

    def read_hex_string_from_stream(stream: Any) -> Any:
        start = stream.tell()
        stream.read(1)  # the opening <
        chunks = []
        while True:
            chunk = stream.read(65536)
            if not chunk:
                stream.seek(start)
                return original(stream)
            end = chunk.find(b">")
            if end >= 0:
                chunks.append(chunk[:end])
                stream.seek(end + 1 - len(chunk), os.SEEK_CUR)
                break
            chunks.append(chunk)
        digits = b"".join(chunks).translate(None, PDF_WHITESPACE)
        if digits.translate(None, hex_digits):  # a comment or a bad character
            stream.seek(start)
            return original(stream)
        if len(digits) % 2:
            digits += b"0"
        return generic.pdf_string(binascii.unhexlify(digits))

    read_hex_string_from_stream._attest_original = original  # type: ignore[attr-defined]
    generic.read_hex_string_from_stream = read_hex_string_from_stream


def _install_name_preparation_cache() -> None:
    """Remember RFC 4518 string preparation of certificate names across certificates.

    pyHanko compares issuer names many times per signature (ESS certificate ids, path
    building); asn1crypto caches the prepared form per parsed object only, and every
    signature parses its certificates anew: about a tenth of a verification. The
    preparation is a pure function of the string, so the result is the same.
    """
    original = asn1_x509.NameTypeAndValue._ldap_string_prep
    if hasattr(original, "_attest_original"):
        return
    prepared: dict[str, str] = {}

    def _ldap_string_prep(self: Any, string: str) -> str:
        try:
            return prepared[string]
        except KeyError:
            pass
        result = original(self, string)  # raises for forbidden characters: not cached
        if len(prepared) < 10_000:
            prepared[string] = result
        return result

    _ldap_string_prep._attest_original = original  # type: ignore[attr-defined]
    asn1_x509.NameTypeAndValue._ldap_string_prep = _ldap_string_prep


_install_fast_hex_strings()
_install_name_preparation_cache()
