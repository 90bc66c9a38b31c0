"""A PDF/A-2b conformance checker for the PDFs attest makes (pikepdf and lxml).

Not a full validator (veraPDF is): it checks the rules of ISO 19005-2 that attest's own
output can break — the header and trailer, the XMP packet and its extension schema, the
information dictionary agreeing with the XMP, the output intent, embedded fonts, actions
and JavaScript, annotations (flags and appearances), the forms dictionary, device colour,
forbidden filters and external streams. It reads the file as its last revision shows it,
so it applies as well to a frozen memo as to one with every signature and the B-LTA.

pikepdf's own allowlist validator (pikepdf.pdfa) is a second opinion on unsigned PDFs; it
knows no extension schemas and no forms (``second_opinion`` leaves those findings to this
checker, which checks them itself).

Every rule has a failing fixture in tests/test_pdfa.py.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Any, Iterator

import pikepdf
from lxml import etree

RULES = (
    "header",
    "encryption",
    "trailer-id",
    "xmp",
    "xmp-identification",
    "info-agrees",
    "extension-schema",
    "output-intent",
    "fonts-embedded",
    "actions",
    "annotation-flags",
    "annotation-appearance",
    "annotation-subtype",
    "acroform",
    "device-colour",
    "filters",
)

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
    "xml": "http://www.w3.org/XML/1998/namespace",
}
# The schemas XMP and ISO 19005 predefine: their properties need no extension schema.
PREDEFINED = {
    NS["dc"],
    NS["xmp"],
    NS["pdf"],
    NS["pdfaid"],
    "http://ns.adobe.com/xap/1.0/rights/",
    "http://ns.adobe.com/xap/1.0/mm/",
    "http://ns.adobe.com/xap/1.0/bj/",
    "http://ns.adobe.com/xap/1.0/t/pg/",
    "http://ns.adobe.com/xap/1.0/sType/ResourceRef#",
    "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#",
    "http://ns.adobe.com/xmp/Identifier/qual/1.0/",
    "http://ns.adobe.com/photoshop/1.0/",
    "http://ns.adobe.com/tiff/1.0/",
    "http://ns.adobe.com/exif/1.0/",
    "http://ns.adobe.com/exif/1.0/aux/",
    "http://www.aiim.org/pdfua/ns/id/",
}
STRUCTURAL = {NS["x"], NS["rdf"], NS["xml"], NS["pdfaExtension"]}

# Info key -> (XMP namespace, property, kind)
INFO_XMP = {
    "/Title": (NS["dc"], "title", "alt"),
    "/Author": (NS["dc"], "creator", "seq"),
    "/Subject": (NS["dc"], "description", "alt"),
    "/Keywords": (NS["pdf"], "Keywords", "text"),
    "/Creator": (NS["xmp"], "CreatorTool", "text"),
    "/Producer": (NS["pdf"], "Producer", "text"),
    "/CreationDate": (NS["xmp"], "CreateDate", "date"),
    "/ModDate": (NS["xmp"], "ModifyDate", "date"),
}

ALLOWED_ACTIONS = {"/GoTo", "/GoToR", "/Thread", "/URI", "/Named", "/SubmitForm"}
ACTION_TYPES = {
    "/GoTo",
    "/GoToR",
    "/GoToE",
    "/Launch",
    "/Thread",
    "/URI",
    "/Sound",
    "/Movie",
    "/Hide",
    "/Named",
    "/SubmitForm",
    "/ResetForm",
    "/ImportData",
    "/JavaScript",
    "/SetOCGState",
    "/Rendition",
    "/Trans",
    "/GoTo3DView",
    "/RichMediaExecute",
}
NAMED_ACTIONS = {"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"}
FORBIDDEN_ANNOTATIONS = {"/Sound", "/Movie", "/Screen", "/3D", "/RichMedia", "/FileAttachment"}
FORBIDDEN_ANNOTATIONS |= {"/TrapNet"}
_INVISIBLE, _HIDDEN, _PRINT, _NOVIEW, _TOGGLENOVIEW = 1, 2, 4, 32, 256


@dataclass(frozen=True)
class Violation:
    rule: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule} at {self.where}: {self.message}"


class NotPdfA(AssertionError):
    pass


def check(data: bytes) -> list[Violation]:
    """Every violation of the checked rules, in rule order; [] for a conforming file."""
    found: list[Violation] = []
    found += _header(data)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        context = _Context(pdf)
        for rule in (
            _encryption,
            _trailer_id,
            _metadata,
            _output_intent,
            _fonts,
            _actions,
            _annotations,
            _acroform,
            _device_colour,
            _filters,
        ):
            found += rule(context)
    return found


def assert_pdfa(data: bytes, label: str = "the PDF") -> None:
    problems = check(data)
    if problems:
        raise NotPdfA(f"{label} is not PDF/A-2b:\n" + "\n".join(f"  {p}" for p in problems))


def second_opinion(data: bytes) -> list[str]:
    """pikepdf.pdfa's findings, without those on what it does not know: extension schemas
    (it permits no namespace outside the predefined ones; this checker's extension-schema
    rule checks the declarations) and forms."""
    import pikepdf.pdfa

    report = pikepdf.pdfa.validate_written(io.BytesIO(data), "2b")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        packet = pdf.Root.Metadata.read_bytes().decode("utf-8", "replace")
    declared = set(re.findall(r"<pdfaSchema:namespaceURI>([^<]+)<", packet))
    declared |= {NS["pdfaExtension"], NS["pdfaSchema"], NS["pdfaProperty"]}
    prefixes = set(re.findall(r"<pdfaSchema:prefix>([^<]+)<", packet)) | {"pdfaExtension"}
    left = []
    for finding in report.findings:
        if "6.6.2.3.1-1" in finding.rule:
            named = re.search(r"namespace \S+=(\S+) is not permitted", finding.message)
            prop = re.search(r"XMP property (\w+):\w+ is not permitted", finding.message)
            if (named and named.group(1) in declared) or (prop and prop.group(1) in prefixes):
                continue
        if finding.kind == "unsupported" and "/AcroForm" in finding.where:
            continue
        left.append(str(finding))
    return left


# --- what the rules share -----------------------------------------------------------------


class _Context:
    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.pdf = pdf
        self.dictionaries = list(_all_dictionaries(pdf))

    def annotations(self) -> Iterator[tuple[str, pikepdf.Dictionary]]:
        for number, page in enumerate(self.pdf.pages, 1):
            for annotation in page.obj.get("/Annots", pikepdf.Array()):
                if isinstance(annotation, pikepdf.Dictionary):
                    yield f"page {number} annotation {annotation.get('/T', '')}", annotation


def _all_dictionaries(pdf: pikepdf.Pdf) -> Iterator[tuple[str, pikepdf.Object]]:
    """Every dictionary and stream of the file, direct ones inside others included."""

    def walk(obj: pikepdf.Object, where: str, depth: int) -> Iterator[tuple[str, Any]]:
        if depth > 50:
            return
        if isinstance(obj, pikepdf.Stream):
            yield where, obj
            items = obj.stream_dict.items()
        elif isinstance(obj, pikepdf.Dictionary):
            yield where, obj
            items = obj.items()
        elif isinstance(obj, pikepdf.Array):
            items = ((f"[{i}]", v) for i, v in enumerate(obj))
        else:
            return
        for key, value in items:
            if isinstance(value, pikepdf.Object) and not value.is_indirect:
                yield from walk(value, f"{where} {key}", depth + 1)

    for obj in pdf.objects:
        if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream, pikepdf.Array)):
            yield from walk(obj, f"obj {obj.objgen[0]}", 0)
    yield from walk(pdf.trailer, "trailer", 0)


def _name(value: Any) -> str:
    return str(value) if isinstance(value, pikepdf.Name) else ""


# --- the rules -----------------------------------------------------------------------------


def _header(data: bytes) -> list[Violation]:
    """6.1.2: %PDF-1.n (n 0..7) at offset 0, then a comment of four bytes above 127."""
    found = []
    match = re.match(rb"%PDF-1\.([0-7])\r?\n?", data)
    if match is None:
        found.append(Violation("header", "offset 0", f"header is {data[:9]!r}"))
        return found
    second = data[match.end() :].lstrip(b"\r\n")
    if not (second[:1] == b"%" and all(b > 127 for b in second[1:5])):
        found.append(Violation("header", "line 2", "no binary comment after the header"))
    return found


def _encryption(ctx: _Context) -> list[Violation]:
    if "/Encrypt" in ctx.pdf.trailer:
        return [Violation("encryption", "trailer", "the file is encrypted (6.1.3)")]
    return []


def _trailer_id(ctx: _Context) -> list[Violation]:
    if "/ID" not in ctx.pdf.trailer:
        return [Violation("trailer-id", "trailer", "no /ID (6.1.3)")]
    return []


def _metadata(ctx: _Context) -> list[Violation]:
    root = ctx.pdf.Root
    stream = root.get("/Metadata")
    if not isinstance(stream, pikepdf.Stream):
        return [Violation("xmp", "catalog", "no /Metadata stream (6.6.2.1)")]
    found = []
    if "/Filter" in stream.stream_dict:
        found.append(Violation("xmp", "/Metadata", "the metadata stream is filtered"))
    raw = stream.read_bytes()
    header = re.match(rb"\s*<\?xpacket([^?]*)\?>", raw)
    if header and re.search(rb"\b(bytes|encoding)\s*=", header.group(1)):
        found.append(Violation("xmp", "/Metadata", "packet header uses bytes or encoding"))
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        tree = etree.fromstring(raw, parser=parser)
    except etree.XMLSyntaxError as exc:
        return found + [Violation("xmp", "/Metadata", f"XMP does not parse: {exc}")]
    properties = _xmp_properties(tree)
    part = _simple(properties.get((NS["pdfaid"], "part")))
    conformance = _simple(properties.get((NS["pdfaid"], "conformance")))
    if part != "2" or conformance != "B":
        found.append(
            Violation(
                "xmp-identification",
                "/Metadata",
                f"pdfaid:part={part!r} pdfaid:conformance={conformance!r}, not 2 and B",
            )
        )
    found += _info_agrees(ctx, properties)
    found += _extension_schema(tree, properties)
    return found


def _xmp_properties(tree: etree._Element) -> dict[tuple[str, str], etree._Element]:
    """The top-level properties of every rdf:Description: (namespace, name) -> element;
    properties written as attributes become elements' text."""
    found: dict[tuple[str, str], etree._Element] = {}
    for description in tree.iter(f"{{{NS['rdf']}}}Description"):
        parent = description.getparent()
        if parent is None or parent.tag != f"{{{NS['rdf']}}}RDF":
            continue
        for child in description:
            qname = etree.QName(child)
            found[(qname.namespace or "", qname.localname)] = child
        for attribute, value in description.attrib.items():
            qname = etree.QName(attribute)
            if qname.namespace in (NS["rdf"], None):
                continue
            element = etree.Element(attribute)
            element.text = value
            found[(qname.namespace or "", qname.localname)] = element
    return found


