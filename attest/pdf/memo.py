"""Render a tjänsteutlåtande (memo) in the Stockholm stad layout, with its "Attesterat av" table.

The page letterhead, footer and "Sida N (M)" numbering defined here are shared with
report.py, so a memo and the bilagor it renders look like one family of documents.
"""

from __future__ import annotations

import datetime
import functools
import itertools
from dataclasses import dataclass
from io import BytesIO
from typing import Iterable, Sequence
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from attest.catalogue import N_
from attest.pdf.document import (
    MemoDocument,
    Organisation,
    RenderedMemo,
    RowRect,
    Signatory,
    paragraphs,
)
from attest.pdf.fonts import FONT_BOLD, FONT_NAME, register_fonts
from attest.pdf.merge import append_attachments
from attest.pdf.pdfa import ArchivalMetadata, make_archival
from attest.pdf.rows import (
    ROW_HEADER_FILL,
    ROW_HEIGHT,
    ROW_LINE_COLOR,
    ROW_LINE_WIDTH,
    ROW_NAME_COL_WIDTH,
    draw_row_text,
)

# --- Fixed texts (what the reader sees, in Swedish) -------------------------------------

# The section headings are also the edit form's labels, translated there (attest.memos.forms);
# the PDF always says them in Swedish.
HEADING_FORSLAG = N_("Förvaltningens förslag till beslut")
HEADING_SAMMANFATTNING = N_("Sammanfattning")
HEADING_BAKGRUND = N_("Bakgrund")
HEADING_ARENDET = N_("Ärendet")
HEADING_BEREDNING = N_("Ärendets beredning")
HEADING_SYNPUNKTER = N_("Förvaltningens synpunkter och förslag")
HEADING_BILAGA = "Bilaga"
HEADING_BILAGOR = N_("Bilagor")
HEADING_ATTESTERAT = "Attesterat av"
TEXT_ATTESTERAT = "Detta dokument har godkänts digitalt av följande personer:"
LABEL_HANDLAGGARE = "Handläggare"
LABEL_TILL = "Till"
LABEL_TELEFON = "Telefon"
LABEL_VAXEL = "Växel"
LABEL_NAMN = "Namn"
LABEL_DATUM = "Datum"
LABEL_VERIFIERING = "Verifiering"
LABEL_SIDA = "Sida"
ORGANISATION_KIND = "stadsdelsförvaltning"  # second signature line under short_name

_STOCKHOLM = ZoneInfo("Europe/Stockholm")

# --- Page geometry (points; A4 portrait) ------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_LEFT = 25 * mm
MARGIN_RIGHT = 20 * mm
CONTENT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
RIGHT_COLUMN_X = 118 * mm  # header's right block and the "Till" column start here
HEADER_BASELINE = PAGE_HEIGHT - 16 * mm
FIRST_FRAME_TOP = PAGE_HEIGHT - 46 * mm
LATER_FRAME_TOP = PAGE_HEIGHT - 34 * mm
FRAME_BOTTOM = 34 * mm
FOOTER_RULE_Y = 27 * mm
# The footer's QR code (the verification link), quiet zone included: modules of about
# 0.5 mm for a link of up to ~60 characters, which a phone reads from a printout.
QR_SIZE = 19 * mm
QR_X = PAGE_WIDTH - MARGIN_RIGHT - QR_SIZE + 2 * mm  # the quiet zone may reach the margin
QR_Y = 4 * mm
QR_LEVEL = "M"  # 15 % of the code may be smudged or folded
QR_QUIET_MODULES = 4  # the white border the QR standard asks for

# --- Paragraph styles -------------------------------------------------------------------

