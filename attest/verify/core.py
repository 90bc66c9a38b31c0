"""The verification core: is this PDF exactly what the named people, with the authority for
their rows, attested, and if not, why?

``verify_pdf`` needs nothing but the file and the trusted CA certificates (one or several
organisations'); a current CRL adds to the lists the file carries. It takes the
per-signature facts from ``attest.signing.validate_pdf`` (pyHanko) and adds what a
signature validator does not know about attest: the system seal certifies first and
seals the route; each row is signed, in order, by the person the route names (or a
certified t.f.) and shows exactly what their certificate says; the closing seal follows
the last row, then only validation data and document timestamps. The result is one frozen
``Check`` per fact, each with its reason in Swedish and English (attest.verify.report).

This module decides the verdict and nothing else does. Nothing here imports Flask or the
database: the CLI and the web page share it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Sequence

from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields

from attest.pki.ca import require_utc
from attest.signing.sign import CERTIFICATION_FIELD
from attest.signing.validate import SignatureReport, ValidationReport, validate_pdf
from attest.verify import document, route, speedups
from attest.verify.checks import Verification
from attest.verify.facts import describe, read_document
from attest.verify.inputs import load_crls, load_trust, normalise_crls
from attest.verify.result import (
    CHECK_CODES,
    DEFAULT_MAX_SIGNATURES,
    FAILED,
    NOT_CHECKED,
    OK,
    Attestation,
    Check,
    Findings,
    VerificationResult,
)
from attest.verify.revisions import ATTEST_DIFF_POLICY

__all__ = [
    "CHECK_CODES",
    "DEFAULT_MAX_SIGNATURES",
    "Attestation",
    "Check",
    "VerificationResult",
    "load_crls",
    "load_trust",
    "verify_pdf",
]


def _system_now() -> dt.datetime:
    # The one place the verifier reads the clock: when no time of checking is given.
    return dt.datetime.now(dt.timezone.utc)


def _validate(
    data: bytes, reader: PdfFileReader, trust: Sequence[x509.Certificate], at: dt.datetime
) -> dict[str, SignatureReport]:
    """attest.signing's per-signature facts (pyHanko), by field name.

    Revocation is not asked of pyHanko: the lists the file carries and the clerk gives are
    read by the verifier itself (attest.verify.trust), at each signature's own time.
    """
    # The reader the document checks use: the file is parsed once, and pyHanko's revisions
    # and their object indexes serve both.
    # Later revisions are judged by attest's strict shapes first, pyHanko's analysis otherwise
    # (attest.verify.revisions): the same answers, most files without the generic analysis.
    report: ValidationReport = validate_pdf(
        data, trust_roots=trust, now=at, reader=reader, diff_policy=ATTEST_DIFF_POLICY
    )
    return {s.field_name: s for s in report.signatures}


def verify_pdf(
    data: bytes,
    *,
    trust: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList | bytes] = (),
    now: dt.datetime | None = None,
    expected_steps: int | None = None,
    max_signatures: int = DEFAULT_MAX_SIGNATURES,
) -> VerificationResult:
    """Every check on an attested PDF, with nothing but the file, the CAs and optional CRLs.

    trust: the CA certificates of the organisations the clerk trusts (and any other root,
    e.g. an external TSA's); the one that issued the certification seal decides whose memo
    it is. crls: newer CRLs than the one the file carries. now: the time of checking
    (default: the clock). expected_steps: the route's length when the clerk knows it.
    max_signatures: more signatures or revisions than this are refused, unjudged.
    """
    if not trust:
        raise ValueError("verify_pdf needs the organisation's CA certificate")
    speedups.install()
    moment = require_utc(now) if now is not None else _system_now()
    revocation_lists = normalise_crls(crls)
    findings = Findings()
    attestations: tuple[Attestation, ...] = ()
    organisation = ""

    opened = document.open_file(data, findings)
    if opened is None:
        unusable = any(c.code == "file_is_pdf" and c.status == FAILED for c in findings.checks)
        key = "not_checked.unusable" if unusable else "not_checked.damaged"
        findings.not_checked(key, ("file_intact", "within_limits"))
        findings.not_checked(key)
    elif not document.check_limits(opened[1], opened[0], findings, max_signatures):
        findings.not_checked("not_checked.refused")
    else:
        reader, body = opened
        signed: list[str] | None
        try:
            signed = [name for name, _, _ in enumerate_sig_fields(reader, filled_status=True)]
        except Exception as exc:  # the form tree itself is damaged
            signed = None
            findings.add(
                "has_signatures", FAILED, "has_signatures.unreadable", detail=describe(exc)
            )
        if signed:
            report = _validate(body, reader, trust, moment)
            fingerprints = {name: facts.certificate_sha256 for name, facts in report.items()}
            read = read_document(reader, fingerprints)
            count = len(read.signatures) + len(read.broken)
            findings.add("has_signatures", OK, "has_signatures.ok", count=count)
            verification = Verification(
                body, read, trust, revocation_lists, moment, findings, report
            )
            attestations = _check_document(verification, expected_steps)
            organisation = verification.organisation
        else:
            if signed is not None:
                findings.add("has_signatures", FAILED, "has_signatures.none")
            findings.not_checked("not_checked.unsigned")
    findings.add("records", NOT_CHECKED, "records.not_checked")
    return VerificationResult(
        verdict=findings.verdict(),
        attestations=attestations,
        checks=tuple(findings.checks),
        file_sha256=hashlib.sha256(data).hexdigest(),
        file_size=len(data),
        verified_at=moment,
        organisation=organisation,
    )


def _check_document(v: Verification, expected_steps: int | None) -> tuple[Attestation, ...]:
    read, findings = v.document, v.findings
    facts: dict[str, SignatureReport | None] = {}

    # The document's own checks come first in the report, then each signature's.
    first_per_signature = len(findings.checks)
    for name, why in read.broken:
        findings.add("intact", FAILED, "intact.unreadable", name, field=name, detail=why)
    certification = read.signatures[0] if read.signatures else None
    reading = None
    if (
        certification is not None
        and certification.is_certification
        and certification.field_name == CERTIFICATION_FIELD
    ):
        reading = route.read_sealed_route(read.reader, certification)
    # Rows the route lets a signature service's CA sign: the trust check needs them, and
    # relies on them only as far as route_sealed (below) finds the route sealed.
    if reading is not None and reading.route is not None:
        v.service_rows = {row.field: row for row in reading.route.rows if row.service_ca}
    for sig in read.signatures:
        facts[sig.field_name] = v.check_signature(sig)
    per_signature = findings.checks[first_per_signature:]
    del findings.checks[first_per_signature:]

    if certification is not None:
        document.check_certification(v, facts)
    else:
        findings.add("certification_first", FAILED, "certification_first.missing")
    sealed_route = route.check_route_sealed(v, reading)
    sealed_format = reading is not None and reading.present
    findings.checks.extend(per_signature)

    route.check_authority(v, sealed_route, sealed_format, facts)
    route.check_route_order(v)
    route_fields = tuple(row.field for row in sealed_route.rows) if sealed_route else None
    document.check_complete(v, expected_steps, route_fields)
    if read.signatures:
        closing = document.check_closing_seal(v, facts, sealed_format)
        document.check_archive(v, closing)
        document.check_nothing_after(v)
    else:
        findings.not_checked("not_checked.unsigned")
    return tuple(
        sorted(
            (
                route.attestation(s, facts.get(s.field_name), sealed_route)
                for s in v.attestation_signatures()
            ),
            key=lambda a: (a.position, a.field_name),
        )
    )
