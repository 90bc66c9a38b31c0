"""How long rendering the reference memo with a 10-page bilaga takes, against bare reportlab.

Run: .venv/bin/python bench/bench_render.py [runs]
The baseline is SimpleDocTemplate laying out the same paragraphs with reportlab's default
styles and fonts, no letterhead, no page numbering and no bilaga merge: it shows what the
memo's own layout and the merge add on this machine.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import os
import sys
from io import BytesIO
from xml.sax.saxutils import escape

from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from attest.demo_content import (  # noqa: E402
    REFERENCE_BILAGA_SECTIONS,
    REFERENCE_BILAGA_TITLE,
    reference_document,
)
from attest.pdf import (  # noqa: E402
    Attachment,
    MemoDocument,
    Organisation,
    paragraphs,
    render_memo,
    render_report,
)
from bench.report import interleaved_ms, ratio  # noqa: E402

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
    """A report of the reference bilaga's sections, repeated, cut to exactly `pages` pages."""
    repeats = 1
    while True:
        pdf = render_report(
            organisation=ORGANISATION,
            unit="HR och utveckling",
            dnr=DNR,
            date=DATE,
            title=REFERENCE_BILAGA_TITLE,
            sections=list(REFERENCE_BILAGA_SECTIONS) * repeats,
        )
        reader = PdfReader(BytesIO(pdf))
        count = len(reader.pages)
        if count == pages:
            return pdf
        if count > pages:
            break
        repeats = max(repeats + 1, math.ceil(repeats * pages * 1.05 / count))
    writer = PdfWriter()
    for page in reader.pages[:pages]:
        writer.add_page(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


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


def main(runs: int = 21) -> None:
    bilaga = bilaga_of_pages(10)
    doc = reference_memo(bilaga)
    memo_only = dataclasses.replace(doc, attachments=())
    rendered = render_memo(doc)
    total_pages = len(PdfReader(BytesIO(rendered.pdf)).pages)
    ms = interleaved_ms(
        {
            "baseline": lambda: bare_reportlab(doc),
            "memo": lambda: render_memo(memo_only),
            "full": lambda: render_memo(doc),
        },
        runs,
    )
    baseline, memo, full = ms["baseline"], ms["memo"], ms["full"]
    print(
        f"pages: memo {rendered.memo_page_count} + bilaga 10 = {total_pages}; "
        f"median of {runs} runs, interleaved"
    )
    print(f"baseline (bare SimpleDocTemplate, same paragraphs): {baseline:7.1f} ms")
    print(f"render_memo without bilaga:                        {memo:7.1f} ms")
    print(f"render_memo with the 10-page bilaga:               {full:7.1f} ms")
    ratio(
        "render reference memo + 10-page bilaga vs bare reportlab",
        full / baseline,
        None,
        f"{full:.1f} ms vs {baseline:.1f} ms (without the bilaga {memo:.1f} ms); "
        f"{total_pages} pages",
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 21)
