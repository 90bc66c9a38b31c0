"""pyHanko's incremental writer, made to keep a PDF/A document PDF/A.

pyHanko 0.38 rewrites the document's metadata in every incremental update: it re-serialises
the XMP packet through its own model (a prefix it does not know becomes ``ns0``, which
breaks the packet's PDF/A extension schema), adds its own pdf:Producer there while it
appends it to the information dictionary's /Producer (so the two disagree), and dates the
update by the operating system's clock. For a document whose XMP claims PDF/A, this writer
instead changes exactly the modification time — xmp:ModifyDate, xmp:MetadataDate and the
information dictionary's /ModDate — to the signing time it is given (the app's clock), and
leaves every other byte of the packet as it was. Any other document is updated as pyHanko
does.
"""

from __future__ import annotations

import datetime as dt
from typing import BinaryIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from attest.pdf.pdfa import is_archival_xmp, pdf_date, touch_xmp


class ArchivalPdfWriter(IncrementalPdfFileWriter):
    """An incremental writer that dates its update ``modified_at`` (None: leaves the
    metadata of a PDF/A document untouched) and keeps its XMP as it is otherwise."""

    def __init__(self, input_stream: BinaryIO, *, modified_at: dt.datetime | None) -> None:
        super().__init__(input_stream)
        self._modified_at = modified_at

    def _archival_metadata(self) -> generic.Reference | None:
        try:
            ref = self.root.get_value_as_reference("/Metadata")
        except (KeyError, generic.IndirectObjectExpected):
            return None
        stream = ref.get_object()
        if not isinstance(stream, generic.StreamObject) or not is_archival_xmp(stream.data):
            return None
        return ref

    def _update_meta(self) -> None:  # pyHanko's hook, called once per write
        ref = self._archival_metadata()
        if ref is None:
            super()._update_meta()
            return
        if self._modified_at is None:
            return
        stream = ref.get_object()
        assert isinstance(stream, generic.StreamObject)  # _archival_metadata checked it
        try:
            packet = touch_xmp(stream.data, self._modified_at)
        except ValueError:  # not a packet attest wrote (someone else's update): as pyHanko
            super()._update_meta()
            return
        updated = generic.StreamObject(
            dict_data={
                generic.pdf_name("/Type"): generic.pdf_name("/Metadata"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/XML"),
            },
            stream_data=packet,
        )
        # The same object number: pyHanko's change analysis accepts a metadata stream
        # overridden in place (checking it is XMP), as its own updates do.
        self.objects[(ref.generation, ref.idnum)] = updated
        try:
            info_ref = self.trailer.raw_get("/Info")
        except KeyError:
            return
        if isinstance(info_ref, generic.IndirectObject):
            info = info_ref.get_object()
            info[generic.pdf_name("/ModDate")] = generic.TextStringObject(
                pdf_date(self._modified_at)
            )
            self.mark_update(info_ref)
