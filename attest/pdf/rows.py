"""One row of the "Attesterat av" table drawn: the memo's table draws every row with it, and
each signature's appearance (and the verifier's expected appearance) is the same drawing on
a page the size of the row. Only a canvas and the fonts: the verifier imports this, not the
memo's layout (attest.pdf.memo).
"""

from __future__ import annotations

from io import BytesIO

from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import getAscentDescent, stringWidth
from reportlab.pdfgen.canvas import Canvas

from attest.pdf.fonts import FONT_NAME, register_font

__all__ = [
    "ROW_FONT_SIZE",
    "ROW_HEADER_FILL",
    "ROW_HEIGHT",
    "ROW_LINE_COLOR",
    "ROW_LINE_WIDTH",
    "ROW_MIN_FONT_SIZE",
    "ROW_NAME_COL_WIDTH",
    "ROW_PADDING",
    "draw_row_text",
    "fit_text",
    "render_row_appearance",
]

ROW_HEIGHT = 22.0
ROW_FONT_SIZE = 10.0
ROW_MIN_FONT_SIZE = 6.0
ROW_PADDING = 6.0
ROW_LINE_WIDTH = 0.6
ROW_NAME_COL_WIDTH = 320.0  # "Namn" column; "Datum" takes the rest of CONTENT_WIDTH
ROW_HEADER_FILL = colors.HexColor("#E8E8E8")
ROW_LINE_COLOR = colors.HexColor("#555555")


def fit_text(text: str, font_name: str, available: float) -> tuple[str, float]:
    """Shrink the font size until text fits; cut with an ellipsis if the minimum size does not."""
    size = ROW_FONT_SIZE
    while size > ROW_MIN_FONT_SIZE and stringWidth(text, font_name, size) > available:
        size -= 0.5
    if stringWidth(text, font_name, size) <= available:
        return text, size
    while text and stringWidth(text + "…", font_name, size) > available:
        text = text[:-1]
    return text + "…", size


def draw_row_text(
    canv: Canvas,
    height: float,
    name_col_width: float,
    date_col_width: float,
    name_text: str,
    date_text: str,
    font_name: str,
) -> None:
    """Draw one row's two texts; the table and render_row_appearance share this placement."""
    for x, col_width, text in (
        (0.0, name_col_width, name_text),
        (name_col_width, date_col_width, date_text),
    ):
        if not text:
            continue
        fitted, size = fit_text(text, font_name, col_width - 2 * ROW_PADDING)
        ascent, descent = getAscentDescent(font_name, size)
        baseline = (height - (ascent + descent)) / 2  # centre the ascent–descent box
        canv.setFont(font_name, size)
        canv.drawString(x + ROW_PADDING, baseline, fitted)


def render_row_appearance(
    width: float, height: float, name_title: str, date_text: str, name_col_width: float
) -> bytes:
    """A one-page PDF the size of a row, with its texts where the table would print them."""
    register_font(FONT_NAME)
    buffer = BytesIO()
    canv = Canvas(
        buffer,
        pagesize=(width, height),
        invariant=1,
        pageCompression=1,
        initialFontName=FONT_NAME,
        initialFontSize=ROW_FONT_SIZE,
    )
    canv.setCreator("attest")
    canv.setProducer("attest (ReportLab)")
    canv.setFillColor(colors.black)
    draw_row_text(
        canv, height, name_col_width, width - name_col_width, name_title, date_text, FONT_NAME
    )
    canv.showPage()
    canv.save()
    return buffer.getvalue()