STYLE_BODY = ParagraphStyle(
    "attest-body", fontName=FONT_NAME, fontSize=10.5, leading=14.5, spaceAfter=7
)
STYLE_SMALL = ParagraphStyle(
    "attest-small", parent=STYLE_BODY, fontSize=10, leading=13, spaceAfter=0
)
STYLE_LABEL = ParagraphStyle(
    "attest-label", parent=STYLE_SMALL, fontName=FONT_BOLD, fontSize=9, leading=12
)
STYLE_TITLE = ParagraphStyle(
    "attest-title",
    parent=STYLE_BODY,
    fontName=FONT_BOLD,
    fontSize=16,
    leading=20,
    spaceBefore=0,
    spaceAfter=6,
    keepWithNext=1,
)
STYLE_SUBTITLE = ParagraphStyle(
    "attest-subtitle", parent=STYLE_BODY, fontSize=12, leading=16, spaceAfter=4, keepWithNext=1
)
STYLE_H1 = ParagraphStyle(
    "attest-h1",
    parent=STYLE_BODY,
    fontName=FONT_BOLD,
    fontSize=12,
    leading=15,
    spaceBefore=12,
    spaceAfter=5,
    keepWithNext=1,
)
STYLE_H2 = ParagraphStyle(
    "attest-h2",
    parent=STYLE_BODY,
    fontName=FONT_BOLD,
    fontSize=10.5,
    leading=14,
    spaceBefore=6,
    spaceAfter=3,
    keepWithNext=1,
)
STYLE_SIGNATURE = ParagraphStyle("attest-signature", parent=STYLE_BODY, spaceAfter=0)
_STYLE_HEADER_ORG = ParagraphStyle(
    "attest-header-org", fontName=FONT_BOLD, fontSize=10, leading=12.5
)
_STYLE_HEADER_UNIT = ParagraphStyle(
    "attest-header-unit", fontName=FONT_NAME, fontSize=9, leading=12
)


def markup(text: str) -> str:
    """User text as Paragraph markup: everything literal, single newlines become line breaks."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "<br/>".join(escape(line) for line in lines)


def format_date(value: datetime.date) -> str:
    """Dates as printed in every attest PDF (YYYY-MM-DD)."""
    return value.isoformat()


def start_of(day: datetime.date) -> datetime.datetime:
    """Midnight in Stockholm: the creation time of a document known only by its date."""
    return datetime.datetime.combine(day, datetime.time(0), _STOCKHOLM)


def _layout_table(data: list, col_widths: Sequence[float], bottom_padding: float = 0) -> Table:
    """A borderless layout table whose cell text uses the embedded font (never Helvetica)."""
    # splitInRow: an absurdly long name must flow over the page, not fail the whole render.
    table = Table(data, colWidths=list(col_widths), hAlign="LEFT", splitInRow=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT_NAME),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), bottom_padding),
            ]
        )
    )
    return table


# --- Letterhead, footer and page numbering (shared with report.py) ---------------------


@dataclass(frozen=True)
class Letterhead:
    """What the header and footer of every page of one document show."""

    organisation: Organisation
    unit: str
    document_type: str  # "Tjänsteutlåtande", "Rapport"
    dnr: str
    date: datetime.date
    verification_url: str = ""


def _draw_page_decoration(letterhead: Letterhead, first_page: bool, canv: Canvas, _doc) -> None:
    canv.saveState()
    canv.setFillColor(colors.black)
    right_x = RIGHT_COLUMN_X
    y = HEADER_BASELINE
    canv.setFont(FONT_BOLD, 10)
    canv.drawString(right_x, y, letterhead.document_type)
    canv.setFont(FONT_NAME, 9)
    canv.drawString(right_x, y - 13, f"Dnr {letterhead.dnr}")
    if first_page:
        canv.drawString(right_x, y - 26, format_date(letterhead.date))
        _draw_header_left(canv, letterhead)
    _draw_footer(canv, letterhead)
    canv.restoreState()


def _draw_header_left(canv: Canvas, letterhead: Letterhead) -> None:
    width = RIGHT_COLUMN_X - MARGIN_LEFT - 8 * mm
    top = HEADER_BASELINE + _STYLE_HEADER_ORG.fontSize  # align first line with the right block
    blocks = [Paragraph(markup(letterhead.organisation.name), _STYLE_HEADER_ORG)]
    blocks += [
        Paragraph(markup(line.strip()), _STYLE_HEADER_UNIT)
        for line in letterhead.organisation.letterhead.splitlines()
        if line.strip()
    ]
    if letterhead.unit.strip():
        blocks.append(Paragraph(markup(letterhead.unit), _STYLE_HEADER_UNIT))
    for block in blocks:
        _, height = block.wrapOn(canv, width, PAGE_HEIGHT)
        top -= height
        block.drawOn(canv, MARGIN_LEFT, top + 2)


def _draw_footer(canv: Canvas, letterhead: Letterhead) -> None:
    org = letterhead.organisation
    canv.setStrokeColor(colors.HexColor("#999999"))
    canv.setLineWidth(0.5)
    canv.line(MARGIN_LEFT, FOOTER_RULE_Y, PAGE_WIDTH - MARGIN_RIGHT, FOOTER_RULE_Y)
    canv.setFont(FONT_NAME, 8)
    top = FOOTER_RULE_Y - 11
    columns = [
        (MARGIN_LEFT, [line.strip() for line in org.postal_address.splitlines() if line.strip()]),
        (MARGIN_LEFT + 55 * mm, [f"{LABEL_VAXEL} {org.switchboard}"] if org.switchboard else []),
        (RIGHT_COLUMN_X, [org.website] if org.website else []),
    ]
    for x, lines in columns:
        for i, line in enumerate(lines):
            canv.drawString(x, top - 10 * i, line)
    if letterhead.verification_url:
        canv.setFont(FONT_NAME, 6.5)
        canv.setFillColor(colors.HexColor("#444444"))
        canv.drawString(MARGIN_LEFT, 9 * mm, f"{LABEL_VERIFIERING}: {letterhead.verification_url}")
        _draw_qr(canv, letterhead.verification_url)


def _draw_qr(canv: Canvas, link: str) -> None:
    """The verification link as a QR code in the footer's bottom right corner, below the
    rule and right of the text columns, for a phone's camera.

    reportlab's encoder makes the module matrix; the modules are drawn as plain filled
    rectangles, since its widget's renderer sets an unembedded Helvetica (not PDF/A).
    """
    widget = QrCodeWidget(link, barLevel=QR_LEVEL)
    widget.qr.make()
    modules = widget.qr.modules
    size = QR_SIZE / (len(modules) + 2 * QR_QUIET_MODULES)
    top = QR_Y + QR_SIZE - QR_QUIET_MODULES * size
    left = QR_X + QR_QUIET_MODULES * size
    canv.setFillColor(colors.black)
    for r, row in enumerate(modules):
        c = 0
        for dark, run in itertools.groupby(bool(m) for m in row):
            count = len(list(run))
            if dark:  # one rectangle per run of dark modules in a row
                canv.rect(left + c * size, top - (r + 1) * size, count * size, size, 0, 1)
            c += count


class _NumberedCanvas(Canvas):
    """Holds every page back until the build ends, so "Sida N (M)" knows M in one pass."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._held_pages: list[dict] = []

    def showPage(self):
        self._held_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._held_pages)
        for state in self._held_pages:
            self.__dict__.update(state)
            self.saveState()
            self.setFillColor(colors.black)
            self.setFont(FONT_NAME, 9)
            label = f"{LABEL_SIDA} {self._pageNumber} ({total})"
            self.drawRightString(PAGE_WIDTH - MARGIN_RIGHT, HEADER_BASELINE, label)
            self.restoreState()
            Canvas.showPage(self)
        Canvas.save(self)


