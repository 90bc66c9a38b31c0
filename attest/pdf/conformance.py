"""Making a bilaga fit inside a PDF/A-2b memo (pikepdf, i.e. qpdf).

The frozen memo is PDF/A-2b (attest.pdf.pdfa) and its bilagor are appended page by page, so
each bilaga's pages must keep the rules of ISO 19005-2 that pages can break: fonts embedded,
no device CMYK colour beside attest's sRGB output intent (nor a transparency group blending
in it), no LZW compression, no stream data in another file, no forbidden annotation kinds,
every annotation printable with an appearance of its own, no print-shop hints, and a PDF
version of at most 1.7. ``make_conformant`` fixes what can be fixed without changing how a
page looks (LZW recompressed with Flate; annotation flags set; multimedia annotations,
per-object XMP, alternate images, OPI and reference XObjects removed; image interpolation
off; a 2.0 header written as 1.7) and refuses what cannot (``NotConformant``): a font
cannot be embedded without the font program, and CMYK cannot become sRGB without changing
the colours. Actions, JavaScript, links and view-dependent annotations are
attest.pdf.inert's; encryption, embedded files and XFA forms are refused by the intake
check (attest.memos.bilagor) before this runs.

A file that needs none of this is returned as it was, byte for byte.
"""

from __future__ import annotations

import io
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterator

from attest.catalogue import N_

# Annotation flags (ISO 32000-1, 12.5.3) that PDF/A-2 wants clear, and the one it wants set.
INVISIBLE, HIDDEN, PRINT, NO_VIEW, TOGGLE_NO_VIEW = 1, 2, 4, 32, 256
# Annotation kinds PDF/A-2 forbids (6.3.1) that can go without changing the printed page;
# file attachments are refused at intake (attest.memos.bilagor) as embedded files.
MEDIA_ANNOTATIONS = {"/Sound", "/Movie", "/Screen", "/3D", "/RichMedia", "/TrapNet"}
# The filters qpdf decodes itself (its "generalized" level): a chain of only these can be
# recompressed with Flate.
_GENERAL_FILTERS = {"/FlateDecode", "/LZWDecode", "/ASCII85Decode", "/ASCIIHexDecode"}
_GENERAL_FILTERS |= {"/RunLengthDecode", "/Fl", "/LZW", "/A85", "/AHx", "/RL"}
_LZW = {"/LZWDecode", "/LZW"}
_CMYK_OPERATORS = {"k", "K"}
_SUBSET_PREFIX = re.compile(r"^[A-Z]{6}\+")

# What was changed, and how the handläggare is told (msgids of the catalogue).
CHANGED_TEXT = {
    "lzw": N_("LZW-komprimering (packad om)"),
    "media": N_("multimedia (ljud, film eller 3D)"),
    "annotation_flags": N_("inställningar som gjorde anteckningar osynliga i utskrift"),
    "xmp": N_("metadata i sidor och bilder"),
    "print_hints": N_("anvisningar för tryckerier och utjämning av bilder"),
    "version": N_("PDF 2.0-märkning (skrivs som PDF 1.7)"),
}


class NotConformant(Exception):
    """What keeps the bilaga out of a PDF/A-2b memo: ``kind`` and what it names."""

    def __init__(self, kind: str, names: tuple[str, ...] = ()) -> None:
        super().__init__(kind, names)
        self.kind = kind
        self.names = names


@dataclass(frozen=True)
class Conformant:
    data: bytes
    changed: dict[str, int] = field(default_factory=dict)

    def description(self) -> str:
        """What was changed, in the request's language (Swedish outside one):
        "LZW-komprimering (packad om) (2)"."""
        from attest.pdf.inert import described

        return described(CHANGED_TEXT, self.changed)


def make_conformant(data: bytes) -> Conformant:
    """The bilaga with its pages fit for PDF/A-2b (or unchanged); NotConformant else.

    Run after the intake has refused bombs: LZW streams are decoded here to recompress them.
    """
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        objects = list(_dictionaries(pdf))
        _refuse(pdf, objects)
        changed: Counter[str] = Counter()
        for obj in objects:
            _normalise(pdf, obj, changed)
        for page in pdf.pages:
            _annotations(page.obj, changed)
        version_2 = pdf.pdf_version >= "2"
        if version_2:
            changed["version"] += 1
        if not changed:
            return Conformant(data)
        out = io.BytesIO()
        save: dict[str, Any] = {"force_version": "1.7"} if version_2 else {}
        pdf.save(
            out,
            deterministic_id=True,
            stream_decode_level=pikepdf.StreamDecodeLevel.none,
            compress_streams=False,
            **save,
        )
        return Conformant(out.getvalue(), dict(changed))


