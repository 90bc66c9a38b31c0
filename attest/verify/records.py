"""The verification's comparison with attest's records: the memo, its attestations, the audit log.

The offline core (attest.verify.core) judges the file alone and leaves its ``records`` check
"not checked". With the database at hand, ``check_records`` finds the submission the file
claims to be (by its SHA-256, else by the verification code in its footer, else by the
attesters' certificates) and compares: the frozen version, the number of steps, each
attestation against its row (position, signer, certificate, timestamp, the hashes before
and after it), the audit log's event for each, and the audit chain itself. A file that is
valid on its own but contradicts the records is invalid (``with_records``).

The checks are the core's ``Check`` with the code ``records``; per-attestation ones name
their signature field as subject, as the core's per-signature checks do.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import sqlalchemy as sa

from attest import db
from attest.audit.models import AuditEvent
from attest.audit.operations import ChainReport
from attest.blobs import Blob
from attest.catalogue import N_
from attest.memos.models import Memo
from attest.orgs.models import Organisation
from attest.verify.core import Attestation as SignedRow
from attest.verify.core import Check, VerificationResult
from attest.verify.report import Joined, Msg, format_time
from attest.workflow.models import Attestation, Submission

__all__ = [
    "Comparison",
    "RecordsContext",
    "check_records",
    "compare_with_records",
    "find_submission",
    "verification_code_in",
    "verify_with_records",
    "with_records",
]

OK, FAILED, NOT_CHECKED = "ok", "failed", "not_checked"
CODE = "records"
# The stored timestamp and the one read from the file are the same token's genTime; a
# second allows for a database that keeps less precision than the token.
TIME_TOLERANCE = dt.timedelta(seconds=1)
ATTEST_EVENT = "memo:attestera"  # attest.workflow.engine records "memo:<action>"
VERIFICATION_LINK = re.compile(r"/v/([0-9A-Z]{6,16})\b")
_REVISION_END = re.compile(rb"%%EOF(?:\r\n|\r|\n)?")
PAGE_TREE_ENTRIES = 20_000
INFLATE_LIMIT = 16 * 1024 * 1024

# Every message: key -> Swedish msgid; placeholders as in attest.verify.report.
TEXTS: Mapping[str, str] = {
    "unusable": N_(
        "Inte kontrollerat: filen kunde inte läsas som PDF, så den har inte jämförts med "
        "attests register."
    ),
    "unknown": N_(
        "Inte kontrollerat: dokumentet finns inte i attests register{org} – varken filens "
        "SHA-256, verifieringskoden i sidfoten eller attesternas certifikat finns där. Det "
        "kan komma från ett annat system; resultatet bygger på kontrollerna av själva filen."
    ),
    "found": N_(
        "Dokumentet finns i attests register: {dnr} ”{rubrik}”, version {version}, skickat "
        "för attest {sent} (hittat via {how})."
    ),
    "found.wrong_version": N_(
        "Registret är motsägelsefullt: inskickningen av {dnr} pekar på en version av ett "
        "annat tjänsteutlåtande."
    ),
    "frozen.ok": N_(
        "Den fastställda versionen i filen är byte för byte den som skickades för attest "
        "(SHA-256 {sha}…)."
    ),
    "frozen.failed": N_(
        "Den fastställda versionen i filen är inte den som registret har för {dnr} version "
        "{version}: innehållet har ändrats eller hör till en annan version."
    ),
    "steps.ok": N_(
        "Filen har {found} attester, lika många som inskickningens {count} steg i registret."
    ),
    "steps.pending": N_(
        "Tjänsteutlåtandet attesteras fortfarande: registret har {done} av {count} steg "
        "attesterade, och filen har lika många attester."
    ),
    "steps.failed": N_(
        "Filen har {found} attester, men registret har {done} attesterade av inskickningens "
        "{count} steg."
    ),
    "steps.voided": N_(
        "Registret visar att inskickningen avbröts {when} (tjänsteutlåtandet returnerades "
        "eller återkallades): den här versionen attesterades aldrig färdigt."
    ),
    "attestation.ok": N_(
        "Attesten i {field} stämmer med registret: {name}, {title}, samma certifikat "
        "(SHA-256 {fingerprint}…) och tidsstämpel {time}, och granskningsloggen har "
        "händelsen."
    ),
    "attestation.failed": N_("Attesten i {field} stämmer inte med registret: {problems}."),
    "attestation.missing_in_file": N_(
        "Registret har en attest av {name} i steg {position} ({field}), men filen saknar den."
    ),
    "audit.ok": N_(
        "Granskningsloggen är obruten: {entries} poster, och dess förankringar med "
        "systemsigillet stämmer."
    ),
    "audit.memo_ok": N_(
        "Granskningsloggens händelser om tjänsteutlåtandet är obrutna och täcks av "
        "förankringar med systemsigillet ({entries} poster kontrollerade)."
    ),
    "audit.failed": N_(
        "Granskningsloggen är bruten vid post {seq}: {reason}. Registret kan ha ändrats i "
        "efterhand."
    ),
}

# The parts of an "attestation.failed" message.
PROBLEMS: Mapping[str, str] = {
    "no_row": N_("registret har ingen attest för steg {position}"),
    "name": N_("namnet är {file} i filen men {record} i registret"),
    "title": N_("titeln är {file} i filen men {record} i registret"),
    "certificate": N_(
        "certifikatets fingeravtryck (SHA-256) är {file}… i filen men {record}… i registret"
    ),
    "time": N_("tidsstämpeln är {file} i filen men {record} i registret"),
    "revisions": N_("filens innehåll före och efter attesten är inte det som registret har"),
    "audit_event": N_("granskningsloggen har ingen händelse om attesten"),
}

HOW = {
    "sha256": N_("filens SHA-256"),
    "code": N_("verifieringskoden {code} i sidfoten"),
    "certificates": N_("attesternas certifikat"),
    "given": N_("verifieringslänken {code}"),
}


def _check(status: str, key: str, subject: str = "", **params: Any) -> Check:
    message = Msg(TEXTS[key], params)
    return Check(
        code=CODE,
        status=status,
        message=message.render("sv"),
        message_en=message.render("en"),
        subject=subject,
    )


def _problem(key: str, **params: Any) -> Msg:
    return Msg(PROBLEMS[key], params)


def _joined(problems: Sequence[Msg]) -> Joined:
    return Joined(tuple(problems))


# --- Finding the submission ------------------------------------------------------------------


def verification_code_in(data: bytes) -> str | None:
    """The code of the /v/<code> link printed in the first page's footer, if any."""
    try:
        from pypdf import PdfReader, apply_configuration

        from attest.memos.bilagor import pypdf_warnings_off

        # pypdf lists every page to find the first: a tree of shared nodes can name 100 000
        # pages in a few kilobytes. No attested memo comes near this many pages, nor a first
        # page whose content inflates to more than a few megabytes.
        with pypdf_warnings_off(), apply_configuration(
            page_tree_maximum_entries=PAGE_TREE_ENTRIES, zlib_maximum_output_length=INFLATE_LIMIT
        ):
            reader = PdfReader(io.BytesIO(data), strict=False)
            text = reader.pages[0].extract_text() if reader.pages else ""
    except Exception:  # a file pypdf cannot read has no code to offer; the core says why
        return None
    match = VERIFICATION_LINK.search(text or "")
    return match.group(1) if match else None


