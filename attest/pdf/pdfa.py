"""PDF/A-2b: what makes a PDF attest draws an archival one, and keeps it one when signed.

``make_archival`` finishes a rendered PDF (memo with bilagor, report): the XMP metadata
(``pdfaid`` part 2, conformance B; title, author, subject, the real creation time; the
Dnr, the nämnd and the kind of document in attest's extension schema, declared in the
packet as PDF/A requires), the document information dictionary saying the same, the sRGB
output intent, and every annotation printable. The output is deterministic: the same
input gives the same bytes.

Each signature is an incremental update; ``touch_xmp`` is what such an update does to the
packet (the modification and metadata dates, nothing else), so that a signed memo stays
PDF/A-2b (attest.signing.archival).

The extension schema (prefix ``attest``, namespace ``XMP_NAMESPACE``) is documented in
docs/pdfa.md. Its properties are external (they describe the document, not the file).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

PDFA_PART = 2
PDFA_CONFORMANCE = "B"
CREATOR_TOOL = "attest"
PRODUCER = "attest (ReportLab, pikepdf)"
LANGUAGE = "sv-SE"

# attest's XMP extension schema: stable, never resolved (.invalid is reserved for that).
XMP_NAMESPACE = "https://attest.invalid/xmp/tjansteutlatande/1.0/"
XMP_PREFIX = "attest"
XMP_SCHEMA_NAME = "attest: tjänsteutlåtande och rapport"
# (name, description): every property is Text, category external.
XMP_PROPERTIES = (
    ("Dnr", "Diarienummer, t.ex. EÅV 2024/99"),
    ("Namnd", "Nämnden som handlingen är ställd till"),
    ("Handlingstyp", "Handlingens typ, t.ex. Tjänsteutlåtande eller Rapport"),
)

OUTPUT_CONDITION = "sRGB IEC61966-2.1"
ICC_PATH = os.path.join(os.path.dirname(__file__), "icc", "sRGB.icc")
_STOCKHOLM = ZoneInfo("Europe/Stockholm")

_NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xmp": "http://ns.adobe.com/xap/1.0/",
}

# Annotation flags (ISO 32000-1, 12.5.3): PDF/A wants Print set and these four clear.
_F_INVISIBLE, _F_HIDDEN, _F_PRINT, _F_NOVIEW, _F_TOGGLENOVIEW = 1, 2, 4, 32, 256


@dataclass(frozen=True)
class ArchivalMetadata:
    """What a PDF says about itself, in its XMP and its information dictionary."""

    title: str
    author: str
    subject: str
    created_at: dt.datetime  # timezone-aware: when the document was made (the app's clock)
    document_type: str = ""
    dnr: str = ""
    board: str = ""  # the nämnd


def xmp_date(moment: dt.datetime) -> str:
    """An XMP date in Stockholm time with its offset: 2024-08-14T09:30:00+02:00."""
    return _local(moment).isoformat()


def pdf_date(moment: dt.datetime) -> str:
    """The same instant as a PDF date string: D:20240814093000+02'00'."""
    local = _local(moment)
    offset = local.strftime("%z")  # +0200
    return f"D:{local:%Y%m%d%H%M%S}{offset[:3]}'{offset[3:]}'"


def _local(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("a PDF's dates must be timezone-aware")
    return moment.astimezone(_STOCKHOLM).replace(microsecond=0)


def _text(value: str) -> str:
    return escape(value)


def _extension_schema() -> str:
    properties = "".join(
        "<rdf:li rdf:parseType='Resource'>"
        f"<pdfaProperty:name>{name}</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{_text(description)}</pdfaProperty:description>"
        "</rdf:li>"
        for name, description in XMP_PROPERTIES
    )
    return (
        "<rdf:Description rdf:about=''"
        " xmlns:pdfaExtension='http://www.aiim.org/pdfa/ns/extension/'"
        " xmlns:pdfaSchema='http://www.aiim.org/pdfa/ns/schema#'"
        " xmlns:pdfaProperty='http://www.aiim.org/pdfa/ns/property#'>\n"
        "<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType='Resource'>"
        f"<pdfaSchema:schema>{_text(XMP_SCHEMA_NAME)}</pdfaSchema:schema>"
        f"<pdfaSchema:namespaceURI>{XMP_NAMESPACE}</pdfaSchema:namespaceURI>"
        f"<pdfaSchema:prefix>{XMP_PREFIX}</pdfaSchema:prefix>"
        f"<pdfaSchema:property><rdf:Seq>{properties}</rdf:Seq></pdfaSchema:property>"
        "</rdf:li></rdf:Bag></pdfaExtension:schemas>\n"
        "</rdf:Description>\n"
    )


def xmp_packet(meta: ArchivalMetadata, *, modified_at: dt.datetime | None = None) -> bytes:
    """The XMP packet of a PDF/A-2b document (the modification time is the creation time
    unless given)."""
    created = xmp_date(meta.created_at)
    modified = xmp_date(modified_at or meta.created_at)
    own = "".join(
        f"<{XMP_PREFIX}:{name}>{_text(value)}</{XMP_PREFIX}:{name}>"
        for name, value in (
            ("Dnr", meta.dnr),
            ("Namnd", meta.board),
            ("Handlingstyp", meta.document_type),
        )
        if value
    )
    body = (
        "<?xpacket begin='\ufeff' id='W5M0MpCehiHzreSzNTczkc9d'?>\n"
        "<x:xmpmeta xmlns:x='adobe:ns:meta/'>\n"
        "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>\n"
        "<rdf:Description rdf:about='' xmlns:pdfaid='http://www.aiim.org/pdfa/ns/id/'>"
        f"<pdfaid:part>{PDFA_PART}</pdfaid:part>"
        f"<pdfaid:conformance>{PDFA_CONFORMANCE}</pdfaid:conformance>"
        "</rdf:Description>\n"
        "<rdf:Description rdf:about='' xmlns:dc='http://purl.org/dc/elements/1.1/'>"
        "<dc:format>application/pdf</dc:format>"
        "<dc:title><rdf:Alt>"
        f"<rdf:li xml:lang='x-default'>{_text(meta.title)}</rdf:li>"
        "</rdf:Alt></dc:title>"
        f"<dc:creator><rdf:Seq><rdf:li>{_text(meta.author)}</rdf:li></rdf:Seq></dc:creator>"
        "<dc:description><rdf:Alt>"
        f"<rdf:li xml:lang='x-default'>{_text(meta.subject)}</rdf:li>"
        "</rdf:Alt></dc:description>"
        f"<dc:language><rdf:Bag><rdf:li>{LANGUAGE}</rdf:li></rdf:Bag></dc:language>"
        "</rdf:Description>\n"
        "<rdf:Description rdf:about='' xmlns:xmp='http://ns.adobe.com/xap/1.0/'>"
        f"<xmp:CreateDate>{created}</xmp:CreateDate>"
        f"<xmp:ModifyDate>{modified}</xmp:ModifyDate>"
        f"<xmp:MetadataDate>{modified}</xmp:MetadataDate>"
        f"<xmp:CreatorTool>{CREATOR_TOOL}</xmp:CreatorTool>"
        "</rdf:Description>\n"
        "<rdf:Description rdf:about='' xmlns:pdf='http://ns.adobe.com/pdf/1.3/'>"
        f"<pdf:Producer>{_text(PRODUCER)}</pdf:Producer>"
        "</rdf:Description>\n"
        f"<rdf:Description rdf:about='' xmlns:{XMP_PREFIX}='{XMP_NAMESPACE}'>{own}"
        "</rdf:Description>\n" + _extension_schema() + "</rdf:RDF>\n</x:xmpmeta>\n"
    )
    # Room for a later writer to edit in place, as XMP asks; 'w': writable.
    return (body + " " * 2047 + "\n<?xpacket end='w'?>").encode("utf-8")


def is_archival_xmp(xmp: bytes) -> bool:
    """Whether an XMP packet claims PDF/A (attest keeps such a file PDF/A when it signs)."""
    return b"http://www.aiim.org/pdfa/ns/id/" in xmp


def touch_xmp(xmp: bytes, modified_at: dt.datetime) -> bytes:
    """The packet with xmp:ModifyDate and xmp:MetadataDate set to ``modified_at``; every
    other byte of it as it was (prefixes, order, the extension schema). ValueError for a
    packet attest did not write (no x:xmpmeta, or no such dates)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    start = xmp.find(b"<x:xmpmeta")
    end = xmp.find(b"</x:xmpmeta>")
    if start < 0 or end < 0:
        raise ValueError("not an XMP packet attest wrote")
    end += len(b"</x:xmpmeta>")
    try:
        root = etree.fromstring(xmp[start:end], parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"the XMP packet does not parse: {exc}") from None
    stamp = xmp_date(modified_at)
    for name in ("ModifyDate", "MetadataDate"):
        found = root.findall(f".//{{{_NS['xmp']}}}{name}")
        if not found:
            raise ValueError(f"the XMP packet has no xmp:{name}")
        for element in found:
            element.text = stamp
    return xmp[:start] + etree.tostring(root, encoding="utf-8") + xmp[end:]


