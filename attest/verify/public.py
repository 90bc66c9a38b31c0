"""Verification for whoever holds the paper: /v/<code> without a login.

An attested memo is a public document (allmän handling) once attested, so anyone holding
its printout may learn whether it is genuine: the verdict on the stored attested PDF, its
Dnr and rubrik, who attested it and when, and the PDF's SHA-256; and may upload a copy to
learn whether it is that PDF or a valid attested copy of the same memo. Nothing else: no
memo text, no comments, no e-mail addresses, no person identifiers, no check texts (they
name certificates and records). A code of a draft, a version being attested, or a
returned or withdrawn one is unknown to outsiders, exactly like a code that never existed.

Needs an app context (the records); imported only by attest.verify.views.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from attest import audit, blobs
from attest.users.models import User
from attest.verify.core import VerificationResult
from attest.verify.records import verify_with_records
from attest.workflow.models import Submission
from attest.workflow.submissions import by_verification_code

PUBLIC_LOOKED_AT = "verification:public:performed"
PUBLIC_THROTTLED = "verification:public:throttled"

# A code as printed (10 characters of attest.workflow.engine's alphabet), or the whole link.
_CODE_IN_TEXT = re.compile(r"(?:/v/)?([0-9A-Za-z]{6,16})/?\s*$")


@dataclass(frozen=True)
class Attester:
    """One row of the "Attesterat av" table as the stored PDF's signature states it."""

    position: int
    name: str
    title: str
    attested_at: dt.datetime | None  # the trusted timestamp, else the signer's claim


@dataclass(frozen=True)
class PublicReport:
    """What an outsider is shown about an attested memo."""

    submission: Submission
    result: VerificationResult  # of the stored attested PDF, with the records
    attesters: tuple[Attester, ...]

    @property
    def sha256(self) -> str:
        return self.submission.current_pdf_sha256

    @property
    def dnr(self) -> str:
        return self.submission.memo.dnr or ""

    @property
    def rubrik(self) -> str:
        return self.submission.version.rubrik


@dataclass(frozen=True)
class CopyCheck:
    """An uploaded file compared with the attested PDF behind the code."""

    sha256: str
    size: int
    identical: bool  # byte for byte the stored attested PDF
    result: VerificationResult | None  # its own verification (None when identical)

    @property
    def matches(self) -> bool:
        """The stored PDF itself, or a valid attested copy of the same memo version."""
        return self.identical or (self.result is not None and self.result.ok)

    @property
    def outcome(self) -> str:
        """ "identical" | "valid_copy" | "no_match": what the page says about the file."""
        if self.identical:
            return "identical"
        return "valid_copy" if self.matches else "no_match"


def code_from(text: str) -> str | None:
    """The verification code in what someone typed: the code itself or the printed link."""
    found = _CODE_IN_TEXT.search(text.strip()[:300])
    return found.group(1).upper() if found else None


def attested_submission(code: str) -> Submission | None:
    """The attested submission carrying this code; None for any other (or no) submission."""
    submission = by_verification_code(code[:32])
    if submission is None or submission.status != "attested":
        return None
    return submission


def public_report(submission: Submission) -> PublicReport:
    """The stored attested PDF verified (with the records), as an outsider sees it."""
    data = blobs.store().get(submission.current_pdf_sha256)
    result, _ = verify_with_records(data, submission.memo.organisation, submission=submission)
    attesters = tuple(
        Attester(a.position, a.signer_name, a.title, a.timestamp_time or a.signing_time)
        for a in sorted(result.attestations, key=lambda a: a.position)
    )
    return PublicReport(submission, result, attesters)


def check_copy(data: bytes, submission: Submission) -> CopyCheck:
    """Whether ``data`` is the attested PDF, or a valid attested copy of the same memo.

    The file is verified as this submission's (its frozen version, steps and attestations
    compared with this memo's records), so another memo's PDF, however genuine, does not
    match, and the records of other memos are never looked at for an outsider.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 == submission.current_pdf_sha256:
        return CopyCheck(sha256, len(data), identical=True, result=None)
    result, _ = verify_with_records(data, submission.memo.organisation, submission=submission)
    return CopyCheck(sha256, len(data), identical=False, result=result)


def record_look(report: PublicReport, *, actor: User | None, copy: CopyCheck | None = None) -> None:
    """The audit event of a public look (or uploaded copy): the verdict, never the file."""
    submission = report.submission
    data: dict[str, object] = {
        "verdict": report.result.verdict,
        "submission": submission.id,
        "memo": submission.memo_id,
        "source": "public-upload" if copy is not None else "public-link",
    }
    if copy is not None:
        data.update(
            {
                "outcome": copy.outcome,
                "sha256": copy.sha256,
                "size": copy.size,
                "copy_verdict": copy.result.verdict if copy.result else report.result.verdict,
            }
        )
    audit.record(
        PUBLIC_LOOKED_AT, actor=actor, organisation=submission.memo.organisation, data=data
    )