def _in_organisation(statement: Any, organisation: Organisation | None) -> Any:
    if organisation is None:
        return statement
    return statement.join(Memo, Memo.id == Submission.memo_id).where(
        Memo.organisation_id == organisation.id
    )


def find_submission(
    data: bytes, result: VerificationResult, organisation: Organisation | None = None
) -> tuple[Submission | None, str, str]:
    """(submission, how it was found, the footer's code) or (None, "", code).

    By the file's SHA-256 (the stored attested, frozen or an intermediate copy), else by
    the verification code in the footer, else by the attesters' certificates and timestamp
    times. ``organisation`` limits the search to its memos: another organisation's file is
    "not in the records".
    """
    session = db.session()
    sha = result.file_sha256
    submission = session.scalar(
        _in_organisation(sa.select(Submission), organisation)
        .where(sa.or_(Submission.current_pdf_sha256 == sha, Submission.frozen_pdf_sha256 == sha))
        .order_by(Submission.id.desc())
        .limit(1)
    )
    if submission is None:
        submission = session.scalar(
            _in_organisation(
                sa.select(Submission).join(Attestation, Attestation.submission_id == Submission.id),
                organisation,
            )
            .where(Attestation.pdf_sha256_after == sha)
            .limit(1)
        )
    if submission is not None:
        return submission, "sha256", ""

    code = verification_code_in(data) or ""
    if code:
        submission = session.scalar(
            _in_organisation(sa.select(Submission), organisation).where(
                Submission.verification_code == code
            )
        )
        if submission is not None:
            return submission, "code", code

    submission = _by_certificates(result.attestations, organisation)
    if submission is not None:
        return submission, "certificates", code
    return None, "", code


