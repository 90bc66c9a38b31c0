"""Append bilagor to a memo PDF: pages unchanged, output byte-for-byte reproducible."""

from __future__ import annotations

import hashlib
import re
from io import BytesIO
from typing import Sequence

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, ByteStringObject

_HEADER = re.compile(rb"%PDF-(\d+)\.(\d+)")


def _pdf_version(data: bytes) -> tuple[int, int]:
    match = _HEADER.search(data[:1024])
    return (int(match.group(1)), int(match.group(2))) if match else (1, 4)


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
            writer.add_page(page)
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