def build_pdf(
    letterhead: Letterhead, story: list[Flowable], *, title: str, subject: str
) -> tuple[bytes, int]:
    """Lay out a story on letterhead pages; return the PDF bytes and its page count."""
    register_fonts()
    buffer = BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_LEFT,
        rightMargin=MARGIN_RIGHT,
        topMargin=PAGE_HEIGHT - FIRST_FRAME_TOP,
        bottomMargin=FRAME_BOTTOM,
        title=title,
        author=letterhead.organisation.name,
        subject=subject,
        creator="attest",
        producer="attest (ReportLab)",
        invariant=1,  # no timestamps or random IDs: same input, same bytes
        pageCompression=1,
        initialFontName=FONT_NAME,
        initialFontSize=10,
        initialLeading=12,
        lang="sv-SE",
    )

    def frame(top: float, frame_id: str) -> Frame:
        return Frame(
            MARGIN_LEFT,
            FRAME_BOTTOM,
            CONTENT_WIDTH,
            top - FRAME_BOTTOM,
            id=frame_id,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )

    doc.addPageTemplates(
        [
            PageTemplate(
                id="first",
                frames=[frame(FIRST_FRAME_TOP, "first")],
                onPage=functools.partial(_draw_page_decoration, letterhead, True),
                autoNextPageTemplate="later",
            ),
            PageTemplate(
                id="later",
                frames=[frame(LATER_FRAME_TOP, "later")],
                onPage=functools.partial(_draw_page_decoration, letterhead, False),
            ),
        ]
    )
    doc.build(story, canvasmaker=_NumberedCanvas)
    return buffer.getvalue(), doc.page