def _by_certificates(
    signed: Sequence[SignedRow], organisation: Organisation | None
) -> Submission | None:
    """The submission with the most attestation rows of these certificates at these times."""
    conditions = []
    for row in signed:
        at = row.timestamp_time or row.signing_time
        if row.certificate_sha256 and at is not None:
            conditions.append(
                sa.and_(
                    Attestation.certificate_sha256 == row.certificate_sha256,
                    Attestation.timestamp_at.between(at - TIME_TOLERANCE, at + TIME_TOLERANCE),
                )
            )
    if not conditions:
        return None
    statement = sa.select(Attestation.submission_id, sa.func.count()).where(sa.or_(*conditions))
    if organisation is not None:
        statement = (
            statement.join(Submission, Submission.id == Attestation.submission_id)
            .join(Memo, Memo.id == Submission.memo_id)
            .where(Memo.organisation_id == organisation.id)
        )
    best = (
        db.session()
        .execute(
            statement.group_by(Attestation.submission_id)
            .order_by(sa.func.count().desc(), Attestation.submission_id.desc())
            .limit(1)
        )
        .first()
    )
    return db.session().get(Submission, best[0]) if best is not None else None


# --- What the records hold besides the rows --------------------------------------------------


@dataclass
class RecordsContext:
    """The audit facts one or many comparisons share: the chain's verdict, events by memo.

    A bulk check makes one and passes it to every ``check_records``; a single check makes
    its own. ``audit`` is attest.attestation.audit_anchor.verify_audit()'s report.
    """

    audit: ChainReport | None = None
    _events: dict[int, set[tuple[int | None, int | None, int | None]]] = field(default_factory=dict)
    _all_events_loaded: bool = False

    def audit_report(self) -> ChainReport:
        """The whole chain's verdict, once: for a bulk check of many memos."""
        if self.audit is None:
            from attest.attestation.audit_anchor import verify_audit

            self.audit = verify_audit()
        return self.audit

    def memo_audit_report(self, memo_id: int) -> ChainReport:
        """The verdict on the part of the chain that vouches for one memo's workflow events.

        A bulk check has the whole chain's verdict already; a single check reads only the
        memo's events and the entries up to the timestamped heads after them, so verifying
        one memo costs the same with a hundred memos behind it or a million.
        """
        if self.audit is not None:
            return self.audit
        from attest.attestation.audit_anchor import verify_audit_of

        seqs = db.session().scalars(
            sa.select(AuditEvent.seq).where(
                AuditEvent.memo_id == memo_id, AuditEvent.event.like("memo:%")
            )
        )
        return verify_audit_of(seqs)

    def load_events(self, organisation: Organisation | None) -> None:
        """Read every attestation event (of one organisation) at once: for a bulk check."""
        statement = sa.select(AuditEvent.data, AuditEvent.actor_id).where(
            AuditEvent.event == ATTEST_EVENT
        )
        if organisation is not None:
            statement = statement.where(AuditEvent.organisation_id == organisation.id)
        for data, actor_id in db.session().execute(statement):
            self._add_event(data, actor_id)
        self._all_events_loaded = True

    def attestation_events(self, memo_id: int) -> set[tuple[int | None, int | None, int | None]]:
        """(version, step, actor) of every logged attestation of the memo."""
        if memo_id not in self._events and not self._all_events_loaded:
            self._events[memo_id] = set()
            for data, actor_id in db.session().execute(
                sa.select(AuditEvent.data, AuditEvent.actor_id).where(
                    AuditEvent.event == ATTEST_EVENT, AuditEvent.memo_id == memo_id
                )
            ):
                self._add_event(data, actor_id)
        return self._events.get(memo_id, set())

    def _add_event(self, data: str, actor_id: int | None) -> None:
        try:
            values = json.loads(data)
            memo = int(values["memo"])
        except (ValueError, KeyError, TypeError):
            return  # an unreadable event belongs to no memo; the chain check judges it
        self._events.setdefault(memo, set()).add(
            (values.get("version"), values.get("step"), actor_id)
        )


def _revision_digests(data: bytes) -> set[str]:
    """SHA-256 of the file up to the end of each revision: what the engine recorded.

    Each attestation is an incremental update, so every earlier state of the document is
    a prefix of the file ending at an %%EOF marker.
    """
    return {hashlib.sha256(data[: m.end()]).hexdigest() for m in _REVISION_END.finditer(data)}


def _frozen_matches(data: bytes, submission: Submission) -> bool:
    size = db.session().scalar(
        sa.select(Blob.size).where(Blob.sha256 == submission.frozen_pdf_sha256)
    )
    if size is None or size > len(data):
        return False
    return hashlib.sha256(data[:size]).hexdigest() == submission.frozen_pdf_sha256


