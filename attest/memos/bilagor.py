"""Checking an uploaded bilaga by its content: a real, readable, unencrypted PDF in bounds.

A bilaga becomes part of what is attested, so besides being readable it must be inert,
look the same on screen and in print, and be of sane size. Actions (links to web
addresses or other files, JavaScript, program launches, form submissions, open actions)
and annotations that show differently on screen and in print are removed at intake
(attest.pdf.inert), and the handläggare is told what was; layers hidden by default or
shown differently in print, embedded files and XFA forms refuse the file (a viewer could
show or do something other than the pages say). The frozen memo is PDF/A-2b, so its pages
are made fit for it (attest.pdf.conformance): what can be fixed without changing how a page
looks is, and the handläggare is told; what cannot (fonts not embedded, CMYK colour)
refuses the file with a Swedish reason and what to do. Pages must be of a size a viewer can
draw, and no stream may inflate to an absurd size (a decompression bomb would make every
attester's viewer, and any tool, inflate it). The checks read the
file with pypdf and walk the objects the document reaches; stream data is only inflated
to count it, a chunk at a time, up to a limit.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import logging
import math
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Iterable, Iterator

from flask import current_app

from attest.errors import Invalid
from attest.i18n import N_, LazyText, _l
from attest.pdf.conformance import Conformant, NotConformant, make_conformant
from attest.pdf.inert import Inert, TooManyObjects, ViewDependentLayers, make_inert
from attest.pdf.merge import append_attachments

log = logging.getLogger(__name__)

MiB = 1024 * 1024
# What any one stream of a bilaga may inflate to, and all of them together. A scanned A4
# page at 600 dpi in colour is about 100 MB uncompressed; a decompression bomb is many
# times that in a file of a few hundred kilobytes.
MAX_INFLATED_STREAM = 128 * MiB
MAX_INFLATED_TOTAL = 512 * MiB
# Objects (dictionaries and arrays, direct or not) the inspection walks before it gives up,
# and how deep arrays and dictionaries may nest inside one object (real files: a few levels).
MAX_OBJECTS = 1_000_000
MAX_NESTING = 100
# PDF's own bounds for a page side, in points (ISO 32000-1, annex C): 1/24 inch to 200 inches.
MIN_PAGE_SIDE, MAX_PAGE_SIDE = 3.0, 14_400.0
_INFLATE_CHUNK = MiB

# What makes a PDF active rather than a document, and how the refusal names it.
# attest.pdf.inert removes every action it finds where actions go; one left over (somewhere
# no viewer would look for it, or that could not be removed) refuses the file.
_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "en åtgärd som startar ett program",
    "/SubmitForm": "en åtgärd som skickar formulärdata",
    "/ImportData": "en åtgärd som läser in data",
    "/GoToE": "en länk till en inbäddad fil",
    "/GoToR": "en länk till en annan fil",
    "/URI": "en länk till en webbadress",
    "/Rendition": "en åtgärd som spelar upp media",
    "/Hide": "en åtgärd som visar eller döljer innehåll",
    "/SetOCGState": "en åtgärd som visar eller döljer lager",
    "/RichMediaExecute": "inbäddad multimedia",
}
_JAVASCRIPT_KEYS = ("/JS",)
_EMBEDDED_FILE_KEYS = ("/EmbeddedFiles", "/EF")
_EMBEDDED_SUBTYPES = {"/FileAttachment": "inbäddade filer", "/RichMedia": "inbäddad multimedia"}
_FLATE = ("/FlateDecode", "/Fl")
# The encodings that can expand their input many times over.
_EXPANDING = (*_FLATE, "/LZWDecode", "/LZW", "/RunLengthDecode", "/RL", "/BrotliDecode")


@dataclass(frozen=True)
class CheckedPdf:
    filename: str
    data: bytes
    page_count: int
    title: str  # a suggested title: the PDF's own, or the file name
    # What was taken out to make it inert and the same on screen and in print, and what
    # was changed for PDF/A: kind -> count (attest.pdf.inert, attest.pdf.conformance).
    taken_out: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)

    @property
    def removed(self) -> str:
        """What the handläggare is told, in the request's language; "" when the file is
        kept byte for byte as sent."""
        return told_removed(self.filename, self.taken_out, self.changed)

    def removed_record(self) -> str:
        """What is stored with the bilaga (Attachment.removed): the kinds, not a text, so
        that it is told in the language of whoever reads it."""
        if not self.taken_out and not self.changed:
            return ""
        return json.dumps({"removed": self.taken_out, "changed": self.changed}, sort_keys=True)


def told_removed(name: str, taken_out: dict[str, int], changed: dict[str, int]) -> str:
    """ "Ur bilaga.pdf togs bort: länkar (klickbara områden) (2)." and the like, in the
    request's language."""
    from flask_babel import gettext

    from attest.pdf.conformance import CHANGED_TEXT
    from attest.pdf.inert import REMOVED_TEXT, described

    told = []
    if taken_out:
        what = described(REMOVED_TEXT, taken_out)
        told.append(gettext("Ur %(name)s togs bort: %(what)s.", name=name, what=what))
    if changed:
        what = described(CHANGED_TEXT, changed)
        told.append(
            gettext("I %(name)s ändrades för arkivering (PDF/A): %(what)s.", name=name, what=what)
        )
    return " ".join(told)


