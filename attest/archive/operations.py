"""Export attested memos to the archive: one E-ARK SIP per memo (attest.archive.sip).

``export_period`` is what the CLI (``attest archive export``) and the register page's
button call. It reads one memo at a time (its PDFs, its audit events), writes its package
and lets it go, so memory stays bounded however long the period is; the packages of a
period are written in the order the memos were attested.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

from attest import audit, blobs, clock, db
from attest.archive.sip import Content, Event, MemoPackage, Person, safe_name, write_package
from attest.audit.models import AuditEvent
from attest.errors import Invalid
from attest.i18n import _l
from attest.memos.rendering import pdf_filename, pdf_organisation
from attest.orgs.models import Organisation
from attest.workflow.models import Submission

EXPORTED = "archive:exported"
# The most days one export covers (the web button; the CLI takes any period in chunks of this).
MAX_PERIOD_DAYS = 366
# Audit events about a memo that become PREMIS events, and what they are called there.
_EVENT_KINDS = {
    "memo:skicka": "sent",
    "memo:attestera": "attested",
    "memo:returnera": "returned",
    "memo:aterkalla": "withdrawn",
    "verification:performed": "verified",
}
_EVENT_TEXTS = {
    "sent": "Skickad för attest: versionen fastställdes som PDF/A",
    "attested": "Attesterad",
    "returned": "Returnerad till handläggaren",
    "withdrawn": "Återkallad av handläggaren",
    "sealed": "Attesteringen fullständig: slutsigill, valideringsdata och arkivtidsstämpel",
    "verified": "Verifierad",
}


@dataclass(frozen=True)
class Period:
    since: dt.date
    until: dt.date  # inclusive

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The period in UTC: from the start of ``since`` to the end of ``until``, Stockholm."""
        start = dt.datetime.combine(self.since, dt.time(0), clock.STOCKHOLM)
        end = dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time(0), clock.STOCKHOLM)
        return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


def parse_period(since: str, until: str) -> Period:
    """A period from two dates (YYYY-MM-DD); Invalid (in Swedish) when it is not one."""
    try:
        first = dt.date.fromisoformat(since.strip())
        last = dt.date.fromisoformat(until.strip())
    except ValueError:
        raise Invalid(_l("Ange datum som ÅÅÅÅ-MM-DD.")) from None
    if last < first:
        raise Invalid(_l("Periodens slutdatum ligger före startdatumet."))
    return Period(first, last)


def attested_in(organisation: Organisation, period: Period) -> sa.Select:
    """The organisation's attested submissions of the period, in the order attested."""
    from attest.memos.models import Memo

    start, end = period.bounds()
    return (
        sa.select(Submission.id)
        .join(Memo, Memo.id == Submission.memo_id)
        .where(
            Memo.organisation_id == organisation.id,
            Submission.status == "attested",
            Submission.ended_at >= start,
            Submission.ended_at < end,
        )
        .order_by(Submission.ended_at, Submission.id)
    )


def _events(submission: Submission) -> tuple[Event, ...]:
    from attest.users.models import User

    rows = db.session().execute(
        sa.select(AuditEvent, User.full_name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.memo_id == submission.memo_id)
        .where(AuditEvent.event.in_(list(_EVENT_KINDS)))
        .order_by(AuditEvent.seq)
    )
    events = []
    for entry, actor in rows:
        data = json.loads(entry.data or "{}")
        kind = _EVENT_KINDS[entry.event]
        detail = _EVENT_TEXTS[kind]
        if kind == "attested" and data.get("step"):
            detail = f"{detail} (steg {data['step']})"
        outcome = str(data.get("verdict", "")) if kind == "verified" else ""
        event = Event(
            seq=entry.seq,
            kind=kind,
            at=entry.created_at,
            detail=detail,
            actor=actor or "",
            outcome=outcome,
            entry_hash=entry.entry_hash,
            prev_hash=entry.prev_hash,
        )
        events.append(event)
        if kind == "attested" and data.get("to") == "attesterad":
            # The last attestation closes the memo in the same step (attest.attestation.hooks).
            events.append(dataclasses.replace(event, kind="sealed", detail=_EVENT_TEXTS["sealed"]))
    return tuple(events)


def _verification(submission: Submission, pdf: bytes) -> tuple[bytes, str, bytes]:
    """The verification at export: JSON, its verdict, and the human-readable report."""
    from attest.pdf.report import render_report
    from attest.verify.cli import print_result
    from attest.verify.records import verify_with_records

    organisation = submission.memo.organisation
    result, _ = verify_with_records(pdf, organisation, submission=submission)
    as_json = json.dumps(result.to_dict(), ensure_ascii=False, sort_keys=True, indent=2)
    text = io.StringIO()
    print_result(pdf_filename(submission.memo), result, "sv", text)
    now = clock.now()
    report = render_report(
        organisation=pdf_organisation(organisation),
        unit="",
        dnr=submission.memo.printed_dnr,
        date=clock.local(now).date(),
        title="Verifieringsrapport vid arkivering",
        sections=(("", text.getvalue()),),
        created_at=now,
    )
    return as_json.encode(), result.verdict, report


