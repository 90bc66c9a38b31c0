"""One verification's state, and the checks of each signature on its own.

``Verification`` holds the clerk's inputs, what was read from the file, pyHanko's facts
(attest.signing.validate) and the findings; attest.verify.document and attest.verify.route
add the checks of the whole document. The organisation is the one whose CA issued the
certification seal: every other signature of the memo must come from that CA too.
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from cryptography import x509

from attest.catalogue import N_
from attest.pki.ca import certificate_name
from attest.signing.route import RouteRow
from attest.signing.validate import SignatureReport
from attest.verify.facts import Document, Signature
from attest.verify.report import Msg, format_time
from attest.verify.result import FAILED, NOT_CHECKED, OK, Findings
from attest.verify.trust import Revocation, fingerprint, issuer_in, revocation

__all__ = ["ALLOWED_MODIFICATIONS", "Verification", "who"]

ALLOWED_MODIFICATIONS = ("NONE", "LTA_UPDATES", "FORM_FILLING")
STRONG_DIGESTS = ("sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512")
# A TSA's clock and the verifier's may differ a little; more than this is "in the future".
CLOCK_TOLERANCE = dt.timedelta(minutes=5)
# How much later than its timestamp a signer may claim to have signed (network, queues).
CLAIM_TOLERANCE = dt.timedelta(minutes=10)


def who(cert: x509.Certificate | None, fallback: str) -> str:
    if cert is None:
        return fallback
    name, title, _ = certificate_name(cert)
    return f"{name} ({title})" if title else name or fallback


def issuer_name(cert: x509.Certificate | None) -> str:
    """The issuer as RFC 4514 text, or "?" when there is no certificate or it does not decode."""
    try:
        return cert.issuer.rfc4514_string() if cert is not None else "?"
    except ValueError:
        return "?"


def _level(level: str) -> Msg | str:
    from attest.verify.report import MODIFICATION_LEVELS

    return Msg.of(MODIFICATION_LEVELS[level]) if level in MODIFICATION_LEVELS else level


class Verification:
    """One verification: the clerk's inputs, the file's facts, pyHanko's, the findings."""

    def __init__(
        self,
        data: bytes,
        document: Document,
        trust: Sequence[x509.Certificate],
        crls: Sequence[x509.CertificateRevocationList],
        now: dt.datetime,
        findings: Findings,
        report: dict[str, SignatureReport],
    ) -> None:
        self.data = data
        self.document = document
        self.trust = tuple(trust)
        self.crls = tuple(crls)
        self.now = now
        self.findings = findings
        self.report = report
        seal = document.signatures[0] if document.signatures else None
        # The organisation is the one whose CA issued the certification seal.
        self.organisation_ca: x509.Certificate | None = (
            issuer_in(seal.cert, self.trust)
            if seal is not None and seal.cert is not None and seal.is_certification
            else None
        )
        # field -> its sealed route row, for the rows a signature service may sign
        self.service_rows: dict[str, RouteRow] = {}

    def service_issuer(self, sig: Signature, issuer: x509.Certificate | None) -> bool:
        """Whether the sealed route lets the issuer, a trusted signature service's CA,
        certify this row's signer (attest.verify.route checks the person it names)."""
        row = self.service_rows.get(sig.field_name)
        return issuer is not None and row is not None and row.service_ca == fingerprint(issuer)

    @property
    def organisation(self) -> str:
        return certificate_name(self.organisation_ca)[2] if self.organisation_ca else ""

    def signed_at(self, sig: Signature, facts: SignatureReport | None) -> dt.datetime | None:
        if facts is not None and facts.timestamp_time is not None:
            return facts.timestamp_time
        return sig.token.gen_time if sig.token is not None else None

    def revocation(self, sig: Signature) -> Revocation:
        assert sig.cert is not None
        issuer = issuer_in(sig.cert, self.trust)
        return revocation(sig.cert, issuer, self.crls, self.document.embedded_crls)

    def attestation_signatures(self) -> list[Signature]:
        from attest.verify.document import STEP_FIELD

        return [s for s in self.document.signatures if STEP_FIELD.match(s.field_name)]

    # -- per signature ------------------------------------------------------------------

    def check_signature(self, sig: Signature) -> SignatureReport | None:
        add = self.findings.add
        name = sig.field_name
        facts = self.report.get(name)
        if facts is None and self.document.broken:
            # pyHanko validates all signatures of a file or none: another one is unreadable.
            add("intact", NOT_CHECKED, "intact.not_validated", name, field=name)
            return None
        if facts is None or not facts.readable:
            detail = facts.error if facts is not None else "?"
            add("intact", FAILED, "intact.unreadable", name, field=name, detail=detail)
            return None

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

        self._check_trust(sig, facts)
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

    def _check_trust(self, sig: Signature, facts: SignatureReport) -> None:
        """The trusted and not_revoked checks.

        pyHanko judges each certificate at the time its trusted timestamp proves (see
        attest.signing.validate); this names the reason when it says no, requires the
        memo's signatures to come from the organisation's CA, and reads the revocation
        lists the file carries and the clerk gave.
        """
        add, name, cert = self.findings.add, sig.field_name, sig.cert
        person = who(cert, facts.signer_name)
        issuer = issuer_in(cert, self.trust) if cert is not None else None
        ca = certificate_name(issuer)[0] if issuer is not None else ""
        signed_at = self.signed_at(sig, facts)
        organisation = self.organisation_ca

        if organisation is None:
            # Not the organisation's forgery, nor its memo: its CA is not among the trusted.
            add("trusted", NOT_CHECKED, "trusted.unknown_organisation", name, who=person)
            add("not_revoked", NOT_CHECKED, "not_revoked.not_trusted", name, who=person)
            self.findings.undecided = True
            return
        if issuer is None or cert is None:
            add("trusted", FAILED, "trusted.foreign", name, who=person)
            add("not_revoked", NOT_CHECKED, "not_revoked.not_trusted", name, who=person)
            return
        if (
            issuer != organisation
            and not sig.is_document_timestamp
            and not self.service_issuer(sig, issuer)
        ):
            add(
                "trusted",
                FAILED,
                "trusted.other_organisation",
                name,
                who=person,
                ca=ca,
                organisation=certificate_name(organisation)[0],
            )
            add("not_revoked", NOT_CHECKED, "not_revoked.not_trusted", name, who=person)
            return
        if not facts.intact:
            # pyHanko judges no certificate of a signature whose bytes changed.
            add("trusted", NOT_CHECKED, "trusted.not_intact", name, field=name)
            add("not_revoked", NOT_CHECKED, "not_revoked.not_trusted", name, who=person)
            return
        if not facts.trusted:
            at = signed_at or self.now
            if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
                add(
                    "trusted",
                    FAILED,
                    "trusted.not_valid_then",
                    name,
                    who=person,
                    time=format_time(at),
                    not_before=format_time(cert.not_valid_before_utc),
                    not_after=format_time(cert.not_valid_after_utc),
                )
            else:
                add("trusted", FAILED, "trusted.other", name, who=person)
            add("not_revoked", NOT_CHECKED, "not_revoked.not_trusted", name, who=person)
            return
        if signed_at and self.now > cert.not_valid_after_utc:
            time = format_time(signed_at)
            add("trusted", OK, "trusted.ok_at_timestamp", name, who=person, ca=ca, time=time)
        elif issuer != organisation and not sig.is_document_timestamp:
            add("trusted", OK, "trusted.service_ok", name, who=person, ca=ca)
        else:
            add("trusted", OK, "trusted.ok", name, who=person, ca=ca)
        self._add_revocation(sig, person, signed_at)

    def _add_revocation(self, sig: Signature, person: str, signed_at: dt.datetime | None) -> None:
        add, name = self.findings.add, sig.field_name
        found = self.revocation(sig)
        if found.revoked_at is not None:
            if signed_at is not None and signed_at < found.revoked_at:
                # Revoked after the timestamp proves the signature was made: it stands.
                add(
                    "not_revoked",
                    OK,
                    "not_revoked.revoked_later",
                    name,
                    who=person,
                    when=format_time(found.revoked_at),
                    time=format_time(signed_at),
                )
            else:
                when = f" {format_time(found.revoked_at)}"
                add(
                    "not_revoked",
                    FAILED,
                    "not_revoked.revoked",
                    name,
                    who=person,
                    when=when,
                    where=Msg.of(N_(" enligt spärrlistan i dokumentet")) if found.from_file else "",
                )
        elif found.latest_list is None:
            add("not_revoked", NOT_CHECKED, "not_revoked.no_crl", name, who=person)
        elif signed_at is not None and found.latest_list >= signed_at.replace(microsecond=0):
            # (A CRL's thisUpdate has whole seconds: one made in the same second covers it.)
            add(
                "not_revoked",
                OK,
                "not_revoked.ok",
                name,
                who=person,
                time=format_time(found.latest_list),
            )
        else:
            # Every list predates the signature: none says whether it was revoked then.
            add(
                "not_revoked",
                NOT_CHECKED,
                "not_revoked.unknown",
                name,
                who=person,
                time=format_time(found.latest_list),
            )
            # The lists name personal certificates: for an attestation this decides the
            # verdict; the seal's and the TSA's certificates are never on them.
            if sig.person is not None and sig.person.person:
                self.findings.undecided = True

    def _check_timestamp(self, sig: Signature, facts: SignatureReport) -> None:
        add, name, token = self.findings.add, sig.field_name, sig.token
        if token is None:
            add("timestamp", FAILED, "timestamp.missing", name, field=name)
            return
        tsa = who(token.tsa_cert, "?")
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
        elif token.tsa_cert is None or issuer_in(token.tsa_cert, self.trust) is None:
            if self.organisation_ca is None:
                # The organisation's own TSA, presumably: its CA is the unknown one.
                add("timestamp", NOT_CHECKED, "timestamp.unknown_organisation", name, tsa=tsa)
            else:
                add("timestamp", FAILED, "timestamp.untrusted", name, field=name, tsa=tsa)
        else:
            add("timestamp", FAILED, "timestamp.invalid", name, field=name)

    def _check_time(self, sig: Signature, facts: SignatureReport) -> None:
        add, name, cert = self.findings.add, sig.field_name, sig.cert
        if sig.is_document_timestamp:
            what = {"what": Msg.of(N_("Dokumenttidsstämpeln"))}
        else:
            what = {"what": Msg.of(N_("Signaturen"))}
        at = self.signed_at(sig, facts) or sig.claimed_time
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
