"""A plain "Rapport" in the same letterhead as the memo; the demo bilaga is one."""

from __future__ import annotations

import datetime
from typing import Sequence

from reportlab.platypus import Flowable, Paragraph, Spacer

from attest.pdf.document import Organisation, paragraphs
from attest.pdf.fonts import register_fonts
from attest.pdf.memo import (
    STYLE_BODY,
    STYLE_H2,
    STYLE_TITLE,
    Letterhead,
    build_pdf,
    markup,
    start_of,
)
from attest.pdf.pdfa import ArchivalMetadata, make_archival

REPORT_DOCUMENT_TYPE = "Rapport"


def render_report(
    *,
    organisation: Organisation,
    unit: str,
    dnr: str,
    date: datetime.date,
    title: str,
    sections: Sequence[tuple[str, str]],
    created_at: datetime.datetime | None = None,
) -> bytes:
    """Render a report (PDF/A-2b): title, then (heading, text) sections; an empty heading
    prints none. created_at: when it was made (default: the start of ``date``)."""
    register_fonts()  # Paragraph resolves bold/italic faces when it is created
    story: list[Flowable] = []
    if title.strip():
        story += [Paragraph(markup(title), STYLE_TITLE), Spacer(1, 6)]
    for heading, text in sections:
        parts = paragraphs(text)
        if heading.strip():
            story.append(Paragraph(markup(heading), STYLE_H2 if parts else STYLE_BODY))
        story.extend(Paragraph(markup(p), STYLE_BODY) for p in parts)
    letterhead = Letterhead(
        organisation=organisation, unit=unit, document_type=REPORT_DOCUMENT_TYPE, dnr=dnr, date=date
    )
    full_title = f"{REPORT_DOCUMENT_TYPE} {dnr}"
    pdf, _ = build_pdf(letterhead, story, title=full_title, subject=title)
    return make_archival(
        pdf,
        ArchivalMetadata(
            title=full_title,
            author=organisation.name,
            subject=title,
            created_at=created_at or start_of(date),
            document_type=REPORT_DOCUMENT_TYPE,
            dnr=dnr,
            board=organisation.board,
        ),
    )