def _dictionaries(pdf: Any) -> Iterator[Any]:
    """Every indirect dictionary and stream, and the direct ones inside them."""
    import pikepdf

    def walk(obj: Any, depth: int) -> Iterator[Any]:
        if depth > 50:  # the intake refuses deeper nesting before this runs
            return
        if isinstance(obj, pikepdf.Stream):
            yield obj
            values = list(obj.stream_dict.values())
        elif isinstance(obj, pikepdf.Dictionary):
            yield obj
            values = list(obj.values())
        elif isinstance(obj, pikepdf.Array):
            values = list(obj)
        else:
            return
        for value in values:
            if isinstance(value, pikepdf.Object) and not value.is_indirect:
                yield from walk(value, depth + 1)

    for obj in pdf.objects:
        if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream, pikepdf.Array)):
            yield from walk(obj, 0)


def _name(value: Any) -> str:
    import pikepdf

    return str(value) if isinstance(value, pikepdf.Name) else ""


def _filters(stream: Any) -> list[str]:
    import pikepdf

    value = stream.get("/Filter")
    if isinstance(value, pikepdf.Array):
        return [_name(v) for v in value]
    return [_name(value)] if value is not None else []


def _refuse(pdf: Any, objects: list[Any]) -> None:
    """NotConformant for what cannot be fixed without changing the pages."""
    import pikepdf

    fonts = sorted({name for obj in objects if (name := _unembedded_font(obj))})
    if fonts:
        raise NotConformant("fonts", tuple(fonts))
    for obj in objects:
        if isinstance(obj, pikepdf.Stream) and any(k in obj for k in ("/F", "/FFilter")):
            raise NotConformant("external")
        if isinstance(obj, pikepdf.Stream) and any(f in _LZW for f in _filters(obj)):
            if not set(_filters(obj)) <= _GENERAL_FILTERS:
                raise NotConformant("lzw")
    if _uses_cmyk(pdf, objects):
        raise NotConformant("cmyk")
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", pikepdf.Array()):
            if isinstance(annotation, pikepdf.Dictionary) and _lacks_appearance(annotation):
                raise NotConformant("appearance")


def _unembedded_font(obj: Any) -> str:
    """The font's name if it is a font whose program is not in the file, else ""."""
    import pikepdf

    if _name(obj.get("/Type")) != "/Font" or isinstance(obj, pikepdf.Stream):
        return ""
    if _name(obj.get("/Subtype")) in ("/Type3", "/Type0"):
        return ""  # Type 3 glyphs are content; a Type 0 font's descendant is checked itself
    descriptor = obj.get("/FontDescriptor")
    if isinstance(descriptor, pikepdf.Dictionary) and any(
        isinstance(descriptor.get(key), pikepdf.Stream)
        for key in ("/FontFile", "/FontFile2", "/FontFile3")
    ):
        return ""
    name = _name(obj.get("/BaseFont")).lstrip("/")
    from flask_babel import gettext

    return _SUBSET_PREFIX.sub("", name) or gettext("namnlöst typsnitt")


def _uses_cmyk(pdf: Any, objects: list[Any]) -> bool:
    """Device CMYK colour (6.2.4.3): in images, colour space resources or the k and K
    operators of page and form content; attest's output intent is sRGB."""
    import pikepdf

    for obj in objects:
        if isinstance(obj, pikepdf.Stream) and _name(obj.get("/Subtype")) == "/Image":
            if _is_cmyk(obj.get("/ColorSpace")):
                return True
        spaces = obj.get("/ColorSpace") if _name(obj.get("/Type")) != "/XObject" else None
        if isinstance(spaces, pikepdf.Dictionary):
            if any(_is_cmyk(space) for space in spaces.values()):
                return True
        group = obj.get("/Group")  # a transparency group blending in CMYK
        if isinstance(group, pikepdf.Dictionary) and _is_cmyk(group.get("/CS")):
            return True
    contents: list[Any] = list(pdf.pages)
    contents += [
        obj
        for obj in objects
        if isinstance(obj, pikepdf.Stream) and _name(obj.get("/Subtype")) == "/Form"
    ]
    for content in contents:
        for instruction in pikepdf.parse_content_stream(content, "k K"):
            if str(getattr(instruction, "operator", "")) in _CMYK_OPERATORS:
                return True
    return False


