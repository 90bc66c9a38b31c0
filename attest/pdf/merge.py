"""Append bilagor to a memo PDF: pages unchanged, output byte-for-byte reproducible."""

from __future__ import annotations

import hashlib
import re
from io import BytesIO
from typing import Sequence

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, ByteStringObject, DictionaryObject, NameObject

_HEADER = re.compile(rb"%PDF-(\d+)\.(\d+)")


def _pdf_version(data: bytes) -> tuple[int, int]:
    match = _HEADER.search(data[:1024])
    return (int(match.group(1)), int(match.group(2))) if match else (1, 4)


def _annotations_as_objects(writer: PdfWriter, page) -> None:
    """Give each annotation written inline in a page's /Annots an object of its own.

    ISO 32000 wants them indirect, and pyHanko's change analysis refuses a page whose
    annotations are not when the archive timestamp updates it: every attestation would turn
    invalid. Nothing can refer to an inline annotation, so moving it changes nothing else.
    """
    annotations = page.get("/Annots")
    if annotations is None:
        return
    annotations = annotations.get_object()
    if not isinstance(annotations, ArrayObject):
        return
    items = list.__iter__(annotations)  # as stored, references not resolved
    if not any(isinstance(item, DictionaryObject) for item in items):
        return
    page[NameObject("/Annots")] = writer._add_object(
        ArrayObject(
            writer._add_object(item) if isinstance(item, DictionaryObject) else item
            for item in list.__iter__(annotations)
        )
    )


def append_attachments(memo_pdf: bytes, attachments: Sequence[bytes]) -> bytes:
    """Return memo_pdf followed by every page of each attachment, in order."""
    if not attachments:
        return memo_pdf
    writer = PdfWriter(clone_from=PdfReader(BytesIO(memo_pdf)))
    for number, data in enumerate(attachments, 1):
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted:
            raise ValueError(f"bilaga {number} is encrypted; it cannot be appended")
        for page in reader.pages:
            _annotations_as_objects(writer, writer.add_page(page))
    version = max([_pdf_version(memo_pdf), *(_pdf_version(a) for a in attachments)])
    writer.pdf_header = f"%PDF-{version[0]}.{version[1]}"
    # pypdf would draw a random /ID; derive it from the inputs so equal inputs give equal bytes.
    digest = hashlib.sha256()
    for part in (memo_pdf, *attachments):
        digest.update(hashlib.sha256(part).digest())
    file_id = ByteStringObject(digest.digest()[:16])
    writer._ID = ArrayObject([file_id, file_id])  # no public setter in pypdf 7
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
