"""What a verification answers: one frozen Check per fact, the attestations, the verdict.

The checks are built here from the texts in attest.verify.report (Swedish and English,
one place); the modules that make the checks only name a text and its values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from attest.verify import report as texts

__all__ = [
    "CHECK_CODES",
    "DEFAULT_MAX_SIGNATURES",
    "FAILED",
    "INVALID",
    "NOT_CHECKED",
    "OK",
    "UNDECIDABLE",
    "VALID",
    "Attestation",
    "Check",
    "Findings",
    "VerificationResult",
]

OK, FAILED, NOT_CHECKED = "ok", "failed", "not_checked"
# More signatures or revisions than this are refused before any is validated. An attested
# memo has the seal, one per row, the closing seal and its archive timestamps.
DEFAULT_MAX_SIGNATURES = 50
VALID, INVALID, UNDECIDABLE = "valid", "invalid", "undecidable"

# The stable identifiers of the checks, in the order a report lists them.
CHECK_CODES = (
    "file_is_pdf",
    "file_intact",
    "within_limits",
    "has_signatures",
    "certification_first",
    "route_sealed",
    "intact",
    "valid",
    "trusted",
    "not_revoked",
    "timestamp",
    "time_within_validity",
    "changes_allowed",
    "authority",
    "appearance",
    "route_order",
    "complete",
    "closing_seal",
    "archive_timestamp",
    "nothing_after",
    "records",
)
# The checks about the whole document, reported "not checked" when there is nothing to
# check them on (an unreadable or unsigned file).
DOCUMENT_CHECKS = (
    "has_signatures",
    "certification_first",
    "route_sealed",
    "route_order",
    "complete",
    "closing_seal",
    "archive_timestamp",
    "nothing_after",
)


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
    title: str  # the title the certificate gives for the row's role ("t.f. ..." acting)
    organisation: str
    signing_time: dt.datetime | None  # claimed by the signer: not evidence
    timestamp_time: dt.datetime | None  # from a timestamp token the check trusted
    certificate_sha256: str
    person: str = ""  # the certificate's person identifier ("attest:<uuid>"), if it has one
    acting_for: str = ""  # for a t.f.: the name of the person the route expected


@dataclass(frozen=True)
class VerificationResult:
    """The verdict first, then who attested what and when, then every check."""

    verdict: str  # "valid" | "invalid" | "undecidable"
    attestations: tuple[Attestation, ...]
    checks: tuple[Check, ...]
    file_sha256: str
    file_size: int
    verified_at: dt.datetime  # the time the certificates and signatures were judged at
    organisation: str = ""  # the organisation whose CA issued the certification seal

    @property
    def ok(self) -> bool:
        return self.verdict == VALID

    @property
    def unusable(self) -> bool:
        """The input is not a PDF at all, or encrypted (the CLI exits 2 for it)."""
        return any(c.code == "file_is_pdf" and c.status == FAILED for c in self.checks)

    @property
    def refused(self) -> bool:
        """The file has more signatures or revisions than verification takes on."""
        return any(c.code == "within_limits" and c.status == FAILED for c in self.checks)

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status == FAILED)

    @property
    def failed_codes(self) -> frozenset[str]:
        return frozenset(c.code for c in self.failed)

    def title(self, lang: str = "sv") -> str:
        """The verdict as users read it: Giltig / Ogiltig / Kan inte avgöras."""
        return texts.verdict_title(self.verdict, lang)

    @property
    def verdict_title(self) -> str:
        return self.title("sv")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (times in ISO 8601, UTC)."""
        data = _jsonable(self)
        data["verdict_title"] = {lang: self.title(lang) for lang in texts.LANGUAGES}
        return data


def _jsonable(value: Any) -> Any:
    """Plain JSON values, without copying (dataclasses.asdict deep-copies every value)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


@dataclass
class Findings:
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

    def has(self, code: str) -> bool:
        return any(c.code == code for c in self.checks)

    def not_checked(self, key: str, codes: tuple[str, ...] = DOCUMENT_CHECKS) -> None:
        """Every one of ``codes`` not reported yet, as not checked for the reason ``key``."""
        for code in codes:
            if not self.has(code):
                self.add(code, NOT_CHECKED, key)

    def verdict(self) -> str:
        if any(c.code == "within_limits" and c.status == FAILED for c in self.checks):
            return UNDECIDABLE  # refused, not judged
        if any(c.status == FAILED for c in self.checks):
            return INVALID
        if self.undecided:
            return UNDECIDABLE
        return VALID
