"""A row of "Attesterat av" as an attestation shows it: attest's rendering of the certificate.

The row's appearance is "Namn, Titel" (the certificate's CN and the title it gives for the
row's role) and the Stockholm date of the signature, drawn by attest.pdf in the table's
font and placed by pyHanko as the signature field's appearance. Signing uses this module,
and the verifier renders the expected appearance with it again and compares.
"""

from __future__ import annotations

import datetime as dt
import functools
from io import BytesIO
from zoneinfo import ZoneInfo

from pyhanko.pdf_utils import content, generic, layout
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.stamp import StaticStampStyle

from attest.pki.profile import row_text

__all__ = ["row_appearance_pdf", "row_date", "row_stamp_style", "stamp_appearance"]

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def row_date(moment: dt.datetime) -> str:
    """The date a row shows: the signing day in Stockholm, YYYY-MM-DD."""
    return moment.astimezone(STOCKHOLM).date().isoformat()


def row_appearance_pdf(
    width: float, height: float, name: str, title: str, moment: dt.datetime
) -> bytes:
    """The row's texts as a one-page PDF the size of the field."""
    return _row_appearance_pdf(width, height, name, title, row_date(moment))


# The same person signs many rows a day, and the verifier renders each row it checks: the
# rendering is a pure function of the field's size, the texts and the day, kept per process.
@functools.lru_cache(maxsize=256)
def _row_appearance_pdf(width: float, height: float, name: str, title: str, day: str) -> bytes:
    from attest.pdf.rows import ROW_NAME_COL_WIDTH, render_row_appearance

    return render_row_appearance(width, height, row_text(name, title), day, ROW_NAME_COL_WIDTH)


class _PdfBytesPage(content.PdfContent):
    """The first page of an in-memory PDF as a form XObject (pyHanko's import wants a path)."""

    def __init__(self, pdf: bytes) -> None:
        super().__init__()
        self._pdf = pdf

    def render(self) -> bytes:
        writer = self._ensure_writer
        xobject = writer.import_page_as_xobject(PdfFileReader(BytesIO(self._pdf)), page_ix=0)
        self.resources.xobject["/AttestRow"] = xobject
        x1, y1, x2, y2 = xobject.get_object()["/BBox"]
        self.box = layout.BoxConstraints(width=abs(x2 - x1), height=abs(y2 - y1))
        return b"/AttestRow Do"


def row_stamp_style(appearance_pdf: bytes | None) -> StaticStampStyle:
    """The stamp style that places a row's PDF as the field's appearance."""
    # The row's lines belong to the page; the appearance only adds its texts. pyHanko
    # sizes the appearance box in whole points, so the row PDF is shrunk by a fraction
    # of a point, which the viewer's mapping of the box onto the field undoes.
    return StaticStampStyle(
        border_width=0,
        background=_PdfBytesPage(appearance_pdf) if appearance_pdf else None,
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MIN,
            margins=layout.Margins(0, 0, 0, 0),
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
    )


def stamp_appearance(
    writer: BasePdfFileWriter, width: float, height: float, appearance_pdf: bytes
) -> generic.IndirectObject:
    """The appearance XObject pyHanko makes for a field of this size, written to ``writer``.

    What pyHanko's signer does to a visible field (SigAppearanceSetup.apply), without a
    field: the verifier's expected appearance, made the way the signature's was.
    """
    stamp = row_stamp_style(appearance_pdf).create_stamp(
        writer, layout.BoxConstraints(width=width, height=height), {}
    )
    return stamp.register()