# --- The comparison ----------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """What the records say about a file: the submission it is (if found) and the checks."""

    submission: Submission | None
    found_by: str  # "sha256" | "code" | "certificates" | "given" | ""
    checks: tuple[Check, ...]


def check_records(
    data: bytes,
    result: VerificationResult,
    *,
    organisation: Organisation | None = None,
    submission: Submission | None = None,
    context: RecordsContext | None = None,
) -> tuple[Check, ...]:
    """The ``records`` checks of a file the core has verified (needs an app context).

    organisation: search only its memos. submission: the one the file should be (the
    /v/<code> link, a bulk check); otherwise it is looked for. context: shared audit facts.
    """
    return compare_with_records(
        data, result, organisation=organisation, submission=submission, context=context
    ).checks


def compare_with_records(
    data: bytes,
    result: VerificationResult,
    *,
    organisation: Organisation | None = None,
    submission: Submission | None = None,
    context: RecordsContext | None = None,
) -> Comparison:
    """check_records, and the submission the checks are about."""
    if result.unusable:
        return Comparison(None, "", (_check(NOT_CHECKED, "unusable"),))
    context = context or RecordsContext()
    how, code = "given", ""
    if submission is None:
        submission, how, code = find_submission(data, result, organisation)
    else:
        code = submission.verification_code or ""
    if submission is None:
        org = Msg.of(N_(" för {name}"), name=organisation.name) if organisation else ""
        return Comparison(None, "", (_check(NOT_CHECKED, "unknown", org=org),))
    return Comparison(submission, how, _compare(data, result, submission, how, code, context))


def _compare(
    data: bytes,
    result: VerificationResult,
    submission: Submission,
    how: str,
    code: str,
    context: RecordsContext,
) -> tuple[Check, ...]:
    memo, version = submission.memo, submission.version
    dnr = memo.dnr
    checks: list[Check] = []
    if version.memo_id != memo.id:
        checks.append(_check(FAILED, "found.wrong_version", dnr=dnr))
    else:
        checks.append(
            _check(
                OK,
                "found",
                dnr=dnr,
                rubrik=version.rubrik,
                version=version.number,
                sent=format_time(submission.created_at),
                how=Msg.of(HOW[how], code=code),
            )
        )
    if _frozen_matches(data, submission):
        checks.append(_check(OK, "frozen.ok", sha=submission.frozen_pdf_sha256[:16]))
    else:
        checks.append(_check(FAILED, "frozen.failed", dnr=dnr, version=version.number))

    rows = {row.position: row for row in submission.attestations}
    checks.append(_steps_check(submission, result.attestations, rows))
    revisions = _revision_digests(data)
    events = context.attestation_events(memo.id)
    signed_positions = set()
    for signed in result.attestations:
        signed_positions.add(signed.position)
        checks.append(
            _attestation_check(signed, rows.get(signed.position), revisions, events, version)
        )
    for position, row in sorted(rows.items()):
        if position not in signed_positions:
            field_name = f"attest-steg-{position}"
            checks.append(
                _check(
                    FAILED,
                    "attestation.missing_in_file",
                    field_name,
                    name=row.signer_name,
                    position=position,
                    field=field_name,
                )
            )

    report = context.memo_audit_report(memo.id)
    if report.ok:
        checks.append(
            _check(OK, "audit.ok" if report.whole else "audit.memo_ok", entries=report.entries)
        )
    else:
        checks.append(
            _check(FAILED, "audit.failed", seq=report.first_broken_seq, reason=Msg(report.reason))
        )
    return tuple(checks)


def _steps_check(
    submission: Submission, signed: Sequence[SignedRow], rows: Mapping[int, Attestation]
) -> Check:
    found, count, done = len(signed), len(submission.steps), len(rows)
    if submission.status == "voided":
        return _check(FAILED, "steps.voided", when=format_time(submission.ended_at))
    if submission.status == "active":
        key = "steps.pending" if found == done else "steps.failed"
        return _check(OK if found == done else FAILED, key, found=found, done=done, count=count)
    if found == count == done:
        return _check(OK, "steps.ok", found=found, count=count)
    return _check(FAILED, "steps.failed", found=found, done=done, count=count)