@lru_cache(maxsize=1)
def srgb_profile() -> bytes:
    with open(ICC_PATH, "rb") as handle:
        return handle.read()


def _tidy_pages(pdf) -> None:
    """Every annotation printable and visible, as PDF/A asks (bilagor may say otherwise);
    no empty /Trans (reportlab writes one on every page: a transition that says nothing)."""
    import pikepdf

    for page in pdf.pages:
        transition = page.obj.get("/Trans")
        if isinstance(transition, pikepdf.Dictionary) and not transition.keys():
            del page.obj["/Trans"]
        for annotation in page.obj.get("/Annots", pikepdf.Array()):
            if annotation.get("/Subtype") == pikepdf.Name.Popup:
                continue
            flags = int(annotation.get("/F", 0))
            wanted = (flags | _F_PRINT) & ~(_F_INVISIBLE | _F_HIDDEN | _F_NOVIEW | _F_TOGGLENOVIEW)
            if wanted != flags or "/F" not in annotation:
                annotation.F = wanted


def make_archival(pdf: bytes, meta: ArchivalMetadata) -> bytes:
    """The PDF as PDF/A-2b: XMP and information dictionary, sRGB output intent, printable
    annotations. Deterministic: equal inputs give equal bytes."""
    import pikepdf

    with pikepdf.open(BytesIO(pdf)) as doc:
        root = doc.Root
        root.Metadata = doc.make_stream(
            xmp_packet(meta), Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML
        )
        profile = doc.make_stream(srgb_profile(), N=3)
        root.OutputIntents = pikepdf.Array(
            [
                pikepdf.Dictionary(
                    Type=pikepdf.Name.OutputIntent,
                    S=pikepdf.Name.GTS_PDFA1,
                    OutputConditionIdentifier=OUTPUT_CONDITION,
                    Info=OUTPUT_CONDITION,
                    RegistryName="http://www.color.org",
                    DestOutputProfile=profile,
                )
            ]
        )
        root.Lang = LANGUAGE
        _tidy_pages(doc)
        info = pikepdf.Dictionary(
            Title=meta.title,
            Author=meta.author,
            Subject=meta.subject,
            Creator=CREATOR_TOOL,
            Producer=PRODUCER,
            CreationDate=pdf_date(meta.created_at),
            ModDate=pdf_date(meta.created_at),
        )
        doc.trailer.Info = doc.make_indirect(info)
        out = BytesIO()
        # deterministic_id: the /ID is a digest of the content, not random.
        doc.save(
            out,
            deterministic_id=True,
            fix_metadata_version=False,  # it would re-serialise the packet
            compress_streams=True,
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
            min_version="1.4",
        )
    return out.getvalue()