def _simple(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    items = element.findall(f".//{{{NS['rdf']}}}li")
    return (items[0].text if items else element.text) or ""


def _date(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    text = text.strip()
    if text.startswith("D:"):
        match = re.match(
            r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz+-])?(\d{2})?'?(\d{2})?", text
        )
        if not match:
            return None
        year, month, day, hour, minute, second, sign, tzh, tzm = match.groups()
        offset = dt.timedelta(hours=int(tzh or 0), minutes=int(tzm or 0))
        zone = dt.timezone(-offset if sign == "-" else offset)
        return dt.datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=zone,
        )
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _info_agrees(ctx: _Context, properties: dict) -> list[Violation]:
    """6.6.3: every entry of the information dictionary has its XMP equivalent, equal."""
    info = ctx.pdf.trailer.get("/Info")
    if not isinstance(info, pikepdf.Dictionary):
        return []
    found = []
    for key, (namespace, name, kind) in INFO_XMP.items():
        if key not in info:
            continue
        value = str(info[key])
        element = properties.get((namespace, name))
        if element is None:
            found.append(Violation("info-agrees", f"/Info {key}", f"no {name} in the XMP"))
            continue
        xmp_value = _simple(element)
        if kind == "date":
            same = _date(value) is not None and _date(value) == _date(xmp_value)
        else:
            same = value == xmp_value
        if not same:
            found.append(
                Violation("info-agrees", f"/Info {key}", f"{value!r} but XMP {name} {xmp_value!r}")
            )
    return found


