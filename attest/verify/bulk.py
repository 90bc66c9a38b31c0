"""Bulk verification: every memo an organisation attested in a period, checked again.

Each submission's stored attested PDF goes through the offline core (attest.verify.core)
with the organisation's CA and current CRL, and then through the comparison with the
records (attest.verify.records). The core runs in a pool of worker processes: they get
the bytes and the CA and CRL as DER, and return the core's result; the database stays in
this process, which fetches the blobs and compares each result with the records while
the workers verify the next files.

This module's top level imports only the core, so that a worker starts without Flask or
the database; everything else is imported where the parent process needs it.
"""

from __future__ import annotations

import concurrent.futures
import csv
import datetime as dt
import io
import multiprocessing
import os
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from attest.catalogue import N_
from attest.verify.core import Check, VerificationResult, verify_pdf
from attest.verify.report import Msg, check_title, format_time, verdict_title

if TYPE_CHECKING:
    from attest.orgs.models import Organisation
    from attest.verify.records import RecordsContext
    from attest.workflow.models import Submission

__all__ = ["BULK_PERFORMED", "BulkItem", "BulkReport", "record_run", "verify_all"]

BULK_PERFORMED = "verification:bulk:performed"

Progress = Callable[[int, int], None]  # (done, total)

# Below this many files a pool costs more to start than it saves.
POOL_THRESHOLD = 16
# Files handed to the workers ahead of the one being compared: enough to keep both busy,
# few enough that a long period does not hold every PDF in memory at once.
WINDOW_PER_WORKER = 4


@dataclass(frozen=True)
class BulkItem:
    """One attested memo's check: which memo, the verdict, and what failed."""

    submission_id: int
    memo_id: int
    dnr: str
    rubrik: str
    version: int
    attested_at: dt.datetime | None
    verification_code: str
    file_sha256: str
    verdict: str  # "valid" | "invalid" | "undecidable"
    problems: tuple[Check, ...]  # the failed checks; for "undecidable", the undecided ones

    @property
    def verdict_title(self) -> str:
        return verdict_title(self.verdict, "sv")


@dataclass(frozen=True)
class BulkReport:
    """The period's summary and every memo's result, in the order they were attested."""

    organisation_code: str
    organisation_name: str
    since: dt.date
    until: dt.date | None
    verified_at: dt.datetime
    items: tuple[BulkItem, ...]
    audit_ok: bool
    audit_reason: str  # "post 12: posten har ändrats": the JSON report's and the CLI's (Swedish)
    seconds: float
    workers: int
    # The same, for a page in the reader's language: the entry, and the reason's msgid.
    audit_broken_seq: int | None = None
    audit_problem: str = ""

    @property
    def total(self) -> int:
        return len(self.items)

    def count(self, verdict: str) -> int:
        return sum(1 for item in self.items if item.verdict == verdict)

    @property
    def valid(self) -> int:
        return self.count("valid")

    @property
    def not_valid(self) -> tuple[BulkItem, ...]:
        return tuple(item for item in self.items if item.verdict != "valid")

    @property
    def ok(self) -> bool:
        return self.total == self.valid

    @property
    def rate(self) -> float:
        """PDFs verified per second."""
        return self.total / self.seconds if self.seconds > 0 else 0.0

    def to_csv(self) -> str:
        """Every memo's result as CSV for a spreadsheet: semicolons, UTF-8 with BOM."""
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(
            (
                "Dnr",
                "Rubrik",
                "Version",
                "Attesterad",
                "Resultat",
                "Underkända kontroller",
                "Skäl",
                "SHA-256",
                "Verifieringskod",
                "Kontrollerad",
            )
        )
        checked = format_time(self.verified_at)
        for item in self.items:
            writer.writerow(
                _safe_cells(
                    (
                        item.dnr,
                        item.rubrik,
                        str(item.version),
                        format_time(item.attested_at),
                        item.verdict_title,
                        ", ".join(_check_name(c) for c in item.problems),
                        " ".join(c.message for c in item.problems),
                        item.file_sha256,
                        item.verification_code,
                        checked,
                    )
                )
            )
        return out.getvalue()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (times in ISO 8601, UTC)."""
        return {
            "organisation": self.organisation_code,
            "since": self.since.isoformat(),
            "until": self.until.isoformat() if self.until else None,
            "verified_at": self.verified_at.isoformat(),
            "total": self.total,
            "valid": self.valid,
            "invalid": self.count("invalid"),
            "undecidable": self.count("undecidable"),
            "audit_ok": self.audit_ok,
            "audit_reason": self.audit_reason,
            "seconds": round(self.seconds, 3),
            "items": [
                {
                    "dnr": item.dnr,
                    "memo": item.memo_id,
                    "submission": item.submission_id,
                    "version": item.version,
                    "rubrik": item.rubrik,
                    "attested_at": item.attested_at.isoformat() if item.attested_at else None,
                    "verification_code": item.verification_code,
                    "file_sha256": item.file_sha256,
                    "verdict": item.verdict,
                    "problems": [
                        {
                            "code": c.code,
                            "subject": c.subject,
                            "message": c.message,
                            "message_en": c.message_en,
                        }
                        for c in item.problems
                    ],
                }
                for item in self.items
            ],
        }


def _check_name(check: Check) -> str:
    title = check_title(check.code, "sv")
    return f"{title} ({check.subject})" if check.subject else title


def _safe_cells(cells: Sequence[str]) -> list[str]:
    # A rubrik typed as "=HYPERLINK(...)" must stay text when the clerk opens the file.
    return ["'" + c if c[:1] in ("=", "+", "-", "@", "\t", "\r") else c for c in cells]


def _problems(result: VerificationResult) -> tuple[Check, ...]:
    failed = result.failed
    if failed or result.verdict != "undecidable":
        return failed
    # Undecidable: the checks that could not be made are the reason (the records aside).
    return tuple(c for c in result.checks if c.status == "not_checked" and c.code != "records")


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# --- The worker side: bytes and DER in, the core's result out ----------------------------------

_worker_inputs: dict[str, Any] = {}


def _init_worker(
    trust_der: tuple[bytes, ...], crl_der: tuple[bytes, ...], now: dt.datetime, limit: int
) -> None:
    from cryptography import x509

    _worker_inputs["trust"] = tuple(x509.load_der_x509_certificate(d) for d in trust_der)
    _worker_inputs["crls"] = tuple(x509.load_der_x509_crl(d) for d in crl_der)
    _worker_inputs["now"] = now
    _worker_inputs["limit"] = limit


def _verify_in_worker(data: bytes, expected_steps: int | None) -> VerificationResult:
    return verify_pdf(
        data,
        trust=_worker_inputs["trust"],
        crls=_worker_inputs["crls"],
        now=_worker_inputs["now"],
        expected_steps=expected_steps,
        max_signatures=_worker_inputs["limit"],
    )


def _pool_context() -> multiprocessing.context.BaseContext:
    """Workers forked from a clean server that has imported the core once.

    Not plain fork: the web app's process has threads and database connections that a
    child must not inherit.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # The rows' rendering too (reportlab and its fonts), which the core loads on the first
        # file with attestations.
        context.set_forkserver_preload([__name__, "attest.verify.appearance", "attest.pdf"])
        return context
    return multiprocessing.get_context("spawn")