# --- The attestation rows ---------------------------------------------------------------


class AttestationRow(Flowable):
    """One row of the "Attesterat av" table; an empty row records where it was drawn."""

    def __init__(
        self,
        *,
        name_text: str = "",
        date_text: str = "",
        header: bool = False,
        step_index: int | None = None,
        recorder: dict[int, RowRect] | None = None,
    ):
        super().__init__()
        self.width = CONTENT_WIDTH
        self.height = ROW_HEIGHT
        self.name_col_width = ROW_NAME_COL_WIDTH
        self.name_text = name_text
        self.date_text = date_text
        self.header = header
        self.step_index = step_index
        self.recorder = recorder

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self):
        canv = self.canv
        canv.saveState()
        if self.header:
            canv.setFillColor(ROW_HEADER_FILL)
            canv.rect(0, 0, self.width, self.height, stroke=0, fill=1)
        canv.setStrokeColor(ROW_LINE_COLOR)
        canv.setLineWidth(ROW_LINE_WIDTH)
        canv.rect(0, 0, self.width, self.height, stroke=1, fill=0)
        canv.line(self.name_col_width, 0, self.name_col_width, self.height)
        canv.setFillColor(colors.black)
        draw_row_text(
            canv,
            self.height,
            self.name_col_width,
            self.width - self.name_col_width,
            self.name_text,
            self.date_text,
            FONT_BOLD if self.header else FONT_NAME,
        )
        canv.restoreState()
        if self.recorder is not None and self.step_index is not None:
            x1, y1 = canv.absolutePosition(0, 0)
            x2, y2 = canv.absolutePosition(self.width, self.height)
            self.recorder[self.step_index] = RowRect(
                step_index=self.step_index,
                page_index=canv.getPageNumber() - 1,
                x1=x1,
                y1=y1,
                x2=x2,
                y2=y2,
                name_col_width=self.name_col_width,
            )


# --- The memo ---------------------------------------------------------------------------


def _section(heading: str, text: str) -> list[Flowable]:
    parts = paragraphs(text)
    if not parts:
        return []
    body = [Paragraph(markup(p), STYLE_BODY) for p in parts]
    return [Paragraph(markup(heading), STYLE_H1), *body]


def _addressee_block(doc: MemoDocument) -> Flowable:
    left = [Paragraph(markup(LABEL_HANDLAGGARE), STYLE_LABEL)]
    if doc.handlaggare.strip():
        left.append(Paragraph(markup(doc.handlaggare), STYLE_SMALL))
    if doc.telefon.strip():
        left.append(Paragraph(markup(f"{LABEL_TELEFON}: {doc.telefon}"), STYLE_SMALL))
    recipient = doc.organisation.board
    if doc.meeting_date is not None:
        recipient = f"{recipient} {format_date(doc.meeting_date)}"
    right = [Paragraph(markup(LABEL_TILL), STYLE_LABEL), Paragraph(markup(recipient), STYLE_SMALL)]
    left_width = RIGHT_COLUMN_X - MARGIN_LEFT
    return _layout_table([[left, right]], [left_width, CONTENT_WIDTH - left_width])


def _synpunkter(doc: MemoDocument) -> list[Flowable]:
    story: list[Flowable] = [Paragraph(markup(p), STYLE_BODY) for p in paragraphs(doc.synpunkter)]
    for sub in doc.synpunkter_subsections:
        parts = paragraphs(sub.text)
        if sub.title.strip() and parts:
            story.append(Paragraph(markup(sub.title), STYLE_H2))
        elif sub.title.strip():
            # A title with no text under it reads as a line of text, not a dangling heading.
            story.append(Paragraph(markup(sub.title), STYLE_BODY))
        story.extend(Paragraph(markup(p), STYLE_BODY) for p in parts)
    if not story:
        return []
    return [Paragraph(markup(HEADING_SYNPUNKTER), STYLE_H1)] + story


def _signature_lines(signatory: Signatory, organisation: Organisation) -> list[str]:
    lines = [signatory.name, signatory.title]
    if organisation.short_name.strip():
        lines += [organisation.short_name, ORGANISATION_KIND]
    else:
        lines.append(organisation.name)
    return [line for line in lines if line.strip()]