def _extension_schema(tree: etree._Element, properties: dict) -> list[Violation]:
    """6.6.2.3: a property outside the predefined schemas is declared in an extension
    schema (namespace, the prefix it is written with, and its name)."""
    declared: dict[str, tuple[str, set[str]]] = {}
    for schema in tree.iter(f"{{{NS['rdf']}}}li"):
        uri = schema.findtext(f"{{{NS['pdfaSchema']}}}namespaceURI")
        if uri is None:
            continue
        prefix = schema.findtext(f"{{{NS['pdfaSchema']}}}prefix") or ""
        names = {name.text or "" for name in schema.iter(f"{{{NS['pdfaProperty']}}}name")}
        declared[uri] = (prefix, names)
    found = []
    for (namespace, name), element in properties.items():
        if namespace in PREDEFINED or namespace in STRUCTURAL:
            continue
        if namespace not in declared:
            found.append(Violation("extension-schema", namespace, f"{name} has no schema"))
            continue
        prefix, names = declared[namespace]
        used = element.prefix if element.prefix is not None else ""
        if used != prefix:
            found.append(
                Violation("extension-schema", namespace, f"prefix {used!r} declared {prefix!r}")
            )
        if name not in names:
            found.append(Violation("extension-schema", namespace, f"{name} is not declared"))
    return found


