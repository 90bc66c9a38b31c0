"""Checking an uploaded bilaga by its content: a real, readable, unencrypted PDF in bounds."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import PurePath

from flask import current_app

from attest.errors import Invalid

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckedPdf:
    filename: str
    data: bytes
    page_count: int
    title: str  # a suggested title: the PDF's own, or the file name


def safe_filename(name: str) -> str:
    """The last path component, printable, at most 255 characters."""
    base = PurePath(name.replace("\\", "/")).name
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|*?:')
    return cleaned[:255] or "bilaga.pdf"


def check_pdf(filename: str, data: bytes) -> CheckedPdf:
    """Accept the upload if its bytes are a PDF we can append unchanged; else say why."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    name = safe_filename(filename)
    max_bytes = current_app.config["BILAGA_MAX_BYTES"]
    max_pages = current_app.config["BILAGA_MAX_PAGES"]
    if not data:
        raise Invalid(f"Filen {name} är tom.")
    if len(data) > max_bytes:
        raise Invalid(
            f"Filen {name} är för stor ({_megabytes(len(data))}); "
            f"en bilaga får vara högst {_megabytes(max_bytes)}."
        )
    if b"%PDF-" not in data[:1024]:
        raise Invalid(f"Filen {name} är inte en PDF. Bilagor måste vara PDF-filer.")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Invalid(
                f"Filen {name} är krypterad eller lösenordsskyddad. "
                "Spara den utan skydd och bifoga den igen."
            )
        pages = len(reader.pages)
        for page in reader.pages:
            page.mediabox  # every page must be readable, not only the first
        metadata_title = (reader.metadata.title if reader.metadata else None) or ""
    except Invalid:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        log.info("refused bilaga %s: %s", name, exc)
        raise Invalid(f"Filen {name} kan inte läsas som PDF; den verkar vara skadad.") from None
    if pages == 0:
        raise Invalid(f"Filen {name} innehåller inga sidor.")
    if pages > max_pages:
        raise Invalid(f"Filen {name} har {pages} sidor; en bilaga får ha högst {max_pages}.")
    title = str(metadata_title).strip()[:300] or PurePath(name).stem
    return CheckedPdf(filename=name, data=data, page_count=pages, title=title)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