def told_stored(name: str, record: str) -> str:
    """Attachment.removed told in the request's language. A text stored before the kinds
    were (Swedish) is shown as it is."""
    if not record.startswith("{"):
        return record
    kinds = json.loads(record)
    return told_removed(name, kinds.get("removed", {}), kinds.get("changed", {}))


def safe_filename(name: str, fallback: str = "bilaga.pdf") -> str:
    """The last path component, printable, at most 255 characters; never "." or ".."."""
    base = PurePath(name.replace("\\", "/")).name
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|*?:')[:255]
    return cleaned if cleaned.strip(". ") else fallback


def check_pdf(filename: str, data: bytes) -> CheckedPdf:
    """Accept the upload if its bytes are a PDF we can append unchanged; else say why."""
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import PyPdfError

    name = safe_filename(filename)
    max_bytes = current_app.config["BILAGA_MAX_BYTES"]
    max_pages = current_app.config["BILAGA_MAX_PAGES"]
    if not data:
        raise Invalid(_l("Filen %(name)s är tom.", name=name))
    if len(data) > max_bytes:
        # Only max_bytes + 1 bytes were read: the file's own size is not known here.
        raise Invalid(
            _l(
                "Filen %(name)s är för stor; en bilaga får vara högst %(size)s.",
                name=name,
                size=_megabytes(max_bytes),
            )
        )
    # Viewers look for the header in the first kilobyte, so a PDF may follow an HTML page
    # or sit in a ZIP archive: it is kept as sent and only ever served as a PDF download
    # (attest.security's nosniff and CSP; tests/test_security.py).
    if b"%PDF-" not in data[:1024]:
        raise Invalid(_l("Filen %(name)s är inte en PDF. Bilagor måste vara PDF-filer.", name=name))
    # pypdf stops walking a page tree after this many entries (a tree of shared nodes can
    # name a million pages in a few kilobytes).
    tree_entries = 2 * max_pages + 100
    try:
        with apply_configuration(page_tree_maximum_entries=tree_entries), pypdf_warnings_off():
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise Invalid(
                    _l(
                        "Filen %(name)s är krypterad eller lösenordsskyddad. "
                        "Spara den utan skydd och bifoga den igen.",
                        name=name,
                    )
                )
            declared = _declared_page_count(reader)
            if declared > max_pages:
                raise Invalid(_too_many_pages(name, declared, max_pages))
            pages = len(reader.pages)
            if pages > max_pages:
                raise Invalid(_too_many_pages(name, pages, max_pages))
            for number, page in enumerate(reader.pages, start=1):
                _check_page_size(name, number, page)
            inert = _inert(name, data)
            if inert.changed:  # what is kept and checked from here on
                data = inert.data
                reader = PdfReader(io.BytesIO(data), strict=False)
            _inspect_objects(name, reader.trailer)
            conformant = _conformant(name, data)
            if conformant.changed:
                data = conformant.data
            metadata_title = (reader.metadata.title if reader.metadata else None) or ""
            if pages:
                # What freezing will do with it: a file pypdf reads but cannot append (a
                # page that is not a page, say) would fail every preview and the sending.
                append_attachments(_one_page_pdf(), [data])
    except Invalid:
        raise
    except (
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        AssertionError,
        RecursionError,
        zlib.error,
    ) as exc:
        log.info("refused bilaga %s: %s: %s", name, type(exc).__name__, exc)
        raise Invalid(damaged(name)) from None
    if pages == 0:
        raise Invalid(_l("Filen %(name)s innehåller inga sidor.", name=name))
    title = " ".join(str(metadata_title).split())[:300] or PurePath(name).stem
    return CheckedPdf(
        filename=name,
        data=data,
        page_count=pages,
        title=title,
        taken_out=dict(inert.removed),
        changed=dict(conformant.changed),
    )