def _signature_block(doc: MemoDocument) -> list[Flowable]:
    if not doc.signatories:
        return []
    cells = [
        Paragraph("<br/>".join(map(markup, _signature_lines(s, doc.organisation))), STYLE_SIGNATURE)
        for s in doc.signatories
    ]
    rows = [cells[i : i + 2] for i in range(0, len(cells), 2)]
    if len(rows[-1]) == 1:
        rows[-1].append("")
    left_width = RIGHT_COLUMN_X - MARGIN_LEFT  # second column lines up with "Till" above
    return [Spacer(1, 22), _layout_table(rows, [left_width, CONTENT_WIDTH - left_width], 14)]


def _attachment_list(doc: MemoDocument) -> list[Flowable]:
    titles = [a.title for a in doc.attachments]
    if not titles:
        return []
    if len(titles) == 1:
        lines = titles
        heading = HEADING_BILAGA
    else:
        lines = [f"{number}. {title}" for number, title in enumerate(titles, 1)]
        heading = HEADING_BILAGOR
    body = [Paragraph(markup(line), STYLE_BODY) for line in lines]
    return [Paragraph(markup(heading), STYLE_H1), *body]


def _attestation_block(doc: MemoDocument, recorder: dict[int, RowRect]) -> list[Flowable]:
    if not doc.steps:
        return []
    rows: list[Flowable] = [
        AttestationRow(name_text=LABEL_NAMN, date_text=LABEL_DATUM, header=True)
    ]
    # Highest rank (the last step of the route) on top, as in the paper original.
    rows.extend(
        AttestationRow(step_index=index, recorder=recorder)
        for index in reversed(range(len(doc.steps)))
    )
    return [
        Spacer(1, 8),
        KeepTogether(
            [
                Paragraph(markup(HEADING_ATTESTERAT), STYLE_H1),
                Paragraph(markup(TEXT_ATTESTERAT), STYLE_BODY),
                *rows,
            ]
        ),
    ]


def _memo_story(doc: MemoDocument, recorder: dict[int, RowRect]) -> list[Flowable]:
    story: list[Flowable] = [_addressee_block(doc), Spacer(1, 18)]
    if doc.rubrik.strip():
        story.append(Paragraph(markup(doc.rubrik), STYLE_TITLE))
    if doc.underrubrik.strip():
        story.append(Paragraph(markup(doc.underrubrik), STYLE_SUBTITLE))
    sections: Iterable[tuple[str, str]] = (
        (HEADING_FORSLAG, doc.forslag_till_beslut),
        (HEADING_SAMMANFATTNING, doc.sammanfattning),
        (HEADING_BAKGRUND, doc.bakgrund),
        (HEADING_ARENDET, doc.arendet),
        (HEADING_BEREDNING, doc.arendets_beredning),
    )
    for heading, text in sections:
        story.extend(_section(heading, text))
    story.extend(_synpunkter(doc))
    story.extend(_signature_block(doc))
    story.extend(_attachment_list(doc))
    story.extend(_attestation_block(doc, recorder))
    return story


def render_memo(doc: MemoDocument) -> RenderedMemo:
    """Render the memo, append its bilagor, and report where each attestation row lies."""
    register_fonts()  # Paragraph resolves bold/italic faces when it is created
    recorder: dict[int, RowRect] = {}
    letterhead = Letterhead(
        organisation=doc.organisation,
        unit=doc.unit,
        document_type=doc.document_type,
        dnr=doc.dnr,
        date=doc.date,
        verification_url=doc.verification_url,
    )
    title = f"{doc.document_type} {doc.dnr}"
    memo_pdf, page_count = build_pdf(
        letterhead, _memo_story(doc, recorder), title=title, subject=doc.rubrik
    )
    if sorted(recorder) != list(range(len(doc.steps))):
        raise RuntimeError("attestation rows were not all laid out exactly once")
    pdf = make_archival(
        append_attachments(memo_pdf, [a.pdf for a in doc.attachments]),
        ArchivalMetadata(
            title=title,
            author=doc.organisation.name,
            subject=doc.rubrik,
            created_at=doc.created_at or start_of(doc.date),
            document_type=doc.document_type,
            dnr=doc.dnr,
            board=doc.organisation.board,
        ),
    )
    return RenderedMemo(
        pdf=pdf,
        memo_page_count=page_count,
        rows=tuple(recorder[i] for i in range(len(doc.steps))),
    )