def _output_intent(ctx: _Context) -> list[Violation]:
    """6.2.3: a GTS_PDFA1 output intent with an ICC profile; one profile if several."""
    intents = ctx.pdf.Root.get("/OutputIntents")
    pdfa = [
        intent
        for intent in (intents if isinstance(intents, pikepdf.Array) else [])
        if intent.get("/S") == pikepdf.Name.GTS_PDFA1
    ]
    if not pdfa:
        return [Violation("output-intent", "catalog", "no GTS_PDFA1 output intent")]
    found = []
    profiles = set()
    for intent in pdfa:
        profile = intent.get("/DestOutputProfile")
        if not isinstance(profile, pikepdf.Stream):
            found.append(Violation("output-intent", "output intent", "no DestOutputProfile"))
            continue
        data = profile.read_bytes()
        profiles.add(data)
        if data[36:40] != b"acsp" or int(profile.get("/N", 0)) not in (1, 3, 4):
            found.append(Violation("output-intent", "DestOutputProfile", "not an ICC profile"))
    if len(profiles) > 1:
        found.append(Violation("output-intent", "catalog", "different profiles (6.2.3)"))
    return found


def _output_colour_space(ctx: _Context) -> str:
    for intent in ctx.pdf.Root.get("/OutputIntents", pikepdf.Array()):
        profile = intent.get("/DestOutputProfile")
        if isinstance(profile, pikepdf.Stream):
            return profile.read_bytes()[16:20].decode("latin-1").strip()
    return ""


def _fonts(ctx: _Context) -> list[Violation]:
    """6.2.11.4: every font program embedded (Type 3 fonts are content streams)."""
    found = []
    for where, obj in ctx.dictionaries:
        if obj.get("/Type") != pikepdf.Name.Font:
            continue
        subtype = _name(obj.get("/Subtype"))
        if subtype in ("/Type3", "/Type0"):
            continue  # Type 0: its descendant font is a font dictionary of its own
        descriptor = obj.get("/FontDescriptor")
        if not isinstance(descriptor, pikepdf.Dictionary) or not any(
            key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
        ):
            found.append(
                Violation("fonts-embedded", where, f"{obj.get('/BaseFont')} is not embedded")
            )
    return found


def _actions(ctx: _Context) -> list[Violation]:
    """6.5: no JavaScript, no additional actions, only the permitted action types; 6.8: no
    embedded files (PDF/A-2 allows only PDF/A ones: attest embeds none)."""
    found = []
    names = ctx.pdf.Root.get("/Names")
    if isinstance(names, pikepdf.Dictionary):
        for key in ("/JavaScript", "/EmbeddedFiles"):
            if key in names:
                found.append(Violation("actions", f"/Names {key}", "not allowed"))
    for where, obj in ctx.dictionaries:
        if "/AA" in obj:
            found.append(Violation("actions", where, "additional actions (/AA)"))
        if "/JS" in obj:
            found.append(Violation("actions", where, "JavaScript"))
        kind = _name(obj.get("/S"))
        if kind not in ACTION_TYPES or obj.get("/Type", pikepdf.Name.Action) != "/Action":
            continue
        if kind not in ALLOWED_ACTIONS:
            found.append(Violation("actions", where, f"action {kind}"))
        elif kind == "/Named" and _name(obj.get("/N")) not in NAMED_ACTIONS:
            found.append(Violation("actions", where, f"named action {obj.get('/N')}"))
    return found