def memo_package(submission: Submission) -> MemoPackage:
    """The SIP of one attested submission, read from the records and the blob store."""
    memo = submission.memo
    memo_version = submission.version
    store = blobs.store()
    pdf = store.get(submission.current_pdf_sha256)
    exported_at = clock.now()
    report_json, verdict, report_pdf = _verification(submission, pdf)
    people = [Person("handläggare", memo.author.full_name, memo.author.title)]
    for attestation in sorted(submission.attestations, key=lambda a: a.position):
        step = next(s for s in submission.steps if s.position == attestation.position)
        people.append(
            Person(
                step.role_title.lower(),
                attestation.signer_name,
                attestation.signer_title,
                attestation.signer.person_id,
                attestation.attested_at,
            )
        )
    bilagor = tuple(
        Content(
            f"bilagor/{number:02d}-{safe_name(a.filename or a.title, 'bilaga')}"
            + ("" if (a.filename or "").lower().endswith(".pdf") else ".pdf"),
            store.get(a.blob_sha256),
            memo_version.created_at,
        )
        for number, a in enumerate(memo_version.attachments, 1)
    )
    verified = Event(
        seq=0,
        kind="verified",
        at=exported_at,
        detail="Verifierad vid arkiveringen (verifieringsrapporten i paketet)",
        outcome=verdict,
    )
    attested_at = submission.ended_at or exported_at
    return MemoPackage(
        organisation=memo.organisation.name,
        organisation_code=memo.organisation.code,
        board=memo.organisation.board,
        dnr=memo.printed_dnr,
        rubrik=memo_version.rubrik,
        underrubrik=memo_version.underrubrik,
        meeting_date=memo_version.meeting_date,
        version_number=memo_version.number,
        submission_number=submission.number,
        frozen_at=submission.created_at,
        attested_at=attested_at,
        verification_code=submission.verification_code or "",
        people=tuple(people),
        events=(*_events(submission), verified),
        attested_pdf=Content(pdf_filename(memo), pdf, attested_at),
        bilagor=bilagor,
        verification_json=Content(
            "verifieringsrapport.json", report_json, exported_at, "application/json"
        ),
        verification_pdf=Content("verifieringsrapport.pdf", report_pdf, exported_at),
        exported_at=exported_at,
        software_version=_software_version(),
        frozen_pdf_sha256=submission.frozen_pdf_sha256,
    )


def _software_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("attest")
    except PackageNotFoundError:
        return "0"


def _submission_ids(organisation: Organisation, period: Period) -> list[int]:
    return list(db.session().scalars(attested_in(organisation, period)))


def iter_packages(organisation: Organisation, period: Period) -> Iterator[MemoPackage]:
    """One package at a time. Nothing keeps a memo's rows or PDFs once its package is
    made: the session's identity map holds its objects weakly."""
    session = db.session()
    for submission_id in _submission_ids(organisation, period):
        submission = session.get(Submission, submission_id)
        assert submission is not None
        yield memo_package(submission)
        del submission


def export_period(
    organisation: Organisation, period: Period, out: Path, *, actor=None
) -> list[Path]:
    """Write one SIP per memo attested in the period into ``out``; the folders written.

    Records one audit event (archive:exported) for the run; the caller commits.
    """
    out.mkdir(parents=True, exist_ok=True)
    code, organisation_id = organisation.code, organisation.id
    written = [write_package(package, out) for package in iter_packages(organisation, period)]
    org = db.session().get(Organisation, organisation_id)
    audit.record(
        EXPORTED,
        actor=actor,
        organisation=org,
        data={
            "organisation": code,
            "since": period.since.isoformat(),
            "until": period.until.isoformat(),
            "packages": len(written),
        },
    )
    return written


def zip_folder(folder: Path, archive: zipfile.ZipFile, base: str) -> None:
    """Add a package folder to a zip: sorted, fixed times, so the bytes are reproducible."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        info = zipfile.ZipInfo(f"{base}/{path.relative_to(folder).as_posix()}")
        info.date_time = (1980, 1, 1, 0, 0, 0)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with path.open("rb") as source, archive.open(info, "w") as target:
            shutil.copyfileobj(source, target)


def export_zip(organisation: Organisation, period: Period, target, *, actor=None) -> int:
    """The period's packages as one zip written to ``target`` (a binary file object), one
    package at a time through a temporary folder; the number of packages."""
    count = 0
    with zipfile.ZipFile(target, "w") as archive:
        for package in iter_packages(organisation, period):
            with tempfile.TemporaryDirectory(prefix="attest-sip-") as scratch:
                folder = write_package(package, Path(scratch))
                zip_folder(folder, archive, folder.name)
            count += 1
    org = db.session().get(Organisation, organisation.id)
    audit.record(
        EXPORTED,
        actor=actor,
        organisation=org,
        data={
            "organisation": org.code if org else "",
            "since": period.since.isoformat(),
            "until": period.until.isoformat(),
            "packages": count,
        },
    )
    return count
