"""How long rendering the reference memo with a 10-page bilaga takes, against bare reportlab.

Run: .venv/bin/python bench/bench_render.py [runs]
The baseline is SimpleDocTemplate laying out the same paragraphs with reportlab's default
styles and fonts, no letterhead, no page numbering and no bilaga merge: it shows what the
memo's own layout and the merge add on this machine.
"""

from __future__ import annotations

import dataclasses
import datetime
import statistics
import sys
import time
from io import BytesIO
from typing import Callable
from xml.sax.saxutils import escape

from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate

from attest.demo_content import (
    REFERENCE_BILAGA_SECTIONS,
    REFERENCE_BILAGA_TITLE,
    reference_document,
)
from attest.pdf import (
    Attachment,
    MemoDocument,
    Organisation,
    paragraphs,
    render_memo,
    render_report,
)

ORGANISATION = Organisation(
    name="Enskede-Årsta-Vantörs stadsdelsförvaltning",
    short_name="Enskede-Årsta-Vantör",
    board="Enskede-Årsta-Vantörs stadsdelsnämnd",
    postal_address="Box 81\n121 22 Johanneshov",
    switchboard="08-508 14 000",
    website="start.stockholm",
)
DNR = "EÅV 2024/123"
DATE = datetime.date(2024, 8, 14)


def bilaga_of_pages(pages: int) -> bytes:
    """The reference bilaga's sections repeated until the report has exactly `pages` pages."""
    sections = list(REFERENCE_BILAGA_SECTIONS)
    for _ in range(200):
        pdf = render_report(
            organisation=ORGANISATION,
            unit="HR och utveckling",
            dnr=DNR,
            date=DATE,
            title=REFERENCE_BILAGA_TITLE,
            sections=sections,
        )
        count = len(PdfReader(BytesIO(pdf)).pages)
        if count == pages:
            return pdf
        if count > pages:
            sections = sections[:-1]
        else:
            sections += REFERENCE_BILAGA_SECTIONS
    raise RuntimeError(f"could not make a {pages}-page bilaga")


def reference_memo(bilaga: bytes) -> MemoDocument:
    return reference_document(
        ORGANISATION,
        dnr=DNR,
        date=DATE,
        attachments=(Attachment(REFERENCE_BILAGA_TITLE, bilaga),),
    )


def bare_reportlab(doc: MemoDocument) -> bytes:
    """The baseline: the memo's paragraphs through a plain SimpleDocTemplate."""
    styles = getSampleStyleSheet()
    story = [Paragraph(escape(doc.rubrik), styles["Title"])]
    texts = [
        doc.forslag_till_beslut,
        doc.sammanfattning,
        doc.bakgrund,
        doc.arendet,
        doc.arendets_beredning,
        *(s.text for s in doc.synpunkter_subsections),
    ]
    for text in texts:
        story.append(Paragraph("Rubrik", styles["Heading2"]))
        story.extend(Paragraph(escape(p), styles["Normal"]) for p in paragraphs(text))
    buffer = BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, invariant=1).build(story)
    return buffer.getvalue()


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm up: imports, font registration, caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(runs: int = 21) -> None:
    bilaga = bilaga_of_pages(10)
    doc = reference_memo(bilaga)
    memo_only = dataclasses.replace(doc, attachments=())
    rendered = render_memo(doc)
    total_pages = len(PdfReader(BytesIO(rendered.pdf)).pages)
    baseline = median_ms(lambda: bare_reportlab(doc), runs)
    memo = median_ms(lambda: render_memo(memo_only), runs)
    full = median_ms(lambda: render_memo(doc), runs)
    print(
        f"pages: memo {rendered.memo_page_count} + bilaga 10 = {total_pages}; "
        f"median of {runs} runs"
    )
    print(f"baseline (bare SimpleDocTemplate, same paragraphs): {baseline:7.1f} ms")
    print(f"render_memo without bilaga:                        {memo:7.1f} ms")
    print(f"render_memo with the 10-page bilaga:               {full:7.1f} ms")
    print(f"ratio with bilaga / baseline:                       {full / baseline:7.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 21)