def _attestation_check(
    signed: SignedRow,
    row: Attestation | None,
    revisions: set[str],
    events: set[tuple[int | None, int | None, int | None]],
    version: Any,
) -> Check:
    field_name = signed.field_name
    if row is None:
        problems = [_problem("no_row", position=signed.position)]
        return _check(
            FAILED, "attestation.failed", field_name, field=field_name, problems=_joined(problems)
        )
    problems = []
    if signed.signer_name != row.signer_name:
        problems.append(_problem("name", file=signed.signer_name, record=row.signer_name))
    if not _same_title(signed.title, row.signer_title):
        problems.append(_problem("title", file=signed.title or "–", record=row.signer_title))
    if row.certificate_sha256 and signed.certificate_sha256 != row.certificate_sha256:
        problems.append(
            _problem(
                "certificate",
                file=signed.certificate_sha256[:16] or "–",
                record=row.certificate_sha256[:16],
            )
        )
    file_time = signed.timestamp_time
    if not _same_time(file_time, row.timestamp_at):
        problems.append(
            _problem(
                "time",
                file=format_time(file_time) if file_time else "–",
                record=format_time(row.timestamp_at) if row.timestamp_at else "–",
            )
        )
    if row.pdf_sha256_before not in revisions or row.pdf_sha256_after not in revisions:
        problems.append(_problem("revisions"))
    if (version.number, row.position, row.signer_id) not in events:
        problems.append(_problem("audit_event"))
    if problems:
        return _check(
            FAILED, "attestation.failed", field_name, field=field_name, problems=_joined(problems)
        )
    return _check(
        OK,
        "attestation.ok",
        field_name,
        field=field_name,
        name=row.signer_name,
        title=row.signer_title,
        fingerprint=(row.certificate_sha256 or signed.certificate_sha256)[:16],
        time=format_time(row.timestamp_at or file_time),
    )


def _same_title(in_certificate: str, in_record: str) -> bool:
    """The row's title is the certificate's, or an acting one ("t.f. avdelningschef")."""
    record = in_record.casefold()
    return record == in_certificate.casefold() or record.startswith("t.f. ")


def _same_time(a: dt.datetime | None, b: dt.datetime | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= TIME_TOLERANCE


def with_records(result: VerificationResult, checks: Iterable[Check]) -> VerificationResult:
    """The result with the records checks in place of the core's "not checked" one.

    A failed comparison makes the verdict invalid, however valid the file is on its own;
    a comparison not made leaves the core's verdict as it is.
    """
    records = tuple(checks)
    kept = tuple(c for c in result.checks if c.code != CODE)
    verdict = "invalid" if any(c.status == FAILED for c in records) else result.verdict
    return dataclasses.replace(result, checks=kept + records, verdict=verdict)


def verify_with_records(
    data: bytes,
    organisation: Organisation,
    *,
    submission: Submission | None = None,
) -> tuple[VerificationResult, Comparison]:
    """The verify page's check: the core with the CAs and current CRLs of every förvaltning
    of this installation at the app clock's time (the one that sealed the memo decides
    whose it is), then the comparison with the records of the clerk's organisation."""
    from flask import current_app

    from attest import clock
    from attest.verify.core import verify_pdf

    trust, crls = installation_trust()
    if not trust:
        from attest.attestation import keystore

        keystore.org_pki(organisation)  # refuses, saying the organisation has no keys yet
    result = verify_pdf(
        data,
        trust=trust,
        crls=crls,
        now=clock.now(),
        expected_steps=len(submission.steps) if submission is not None else None,
        max_signatures=current_app.config["VERIFY_MAX_SIGNATURES"],
    )
    if result.refused:
        return result, Comparison(None, "", ())
    comparison = compare_with_records(
        data, result, organisation=organisation, submission=submission
    )
    return with_records(result, comparison.checks), comparison


def organisation_trust(organisation: Organisation) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """(trust, CRLs) for verifying the organisation's PDFs: its CA and its current CRL, and
    the configured signature service's CA (it vouches only for the rows a sealed route
    binds to it, and only for the person the route names there)."""
    from attest.attestation import keystore
    from attest.attestation.personal import current_crl
    from attest.signservice.operations import settings

    service = settings()
    extra = (service.ca_cert,) if service is not None else ()
    return (keystore.org_pki(organisation).ca_cert, *extra), (current_crl(organisation),)


def installation_trust() -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """(trust, CRLs) of every organisation of this installation that has its keys."""
    from attest.attestation import keystore

    trust: list[Any] = []
    crls: list[Any] = []
    for org in db.session().scalars(sa.select(Organisation).order_by(Organisation.id)):
        if keystore.has_pki(org):
            cas, lists = organisation_trust(org)
            trust.extend(ca for ca in cas if ca not in trust)
            crls.extend(lists)
    return tuple(trust), tuple(crls)