@dataclass
class _Job:
    submission: Submission
    data: bytes | None  # None: the stored PDF is missing
    steps: int
    pending: concurrent.futures.Future[VerificationResult] | None = None
    result: VerificationResult | None = None


@dataclass
class _Verifier:
    """Runs the core over jobs, in this process or in a pool, keeping their order."""

    trust_der: tuple[bytes, ...]
    crl_der: tuple[bytes, ...]
    now: dt.datetime
    workers: int
    limit: int

    def run(self, jobs: Iterator[_Job]) -> Iterator[_Job]:
        if self.workers <= 1:
            _init_worker(self.trust_der, self.crl_der, self.now, self.limit)
            for job in jobs:
                if job.data is not None:
                    job.result = _verify_in_worker(job.data, job.steps)
                yield job
            return
        with concurrent.futures.ProcessPoolExecutor(
            self.workers,
            mp_context=_pool_context(),
            initializer=_init_worker,
            initargs=(self.trust_der, self.crl_der, self.now, self.limit),
        ) as pool:
            window: deque[_Job] = deque()
            for job in jobs:
                if job.data is not None:
                    job.pending = pool.submit(_verify_in_worker, job.data, job.steps)
                window.append(job)
                if len(window) >= self.workers * WINDOW_PER_WORKER:
                    yield self._finished(window.popleft())
            while window:
                yield self._finished(window.popleft())

    @staticmethod
    def _finished(job: _Job) -> _Job:
        if job.pending is not None:
            job.result = job.pending.result()
            job.pending = None
        return job


# --- The parent: the period, the blobs, the records ------------------------------------------


# No memo is older; the period's times stay within what datetime can convert to UTC (a
# "från" of 0001-01-01 or a "till" of 9999-12-31 overflowed).
EARLIEST_DAY = dt.date(1900, 1, 1)


def period_bounds(since: dt.date, until: dt.date | None) -> tuple[dt.datetime, dt.datetime | None]:
    """[since 00:00, the day after until 00:00) in Stockholm, as UTC times."""
    from attest.clock import STOCKHOLM

    since = max(since, EARLIEST_DAY)
    start = dt.datetime.combine(since, dt.time(), STOCKHOLM).astimezone(dt.timezone.utc)
    if until is None or until >= dt.date.max:
        return start, None
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), STOCKHOLM)
    return start, end.astimezone(dt.timezone.utc)