LAYERS = N_(
    "Filen %(name)s har lager (valfritt innehåll) som är dolda från början eller som visas "
    "olika på skärmen och vid utskrift, så de som attesterar kunde se något annat än det "
    "som skrivs ut. Gör en ny PDF av den med alla lager synliga (till exempel med Skriv ut "
    "och Spara som PDF) och bifoga den nya filen."
)


def _inert(name: str, data: bytes) -> Inert:
    """The bilaga made inert (attest.pdf.inert), or Invalid saying why it cannot be."""
    import pikepdf

    try:
        return make_inert(data, max_objects=MAX_OBJECTS)
    except ViewDependentLayers:
        raise Invalid(_l(LAYERS, name=name)) from None
    except TooManyObjects:
        raise Invalid(
            _l("Filen %(name)s har för många objekt för att kunna kontrolleras.", name=name)
        ) from None
    except (pikepdf.PdfError, RecursionError, ValueError, TypeError, KeyError) as exc:
        log.info("refused bilaga %s: %s: %s", name, type(exc).__name__, exc)
        raise Invalid(damaged(name)) from None


# Why a bilaga cannot become part of a PDF/A-2b memo (attest.pdf.conformance).
SAVE_AS_PDFA = N_(
    "Spara den som PDF/A i programmet den gjordes i (i Word: Spara som, PDF, Alternativ, "
    "PDF/A-kompatibel) och bifoga den nya filen."
)
NOT_CONFORMANT = {
    "fonts": N_(
        "Bilagan %(name)s har typsnitt som inte är inbäddade (%(names)s), så den kan se "
        "annorlunda ut i ett annat program och i arkivet. %(advice)s"
    ),
    "cmyk": N_(
        "Bilagan %(name)s har färger i tryckfärger (CMYK) utan färgprofil, som inte kan "
        "arkiveras (PDF/A) tillsammans med tjänsteutlåtandet. %(advice)s"
    ),
    "external": N_(
        "Bilagan %(name)s hämtar innehåll från en annan fil, som inte följer med "
        "bilagan. %(advice)s"
    ),
    "lzw": N_(
        "Bilagan %(name)s är komprimerad på ett sätt (LZW) som arkivformatet PDF/A inte "
        "tillåter och som attest inte kan packa om. %(advice)s"
    ),
    "appearance": N_(
        "Bilagan %(name)s har anteckningar (kommentarer) utan eget utseende, som "
        "olika program visar på olika sätt. Gör en ny PDF av den (till exempel med Skriv ut "
        "och Spara som PDF) och bifoga den nya filen."
    ),
}


def _conformant(name: str, data: bytes) -> Conformant:
    """The bilaga fit for a PDF/A-2b memo (attest.pdf.conformance), or Invalid saying why
    it cannot be."""
    import pikepdf

    try:
        return make_conformant(data)
    except NotConformant as refused:
        names = ", ".join(refused.names[:5]) + (" …" if len(refused.names) > 5 else "")
        message = NOT_CONFORMANT[refused.kind]
        raise Invalid(_l(message, name=name, names=names, advice=_l(SAVE_AS_PDFA))) from None
    except (pikepdf.PdfError, RecursionError, ValueError, TypeError, KeyError) as exc:
        log.info("refused bilaga %s: %s: %s", name, type(exc).__name__, exc)
        raise Invalid(damaged(name)) from None


_quiet = threading.Lock()
_quiet_checks = 0
_pypdf_level = logging.NOTSET


