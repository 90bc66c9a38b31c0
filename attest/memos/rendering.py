"""From a memo version to the renderer's MemoDocument, and to PDF bytes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence

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
    )


def document_for(
    memo: Memo,
    version: MemoVersion,
    *,
    steps: Sequence[StepLine],
    date: dt.date,
    verification_url: str = "",
) -> MemoDocument:
    org = memo.organisation
    author = version.memo.author
    store = blobs.store()
    return MemoDocument(
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
    """The PDF of a draft version as it would be sent today (a preview; not stored)."""
    version = version or memo.latest_version
    return render_memo(
        document_for(
            memo, version, steps=draft_steps(memo), date=clock.local(version.created_at).date()
        )
    )


def pdf_filename(memo: Memo, suffix: str = "") -> str:
    """A safe file name from the Dnr: 'EÅV 2024/123' -> 'Tjansteutlatande-EAV-2024-123.pdf'."""
    import unicodedata

    ascii_dnr = unicodedata.normalize("NFKD", memo.dnr).encode("ascii", "ignore").decode()
    safe = "".join(ch if ch.isalnum() else "-" for ch in ascii_dnr).strip("-")
    while "--" in safe:
        safe = safe.replace("--", "-")
    return f"Tjansteutlatande-{safe}{suffix}.pdf"


def preview_pdf(memo: Memo) -> bytes:
    """What "Förhandsgranska PDF" shows: the frozen copy once sent, else the draft rendered."""
    from attest.workflow.submissions import current_pdf

    frozen = current_pdf(memo)
    if frozen is not None:
        return frozen
    return render_draft(memo).pdf
