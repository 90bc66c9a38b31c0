"""From a memo version to the renderer's MemoDocument, and to PDF bytes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from sqlalchemy.exc import IntegrityError

from attest import blobs, clock
from attest.memos.models import Memo, MemoVersion
from attest.pdf import (
    Attachment,
    AttestationStep,
    MemoDocument,
    Organisation,
    RenderedMemo,
    Signatory,
    Subsection,
    render_memo,
)


@dataclass(frozen=True)
class StepLine:
    """One route step as the PDF shows it: the role, and the person when known."""

    role_title: str
    person_name: str = ""
    person_title: str = ""


def pdf_organisation(org) -> Organisation:
    """The organisation as the PDF's letterhead and footer show it."""
    return Organisation(
        name=org.name,
        short_name=org.short_name,
        board=org.board,
        postal_address=org.postal_address,
        switchboard=org.switchboard,
        website=org.website,
        letterhead=org.letterhead,
    )


def document_for(
    memo: Memo,
    version: MemoVersion,
    *,
    steps: Sequence[StepLine],
    date: dt.date,
    verification_url: str = "",
    created_at: dt.datetime | None = None,
) -> MemoDocument:
    from attest.memos.types import type_of

    org = memo.organisation
    author = version.memo.author
    store = blobs.store()
    return MemoDocument(
        document_type=type_of(memo).title,
        organisation=pdf_organisation(org),
        unit=author.department,
        dnr=memo.printed_dnr,
        date=date,
        handlaggare=author.full_name,
        telefon=author.phone,
        meeting_date=version.meeting_date,
        rubrik=version.rubrik,
        underrubrik=version.underrubrik,
        forslag_till_beslut=version.forslag_till_beslut,
        sammanfattning=version.sammanfattning,
        bakgrund=version.bakgrund,
        arendet=version.arendet,
        arendets_beredning=version.arendets_beredning,
        synpunkter=version.synpunkter,
        synpunkter_subsections=tuple(Subsection(t, x) for t, x in version.subsections),
        # The signature block shows the highest rank first: the route reversed.
        signatories=tuple(
            Signatory(s.person_name, s.person_title or s.role_title) for s in reversed(steps)
        ),
        attachments=tuple(
            Attachment(a.title, store.get(a.blob_sha256)) for a in version.attachments
        ),
        steps=tuple(AttestationStep(s.role_title) for s in steps),
        verification_url=verification_url,
        created_at=created_at,
    )


def draft_steps(memo: Memo) -> list[StepLine]:
    """The configured route; a step shows its person when only one can take it."""
    from attest.workflow.routes import plan

    lines = []
    for step in plan(memo):
        person = step.preselected
        lines.append(
            StepLine(
                role_title=step.role.title,
                person_name=person.full_name if person else "",
                person_title=person.title if person else "",
            )
        )
    return lines


def render_draft(memo: Memo, version: MemoVersion | None = None) -> RenderedMemo:
    """The PDF of a draft version as it would be sent today (not stored: see preview)."""
    version = version or memo.latest_version
    return render_memo(_draft_document(memo, version))


def _draft_document(memo: Memo, version: MemoVersion) -> MemoDocument:
    return document_for(
        memo,
        version,
        steps=draft_steps(memo),
        date=clock.local(version.created_at).date(),
        created_at=version.created_at,
    )


@functools.lru_cache(maxsize=1)
def _layout_fingerprint() -> str:
    """The layout code and fonts: a change to them renders every preview anew."""
    import attest.pdf

    digest = hashlib.sha256()
    folder = Path(attest.pdf.__file__).parent
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".ttf"):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _preview_key(document: MemoDocument) -> str:
    """The SHA-256 of everything the preview is rendered from (a bilaga by its digest)."""

    def plain(value: object) -> object:
        if isinstance(value, bytes):
            return hashlib.sha256(value).hexdigest()
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()
        return str(value)

    inputs = {"layout": _layout_fingerprint(), "document": dataclasses.asdict(document)}
    text = json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=plain)
    return hashlib.sha256(text.encode()).hexdigest()


def stored_preview(memo: Memo, version: MemoVersion | None = None) -> bytes:
    """A draft version's preview PDF: rendered the first time it is asked for, stored (as a
    blob) and read after that; rendered anew only when something it shows has changed.
    The caller commits."""
    from attest import db
    from attest.memos.models import PreviewPdf

    version = version or memo.latest_version
    document = _draft_document(memo, version)
    key = _preview_key(document)
    session = db.session()
    found = session.get(PreviewPdf, key)
    store = blobs.store()
    if found is not None:
        return store.get(found.pdf_sha256)
    pdf = render_memo(document).pdf
    sha = store.put(pdf)
    try:
        with session.begin_nested():  # the same preview stored at once by another request
            session.add(PreviewPdf(key=key, pdf_sha256=sha, created_at=clock.now()))
    except IntegrityError:
        pass
    return pdf


def pdf_filename(memo: Memo, suffix: str = "") -> str:
    """A safe file name from the Dnr: 'EÅV 2024/123' -> 'Tjansteutlatande-EAV-2024-123.pdf'."""
    import unicodedata

    ascii_dnr = unicodedata.normalize("NFKD", memo.dnr).encode("ascii", "ignore").decode()
    safe = "".join(ch if ch.isalnum() else "-" for ch in ascii_dnr).strip("-")
    while "--" in safe:
        safe = safe.replace("--", "-")
    return f"Tjansteutlatande-{safe}{suffix}.pdf"


def preview_pdf(memo: Memo) -> bytes:
    """What "Förhandsgranska PDF" shows: the frozen copy once sent, else the draft's
    stored preview. The caller commits."""
    from attest.workflow.submissions import current_pdf

    frozen = current_pdf(memo)
    if frozen is not None:
        return frozen
    return stored_preview(memo)