@contextlib.contextmanager
def pypdf_warnings_off() -> Iterator[None]:
    """pypdf logs a warning for every defect it repairs: thousands of lines (and seconds)
    for one hostile file. check_pdf logs its one refusal instead. Checks running at the
    same time share the setting; the last one to finish restores the level."""
    global _quiet_checks, _pypdf_level
    logger = logging.getLogger("pypdf")
    with _quiet:
        if _quiet_checks == 0:
            _pypdf_level = logger.level
            logger.setLevel(logging.ERROR)
        _quiet_checks += 1
    try:
        yield
    finally:
        with _quiet:
            _quiet_checks -= 1
            if _quiet_checks == 0:
                logger.setLevel(_pypdf_level)


@functools.lru_cache(maxsize=1)
def _one_page_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=True)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def damaged(name: str) -> LazyText:
    return _l("Filen %(name)s kan inte läsas som PDF; den verkar vara skadad.", name=name)


def _declared_page_count(reader: Any) -> int:
    """The page count the file claims (what a viewer shows before walking the tree)."""
    count = reader.root_object["/Pages"].get_object().get("/Count", 0)
    return int(count) if isinstance(count, (int, float)) and count > 0 else 0


def _too_many_pages(name: str, pages: int, max_pages: int) -> str:
    return f"Filen {name} har {pages} sidor; en bilaga får ha högst {max_pages}."


def _check_page_size(name: str, number: int, page: Any) -> None:
    try:
        box = page.mediabox
        width, height = float(box.width), float(box.height)
    except (TypeError, ValueError, AttributeError, IndexError, KeyError):
        width = height = math.nan
    if not all(
        math.isfinite(v) and MIN_PAGE_SIDE <= abs(v) <= MAX_PAGE_SIDE for v in (width, height)
    ):
        shown = "okänd" if math.isnan(width) else f"{abs(width):.0f} × {abs(height):.0f} punkter"
        raise Invalid(
            f"Sidan {number} i filen {name} har en orimlig sidstorlek ({shown}); en sida får "
            f"vara minst {MIN_PAGE_SIDE:.0f} och högst "
            "14 400 punkter (5 meter) åt varje håll."
        )


class _TooMuchData(Exception):
    def __init__(self, limit: int) -> None:
        self.limit = limit