def _is_cmyk(space: Any) -> bool:
    """DeviceCMYK, or an indexed colour space over it."""
    import pikepdf

    if isinstance(space, pikepdf.Array) and len(space) > 1 and _name(space[0]) == "/Indexed":
        space = space[1]
    return _name(space) in ("/DeviceCMYK", "/CMYK")


def _lacks_appearance(annotation: Any) -> bool:
    """6.3.3: an annotation other than a link or pop-up, with an area, needs its own
    normal appearance; else each viewer draws it its own way."""
    import pikepdf

    subtype = _name(annotation.get("/Subtype"))
    if subtype in ("/Link", "/Popup") or subtype in MEDIA_ANNOTATIONS:
        return False
    try:
        rect = [float(v) for v in annotation.get("/Rect", pikepdf.Array())]
    except (TypeError, ValueError):
        rect = []
    if len(rect) == 4 and rect[0] == rect[2] and rect[1] == rect[3]:
        return False
    appearance = annotation.get("/AP")
    if not isinstance(appearance, pikepdf.Dictionary):
        return True
    normal = appearance.get("/N")
    button = _name(annotation.get("/FT")) == "/Btn" or (
        isinstance(annotation.get("/Parent"), pikepdf.Dictionary)
        and _name(annotation.Parent.get("/FT")) == "/Btn"
    )
    return not (isinstance(normal, pikepdf.Stream) or (button and normal is not None))


def _normalise(pdf: Any, obj: Any, changed: Counter[str]) -> None:
    import pikepdf

    if isinstance(obj, pikepdf.Stream) and any(f in _LZW for f in _filters(obj)):
        # Decoded (the predictor too), then compressed again with Flate alone.
        obj.write(zlib.compress(obj.read_bytes()), filter=pikepdf.Name.FlateDecode)
        if "/DecodeParms" in obj:
            del obj["/DecodeParms"]
        changed["lzw"] += 1
    if isinstance(obj, pikepdf.Stream) and _name(obj.get("/Subtype")) in ("/Image", "/Form"):
        # Print-shop and viewer hints PDF/A forbids (6.2.8, 6.2.9): alternate images, OPI
        # proxies, reference XObjects and image smoothing; viewers draw the page the same
        # without them.
        for key in ("/Alternates", "/OPI", "/Ref"):
            if key in obj:
                del obj[key]
                changed["print_hints"] += 1
        if bool(obj.get("/Interpolate", False)):
            obj.Interpolate = False
            changed["print_hints"] += 1
    if "/Metadata" in obj and obj.objgen != pdf.Root.objgen:
        # XMP of a page or an image: descriptive only, and PDF/A would hold it to the rules
        # of the document's own packet. The catalog's is not carried into the memo.
        del obj["/Metadata"]
        changed["xmp"] += 1


def _annotations(page: Any, changed: Counter[str]) -> None:
    """Multimedia annotations removed; the others printable and shown (6.3.2)."""
    import pikepdf

    annotations = page.get("/Annots")
    if not isinstance(annotations, pikepdf.Array):
        return
    kept = []
    for annotation in annotations:
        if not isinstance(annotation, pikepdf.Dictionary):
            continue
        subtype = _name(annotation.get("/Subtype"))
        if subtype in MEDIA_ANNOTATIONS:
            changed["media"] += 1
            continue
        kept.append(annotation)
        if subtype == "/Popup":
            continue
        try:
            flags = int(annotation.get("/F", 0))
        except (TypeError, ValueError):
            flags = 0
        wanted = (flags | PRINT) & ~(INVISIBLE | HIDDEN | NO_VIEW | TOGGLE_NO_VIEW)
        if wanted != flags or "/F" not in annotation:
            annotation.F = wanted
            changed["annotation_flags"] += 1
    if len(kept) != len(annotations):
        if kept:
            page.Annots = pikepdf.Array(kept)
        else:
            del page["/Annots"]