def attested_in(
    organisation: Organisation, since: dt.date, until: dt.date | None
) -> list[Submission]:
    """The organisation's attested submissions of the period, in the order they finished."""
    import sqlalchemy as sa
    from sqlalchemy.orm import selectinload

    from attest import db
    from attest.memos.models import Memo
    from attest.workflow.models import Submission

    start, end = period_bounds(since, until)
    statement = (
        sa.select(Submission)
        .join(Memo, Memo.id == Submission.memo_id)
        .where(
            Memo.organisation_id == organisation.id,
            Submission.status == "attested",
            Submission.ended_at >= start,
        )
        .options(
            selectinload(Submission.memo),
            selectinload(Submission.steps),
            selectinload(Submission.attestations),
        )
        .order_by(Submission.ended_at, Submission.id)
    )
    if end is not None:
        statement = statement.where(Submission.ended_at < end)
    return list(db.session().scalars(statement))


def verify_all(
    organisation: Organisation,
    since: dt.date,
    until: dt.date | None = None,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
) -> BulkReport:
    """Verify every attested memo of the organisation finished in [since, until] (Stockholm).

    The checks are those of the verify page: the organisation's CA and current CRL at the
    app clock's time, then the records and the audit chain (walked once for the whole run).
    workers: processes for the core (default: one per core this process may run on, 1 for
    fewer than POOL_THRESHOLD files). progress(done, total) after each file.
    """
    from cryptography.hazmat.primitives import serialization

    from attest import blobs, clock
    from attest.verify.records import RecordsContext, organisation_trust

    started = time.perf_counter()
    now = clock.now()
    trust, crls = organisation_trust(organisation)
    der = serialization.Encoding.DER
    trust_der = tuple(cert.public_bytes(der) for cert in trust)
    crl_der = tuple(crl.public_bytes(der) for crl in crls)
    submissions = attested_in(organisation, since, until)
    total = len(submissions)
    if workers is None:
        workers = available_cores() if total >= POOL_THRESHOLD else 1
    workers = max(1, min(workers, total or 1))

    # The audit chain is walked once, when the first comparison needs it: by then the
    # workers are verifying, and the walk overlaps with them.
    context = RecordsContext()
    context.load_events(organisation)
    store = blobs.store()

    def jobs() -> Iterator[_Job]:
        for submission in submissions:
            try:
                data: bytes | None = store.get(submission.current_pdf_sha256)
            except (KeyError, OSError, ValueError):
                data = None
            yield _Job(submission, data, len(submission.steps))

    items: list[BulkItem] = []
    from flask import current_app

    limit = current_app.config["VERIFY_MAX_SIGNATURES"]
    verifier = _Verifier(trust_der, crl_der, now, workers, limit)
    for done, job in enumerate(verifier.run(jobs()), start=1):
        items.append(_item(job, context))
        if progress is not None:
            progress(done, total)
    audit = context.audit_report()
    return BulkReport(
        organisation_code=organisation.code,
        organisation_name=organisation.name,
        since=since,
        until=until,
        verified_at=now,
        items=tuple(items),
        audit_ok=audit.ok,
        audit_reason="" if audit.ok else f"post {audit.first_broken_seq}: {audit.reason}",
        seconds=time.perf_counter() - started,
        workers=workers,
        audit_broken_seq=None if audit.ok else audit.first_broken_seq,
        audit_problem="" if audit.ok else audit.reason,
    )


_MISSING_PDF = Msg.of(N_("Den lagrade attesterade PDF-filen saknas eller kan inte läsas."))
MISSING_PDF = Check(
    code="records",
    status="failed",
    message=_MISSING_PDF.render("sv"),
    message_en=_MISSING_PDF.render("en"),
)


def _item(job: _Job, context: RecordsContext) -> BulkItem:
    from attest.verify.records import check_records, with_records

    submission = job.submission
    memo, version = submission.memo, submission.version
    problems: tuple[Check, ...]
    if job.data is None or job.result is None:
        verdict, problems, sha = "invalid", (MISSING_PDF,), submission.current_pdf_sha256
    else:
        records = check_records(job.data, job.result, submission=submission, context=context)
        result = with_records(job.result, records)
        verdict, problems, sha = result.verdict, _problems(result), result.file_sha256
    return BulkItem(
        submission_id=submission.id,
        memo_id=memo.id,
        dnr=memo.dnr,
        rubrik=version.rubrik,
        version=version.number,
        attested_at=submission.ended_at,
        verification_code=submission.verification_code or "",
        file_sha256=sha,
        verdict=verdict,
        problems=problems,
    )


def record_run(report: BulkReport, *, actor: Any = None, source: str) -> None:
    """The audit event of a bulk check (in the caller's transaction): the period and counts."""
    from attest import audit
    from attest.orgs.operations import get_organisation

    audit.record(
        BULK_PERFORMED,
        actor=actor,
        organisation=get_organisation(report.organisation_code),
        data={
            "since": report.since.isoformat(),
            "until": report.until.isoformat() if report.until else None,
            "total": report.total,
            "valid": report.valid,
            "invalid": report.count("invalid"),
            "undecidable": report.count("undecidable"),
            "audit_ok": report.audit_ok,
            "source": source,
        },
    )
