"""Does a signed row show exactly what attest draws for its certificate?

A row's appearance is attest's rendering (attest.signing.rows) of the certificate's name,
its title for the row's role and the signing day. The verifier renders the expected
appearance with the same code, through a PDF written and read back as the signed one
was, and compares the two XObject trees by a canonical digest (attest.verify.canonical):
every dictionary entry, every stream (content streams, fonts and their programs, images)
as stored, the structure of the references. Anything else, text drawn as an image over a
text layer that names someone else included, differs.

The expected digest is a pure function of the field's size, the name, the title and the
day; the same people sign many memos a day, so a bulk check (and a worker that verifies
one file after another) renders each of those once. Only the expectation is remembered:
every file's own appearance is read and digested anew.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass
from io import BytesIO
from typing import Any, Iterable

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.form_tools import annot_width_height
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PdfFileWriter

from attest.signing.rows import row_appearance_pdf, row_date, stamp_appearance
from attest.verify.canonical import TooLarge, digest

__all__ = ["RowAppearance", "compare_row"]

# A row's appearance is a few objects and a subset font of some kilobytes: the walk of a
# signed appearance stops well beyond that.
MIN_BYTE_BUDGET = 1024 * 1024
# Expected digests remembered per process: a few hundred people and days of a bulk run.
EXPECTED_CACHE_SIZE = 512

_Key = tuple[float, float, float, float, str, str, str]
_expected: OrderedDict[_Key, tuple[str, int]] = OrderedDict()
_expected_lock = threading.Lock()


@dataclass(frozen=True)
class RowAppearance:
    """The comparison of one signed row with attest's rendering of its certificate."""

    matches: bool
    expected: str  # the row's texts as attest draws them: "Namn, Titel  YYYY-MM-DD"
    problem: str = ""  # "absent" | "too_large" | "different" when it does not match


def compare_row(
    reader: PdfFileReader,
    revision: int,
    field_ref: Any,
    name: str,
    title: str,
    moments: Iterable[dt.datetime],
) -> RowAppearance:
    """Compare the field's appearance, as of the revision its signature signed, with
    attest's rendering of ``name``, ``title`` and the day of each of ``moments`` (the
    timestamp's, the claimed signing time's); it must match one of them."""
    days: dict[str, dt.datetime] = {}
    for moment in moments:
        days.setdefault(row_date(moment), moment)
    shown = " / ".join(f"{name}, {title}  {day}" for day in days)
    historical = reader.get_historical_resolver(revision)
    widget = historical(field_ref.reference)
    if "/Kids" in widget:
        widget = widget["/Kids"][0].get_object()
    appearances = widget.get("/AP")
    if not isinstance(appearances, generic.DictionaryObject) or "/N" not in appearances:
        return RowAppearance(False, shown, "absent")
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    box_width, box_height = annot_width_height(widget)
    for moment in days.values():
        # pyHanko sizes the stamp by the annotation's box; the row PDF by the exact field.
        expected, size = _expected_digest_for(
            box_width, box_height, abs(x2 - x1), abs(y2 - y1), name, title, moment
        )
        try:
            found, _ = digest(appearances.raw_get("/N"), max(4 * size, MIN_BYTE_BUDGET))
        except TooLarge:
            return RowAppearance(False, shown, "too_large")
        if found == expected:
            return RowAppearance(True, f"{name}, {title}  {row_date(moment)}")
    return RowAppearance(False, shown, "different")


def _expected_digest_for(
    box_width: float,
    box_height: float,
    row_width: float,
    row_height: float,
    name: str,
    title: str,
    moment: dt.datetime,
) -> tuple[str, int]:
    key = (box_width, box_height, row_width, row_height, name, title, row_date(moment))
    with _expected_lock:
        found = _expected.get(key)
        if found is not None:
            _expected.move_to_end(key)
            return found
    result = _render_expected_digest(
        box_width, box_height, row_width, row_height, name, title, moment
    )
    with _expected_lock:
        _expected[key] = result
        while len(_expected) > EXPECTED_CACHE_SIZE:
            _expected.popitem(last=False)
    return result


def _render_expected_digest(
    box_width: float,
    box_height: float,
    row_width: float,
    row_height: float,
    name: str,
    title: str,
    moment: dt.datetime,
) -> tuple[str, int]:
    # The rendering reads nothing of the moment but its Stockholm day (row_date).
    writer = PdfFileWriter()
    reference = stamp_appearance(
        writer,
        box_width,
        box_height,
        row_appearance_pdf(row_width, row_height, name, title, moment),
    )
    out = BytesIO()
    writer.write(out)
    # Read back: numbers and strings as a reader parses them from a file, like the signed one.
    reader = PdfFileReader(BytesIO(out.getvalue()))
    return digest(generic.IndirectObject(reference.idnum, reference.generation, reader), 1 << 30)