def _inspect_objects(name: str, trailer: Any) -> None:
    """Walk every object the file reaches from its trailer: refuse active content and bombs."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

    seen: set[tuple[int, int]] = set()
    stack: list[tuple[Any, int]] = [(trailer, 0)]  # (object, how deep inside its object)
    visited = 0
    inflated_total = [0]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item, depth = item.get_object(), 0
        if depth > MAX_NESTING:
            # pypdf reads such a file slowly, every time it is merged: refuse it now.
            raise Invalid(damaged(name))
        if isinstance(item, DictionaryObject):
            active = _active_content(item)
            if active:
                raise Invalid(
                    f"Filen {name} innehåller aktivt innehåll ({active}), som inte får finnas "
                    "i en bilaga som ska attesteras. Gör en ny PDF av den (till exempel med "
                    "Skriv ut och Spara som PDF) och bifoga den nya filen."
                )
            if isinstance(item, StreamObject):
                try:
                    _count_inflated(item, inflated_total)
                except _TooMuchData as too_much:
                    raise Invalid(
                        f"Filen {name} innehåller data som packas upp till mer än "
                        f"{too_much.limit // MiB} MB. Det liknar en dekomprimeringsbomb, och "
                        "filen kan inte bifogas."
                    ) from None
            # The values as stored: references are followed above, once each.
            stack.extend((value, depth + 1) for value in dict.values(item))
        elif isinstance(item, ArrayObject):
            stack.extend((value, depth + 1) for value in list.__iter__(item))
        else:
            continue
        visited += 1
        if visited > MAX_OBJECTS:
            raise Invalid(f"Filen {name} har för många objekt för att kunna kontrolleras.")


def _name(value: Any) -> str:
    from pypdf.generic import IndirectObject

    if isinstance(value, IndirectObject):
        value = value.get_object()
    return value if isinstance(value, str) else ""


def _active_content(item: Any) -> str:
    """How this dictionary makes the PDF active, or "" when it does not."""
    action = _ACTIONS.get(_name(item.get("/S")))
    if action:
        return action
    if any(key in item for key in _JAVASCRIPT_KEYS):
        return "JavaScript"
    if any(key in item for key in _EMBEDDED_FILE_KEYS) or _name(item.get("/Type")) == (
        "/EmbeddedFile"
    ):
        return "inbäddade filer"
    if "/XFA" in item:
        return "ett XFA-formulär"
    return _EMBEDDED_SUBTYPES.get(_name(item.get("/Subtype")), "")


def _filters(stream: Any) -> list[str]:
    from pypdf.generic import ArrayObject

    value = stream.get("/Filter")
    if hasattr(value, "get_object"):
        value = value.get_object()
    if isinstance(value, ArrayObject):
        return [_name(v) for v in value]
    return [_name(value)] if value is not None else []


def _count_inflated(stream: Any, total: list[int]) -> None:
    """Inflate the stream's compressed layers, counting and discarding the output.

    Raises _TooMuchData past MAX_INFLATED_STREAM (this stream) or MAX_INFLATED_TOTAL (the
    file). Filters after the compression layers (image codecs) are the viewer's business.
    """
    filters = _filters(stream)
    if not any(name in _EXPANDING for name in filters):
        return  # stored as is, or only in an ASCII encoding: at most four times its size
    raw = stream._data  # the bytes as stored; get_data() would decode (and keep) all of it
    if filters[0] not in _FLATE and not _repetitive(raw):
        # Decoding ASCII85 and the like takes pypdf's pure Python, about 5 MB/s: only when
        # the stored bytes repeat themselves, as a bomb's compressed data must.
        return
    produced = 0

    def counted(chunks: Iterable[bytes]) -> Iterator[bytes]:
        nonlocal produced
        for chunk in chunks:
            produced += len(chunk)
            total[0] += len(chunk)
            if produced > MAX_INFLATED_STREAM:
                raise _TooMuchData(MAX_INFLATED_STREAM)
            if total[0] > MAX_INFLATED_TOTAL:
                raise _TooMuchData(MAX_INFLATED_TOTAL)
            yield chunk

    chunks: Iterable[bytes] = (raw,)
    for name in filters:
        if name in _FLATE:
            chunks = counted(_inflate(chunks))
        elif name in _DECODERS:
            chunks = counted(_decode_whole(name, chunks))
        else:
            break
    for _ in chunks:
        pass


def _repetitive(raw: bytes) -> bool:
    sample = raw[: 4 * MiB]
    return len(zlib.compress(sample, 1)) * 8 < len(sample)


def _inflate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # zlib or gzip header
    for chunk in chunks:
        view = memoryview(chunk)
        for start in range(0, len(view), _INFLATE_CHUNK):
            pending: bytes | memoryview = view[start : start + _INFLATE_CHUNK]
            while pending and not inflater.eof:
                try:
                    out = inflater.decompress(pending, _INFLATE_CHUNK)
                except zlib.error:
                    return  # damaged data: a viewer shows what it can, nothing to count
                yield out
                pending = inflater.unconsumed_tail
            if inflater.eof:
                return


def _decode_whole(name: str, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The other encodings, decoded by pypdf within its limits (set to ours)."""
    from pypdf import apply_configuration, filters
    from pypdf.errors import LimitReachedError, PyPdfError

    decoder = getattr(filters, _DECODERS[name])
    try:
        with apply_configuration(
            lzw_maximum_output_length=MAX_INFLATED_STREAM,
            run_length_maximum_output_length=MAX_INFLATED_STREAM,
            brotli_maximum_output_length=MAX_INFLATED_STREAM,
        ):
            yield decoder.decode(b"".join(chunks))
    except LimitReachedError:
        raise _TooMuchData(MAX_INFLATED_STREAM) from None
    except (PyPdfError, ValueError, TypeError, ImportError):
        return


# The encodings other than Flate, by their names and abbreviations: pypdf's decoder classes.
_DECODERS = {
    "/ASCIIHexDecode": "ASCIIHexDecode",
    "/AHx": "ASCIIHexDecode",
    "/ASCII85Decode": "ASCII85Decode",
    "/A85": "ASCII85Decode",
    "/LZWDecode": "LZWDecode",
    "/LZW": "LZWDecode",
    "/RunLengthDecode": "RunLengthDecode",
    "/RL": "RunLengthDecode",
    "/BrotliDecode": "BrotliDecode",
}


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