def _annotations(ctx: _Context) -> list[Violation]:
    """6.3.1: no forbidden kinds; 6.3.2: Print set, the hiding flags clear; 6.3.3: an
    appearance (only /N, a stream) unless the rectangle is empty or it is a Popup/Link."""
    found = []
    for where, annotation in ctx.annotations():
        subtype = _name(annotation.get("/Subtype"))
        if subtype in FORBIDDEN_ANNOTATIONS:
            found.append(Violation("annotation-subtype", where, f"{subtype} annotation"))
        if subtype == "/Popup":
            continue
        flags = int(annotation.get("/F", -1))
        if flags < 0:
            found.append(Violation("annotation-flags", where, "no /F"))
        elif not flags & _PRINT or flags & (_INVISIBLE | _HIDDEN | _NOVIEW | _TOGGLENOVIEW):
            found.append(Violation("annotation-flags", where, f"/F {flags}"))
        if subtype == "/Link":
            continue
        rect = [float(v) for v in annotation.get("/Rect", pikepdf.Array([0, 0, 0, 0]))]
        empty = len(rect) == 4 and rect[0] == rect[2] and rect[1] == rect[3]
        appearance = annotation.get("/AP")
        if appearance is None:
            if not empty:
                found.append(Violation("annotation-appearance", where, "no appearance"))
            continue
        keys = set(appearance.keys())
        button = annotation.get("/FT", annotation.get("/Parent", {}).get("/FT")) == "/Btn"
        if keys != {"/N"}:
            found.append(Violation("annotation-appearance", where, f"appearance keys {keys}"))
        elif not button and not isinstance(appearance.get("/N"), pikepdf.Stream):
            found.append(Violation("annotation-appearance", where, "/N is not a stream"))
    return found


def _acroform(ctx: _Context) -> list[Violation]:
    """6.4.1: NeedAppearances not true; no XFA."""
    form = ctx.pdf.Root.get("/AcroForm")
    if not isinstance(form, pikepdf.Dictionary):
        return []
    found = []
    if bool(form.get("/NeedAppearances", False)):
        found.append(Violation("acroform", "/AcroForm", "NeedAppearances is true"))
    if "/XFA" in form:
        found.append(Violation("acroform", "/AcroForm", "an XFA form"))
    return found


_CMYK_OPERATORS = {"k", "K"}


def _device_colour(ctx: _Context) -> list[Violation]:
    """6.2.4.3: DeviceCMYK only with a CMYK output intent (attest's is RGB): in images,
    colour space resources and the k/K operators of page and form content."""
    if _output_colour_space(ctx) == "CMYK":
        return []
    found = []
    for where, obj in ctx.dictionaries:
        if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image:
            if obj.get("/ColorSpace") == pikepdf.Name.DeviceCMYK:
                found.append(Violation("device-colour", where, "a DeviceCMYK image"))
    for number, page in enumerate(ctx.pdf.pages, 1):
        for operands, operator in pikepdf.parse_content_stream(page, "k K"):
            if str(operator) in _CMYK_OPERATORS:
                found.append(Violation("device-colour", f"page {number}", f"{operator} operator"))
                break
    for where, obj in ctx.dictionaries:
        if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Form:
            for operands, operator in pikepdf.parse_content_stream(obj, "k K"):
                if str(operator) in _CMYK_OPERATORS:
                    found.append(Violation("device-colour", where, f"{operator} operator"))
                    break
    return found


def _filters(ctx: _Context) -> list[Violation]:
    """6.1.7: no LZWDecode, no stream data in an external file."""
    found = []
    for where, obj in ctx.dictionaries:
        if not isinstance(obj, pikepdf.Stream):
            continue
        filters = obj.get("/Filter")
        names = list(filters) if isinstance(filters, pikepdf.Array) else [filters]
        if any(n in (pikepdf.Name.LZWDecode, pikepdf.Name("/LZW")) for n in names if n):
            found.append(Violation("filters", where, "LZWDecode"))
        if "/F" in obj or "/FFilter" in obj or "/FDecodeParms" in obj:
            found.append(Violation("filters", where, "stream in an external file"))
    return found
