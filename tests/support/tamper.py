"""What a forger can do to an attested PDF: each function takes the PDF's bytes and returns
forged bytes, the way an attacker with an editor, pypdf or pyHanko would make them.

The verification tests (tests/test_verify.py, tests/test_verify_web.py) apply each to a
genuine attested PDF and assert the verifier names the check that catches it. Forgeries
that need keys (a colleague's own key, a namesake's certificate, another CA, a revoked
certificate, a lying TSA, a fresh document timestamp) are built with
tests/support/signing.py.
"""

from __future__ import annotations

import re
from io import BytesIO
from typing import Callable

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.signers.cms_embedder import PdfCMSEmbedder, SigIOSetup, SigObjSetup
from pyhanko.sign.signers.pdf_byterange import SignatureObject

Tamper = Callable[[bytes], bytes]

_EOF = re.compile(rb"%%EOF\r?\n?")


def _write(writer: IncrementalPdfFileWriter) -> bytes:
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _helvetica_resources() -> generic.DictionaryObject:
    font = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Font"),
            pdf_name("/Subtype"): pdf_name("/Type1"),
            pdf_name("/BaseFont"): pdf_name("/Helvetica"),
        }
    )
    return generic.DictionaryObject(
        {pdf_name("/Font"): generic.DictionaryObject({pdf_name("/FForge"): font})}
    )


def _text_content(text: str, x: int = 80, y: int = 420) -> bytes:
    # A white box over what was there, and new text on it: the classic forgery.
    encoded = text.encode("latin-1")
    return (
        b"q 1 1 1 rg %d %d 460 60 re f Q BT /FForge 12 Tf %d %d Td (" % (x - 10, y - 20, x, y)
        + encoded
        + b") Tj ET"
    )


def _sig_field(reader: PdfFileReader, field_name: str) -> generic.IndirectObject:
    [(_, _, field_ref)] = list(enumerate_sig_fields(reader, with_name=field_name))
    return field_ref


# --- Bytes --------------------------------------------------------------------------------


_COMPRESSED_STREAM = re.compile(
    rb"/Length (\d+)[^>]*/FlateDecode[^>]*>>\s*stream\r?\n|"
    rb"/FlateDecode[^>]*/Length (\d+)[^>]*>>\s*stream\r?\n"
)


def flip_byte(pdf: bytes, offset: int) -> bytes:
    """One bit flipped at offset."""
    forged = bytearray(pdf)
    forged[offset] ^= 0x01
    return bytes(forged)


def flip_byte_in_first_revision(pdf: bytes) -> bytes:
    """A bit flipped inside page content of the original rendering, which every signature covers."""
    first_end = _EOF.search(pdf).end()  # type: ignore[union-attr]
    # Inside the data of a compressed stream (never "endstream" or a dictionary): the file
    # still parses, and only the signed bytes' digests can tell.
    for match in _COMPRESSED_STREAM.finditer(pdf, first_end // 2, first_end):
        length = int(match.group(1) or match.group(2))
        if length > 80:
            return flip_byte(pdf, match.end() + 40)
    raise AssertionError("no compressed stream in the first revision")


def zero_signature_value(field_name: str) -> Tamper:
    """The signature's /Contents (outside the signed ranges) overwritten with zeros in place."""

    def tamper(pdf: bytes) -> bytes:
        reader = PdfFileReader(BytesIO(pdf))
        sig = _sig_field(reader, field_name).get_object()["/V"]
        byte_range = [int(v) for v in sig["/ByteRange"]]
        hole_start, hole_end = byte_range[1] + 1, byte_range[2] - 1  # inside < and >
        forged = bytearray(pdf)
        forged[hole_start:hole_end] = b"0" * (hole_end - hole_start)
        return bytes(forged)

    return tamper


def append_bytes(extra: bytes = b"\n% appended by hand\n") -> Tamper:
    """Bytes appended after the final %%EOF, outside every revision."""

    def tamper(pdf: bytes) -> bytes:
        return pdf + extra

    return tamper


def truncate_to_revision(revision: int) -> Tamper:
    """The file cut after its revision-th %%EOF (0-based): an earlier state of the document."""

    def tamper(pdf: bytes) -> bytes:
        ends = [m.end() for m in _EOF.finditer(pdf)]
        return pdf[: ends[revision]]

    return tamper


def drop_last_revision(pdf: bytes) -> bytes:
    """The file cut at the end of its second-to-last revision."""
    ends = [m.end() for m in _EOF.finditer(pdf)]
    return pdf[: ends[-2]]


def cut_in_half(pdf: bytes) -> bytes:
    """Half the file: what a broken download or a full disk leaves."""
    return pdf[: len(pdf) // 2]


# --- Incremental updates (what pyHanko or an editor appends) -------------------------------


def add_text_to_page(page_index: int, text: str) -> Tamper:
    """New text painted on a page in an incremental update after the last signature."""

    def tamper(pdf: bytes) -> bytes:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        stream = writer.add_object(generic.StreamObject(stream_data=_text_content(text)))
        writer.add_stream_to_page(page_index, stream, resources=_helvetica_resources())
        return _write(writer)

    return tamper


def add_page(text: str = "Tillägg: beslutet gäller även 2025.") -> Tamper:
    """A new last page in an incremental update."""

    def tamper(pdf: bytes) -> bytes:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        content = writer.add_object(generic.StreamObject(stream_data=_text_content(text)))
        page = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Page"),
                pdf_name("/MediaBox"): generic.ArrayObject(
                    [generic.NumberObject(n) for n in (0, 0, 595, 842)]
                ),
                pdf_name("/Resources"): _helvetica_resources(),
                pdf_name("/Contents"): content,
            }
        )
        writer.insert_page(page)
        return _write(writer)

    return tamper


def shadow_page_content(page_index: int, text: str) -> Tamper:
    """A later revision that redefines a page's content stream object under its old number.

    The page dictionary is untouched; a viewer shows the shadow content, the signed
    revision keeps the original bytes.
    """

    def tamper(pdf: bytes) -> bytes:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        page_ref, _ = writer.find_page_for_modification(page_index)
        contents = page_ref.get_object().raw_get("/Contents")
        if isinstance(contents, generic.ArrayObject):
            contents = contents[0]
        assert isinstance(contents, generic.IndirectObject)
        shadow = generic.StreamObject(stream_data=_text_content(text, 72, 700))
        writer.mark_update(contents)  # then swap what it will write for the shadow
        writer.objects[(contents.generation, contents.idnum)] = shadow
        return _write(writer)

    return tamper


def redraw_appearance(field_name: str, text: str) -> Tamper:
    """The signed row's visible appearance replaced by one showing another name."""

    def tamper(pdf: bytes) -> bytes:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        field_ref = _sig_field(writer.prev, field_name)
        widget = field_ref.get_object()
        x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
        stream = generic.StreamObject(
            {
                pdf_name("/Type"): pdf_name("/XObject"),
                pdf_name("/Subtype"): pdf_name("/Form"),
                pdf_name("/BBox"): generic.ArrayObject(
                    [generic.FloatObject(v) for v in (0, 0, x2 - x1, y2 - y1)]
                ),
                pdf_name("/Resources"): _helvetica_resources(),
            },
            stream_data=b"BT /FForge 10 Tf 4 4 Td (" + text.encode("latin-1") + b") Tj ET",
        )
        widget_dict = writer.get_object(field_ref.reference)
        widget_dict[pdf_name("/AP")] = generic.DictionaryObject(
            {pdf_name("/N"): writer.add_object(stream)}
        )
        writer.mark_update(field_ref)
        return _write(writer)

    return tamper


def empty_field(field_name: str) -> Tamper:
    """The signature taken out of its field (/V deleted): the row looks unsigned again."""

    def tamper(pdf: bytes) -> bytes:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        field_ref = _sig_field(writer.prev, field_name)
        field = writer.get_object(field_ref.reference)
        del field["/V"]
        writer.mark_update(field_ref)
        return _write(writer)

    return tamper


def remove_field(field_name: str) -> Tamper:
    """The signature field with its signature removed from the form and the page."""

    def tamper(pdf: bytes) -> bytes:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        acroform = writer.root["/AcroForm"]
        fields = acroform["/Fields"]
        [target] = [ref for ref in fields if ref.get_object().get("/T") == field_name]
        fields.remove(target)
        writer.update_container(fields)
        page_ref = target.get_object()["/P"]
        annots = page_ref.get_object()["/Annots"]
        annots.remove(target)
        writer.update_container(annots)
        return _write(writer)

    return tamper


def replace_dss(pdf: bytes) -> bytes:
    """The validation data (DSS) replaced by an empty dictionary after the archive timestamp."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    writer.root[pdf_name("/DSS")] = writer.add_object(
        generic.DictionaryObject(
            {
                pdf_name("/Certs"): generic.ArrayObject(),
                pdf_name("/CRLs"): generic.ArrayObject(),
            }
        )
    )
    writer.update_root()
    return _write(writer)


def embed_signature(field_name: str, cms_der: bytes, md_algorithm: str = "sha256") -> Tamper:
    """A CMS signature taken from elsewhere, put into field_name as if signed here."""

    def tamper(pdf: bytes) -> bytes:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        embedder = PdfCMSEmbedder().write_cms(field_name, writer, existing_fields_only=True)
        next(embedder)
        embedder.send(
            SigObjSetup(sig_placeholder=SignatureObject(bytes_reserved=len(cms_der) * 2 + 64))
        )
        _, output = embedder.send(SigIOSetup(md_algorithm=md_algorithm, in_place=False))
        embedder.send(cms_der)
        return output.getvalue()

    return tamper


def signature_contents(pdf: bytes, field_name: str) -> bytes:
    """The DER CMS object of the signature in field_name (trailing padding removed)."""
    from asn1crypto import cms

    reader = PdfFileReader(BytesIO(pdf))
    raw = _sig_field(reader, field_name).get_object()["/V"]["/Contents"]
    return cms.ContentInfo.load(bytes(raw).rstrip(b"\x00")).dump()


# --- Rewrites (what pypdf makes of a file) -------------------------------------------------


def _pypdf_rewrite(pdf: bytes, pages: Callable[[list], list]) -> bytes:
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(BytesIO(pdf))
    writer = PdfWriter(clone_from=reader)
    kept = pages(list(range(len(reader.pages))))
    for index in sorted(set(range(len(reader.pages))) - set(kept), reverse=True):
        writer.remove_page(index)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def remove_page(page_index: int) -> Tamper:
    """A page removed and the file saved again with pypdf (signatures and form kept)."""

    def tamper(pdf: bytes) -> bytes:
        return _pypdf_rewrite(pdf, lambda pages: [p for p in pages if p != page_index])

    return tamper


def replace_pages_after(memo_page_count: int, replacement_pdf: bytes) -> Tamper:
    """Every page after the memo (the bilagor) replaced by another PDF's pages, via pypdf."""

    def tamper(pdf: bytes) -> bytes:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(BytesIO(pdf)))
        while len(writer.pages) > memo_page_count:
            writer.remove_page(len(writer.pages) - 1)
        for page in PdfReader(BytesIO(replacement_pdf)).pages:
            writer.add_page(page)
        out = BytesIO()
        writer.write(out)
        return out.getvalue()

    return tamper


def encrypt(password: str = "hemligt") -> Tamper:
    """The file saved encrypted (AES-256) with pypdf."""

    def tamper(pdf: bytes) -> bytes:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(BytesIO(pdf)))
        writer.encrypt(user_password="", owner_password=password, algorithm="AES-256")
        out = BytesIO()
        writer.write(out)
        return out.getvalue()

    return tamper


def not_a_pdf(_: bytes) -> bytes:
    """A Word document renamed to .pdf (its first bytes: a ZIP archive)."""
    return b"PK\x03\x04\x14\x00\x06\x00" + b"[Content_Types].xml" + bytes(200)


def empty(_: bytes) -> bytes:
    return b""


# --- After the closing seal (each then re-archived with a fresh document timestamp) -------


def prepend_bytes(extra: bytes = b"%!PS-Adobe-3.0\n") -> Tamper:
    """Bytes put before %PDF (a polyglot, or a mail gateway's banner)."""

    def tamper(pdf: bytes) -> bytes:
        return extra + pdf

    return tamper


def change_info(**entries: str) -> Tamper:
    """The document information (title, subject ...) replaced in an incremental update."""

    def tamper(pdf: bytes) -> bytes:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        info_ref = writer.trailer.raw_get("/Info")
        info = info_ref.get_object()
        for key, value in entries.items():
            info[pdf_name(f"/{key}")] = generic.TextStringObject(value)
        writer.mark_update(info_ref)
        return _write(writer)

    return tamper


XMP = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>'
    "</rdf:Description></rdf:RDF></x:xmpmeta>"
    '<?xpacket end="w"?>'
)


def change_xmp(title: str = "Beslut: avslag") -> Tamper:
    """XMP metadata (a title that contradicts the memo) added to the catalog."""

    def tamper(pdf: bytes) -> bytes:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        stream = generic.StreamObject(
            {
                pdf_name("/Type"): pdf_name("/Metadata"),
                pdf_name("/Subtype"): pdf_name("/XML"),
            },
            stream_data=XMP.format(title=title).encode("utf-8"),
        )
        writer.root[pdf_name("/Metadata")] = writer.add_object(stream)
        writer.update_root()
        return _write(writer)

    return tamper


def add_annotation(page_index: int, text: str, subtype: str = "/FreeText") -> Tamper:
    """A comment (a free-text or sticky-note annotation) put on a page."""

    def tamper(pdf: bytes) -> bytes:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        page_ref, _ = writer.find_page_for_modification(page_index)
        annotation = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name(subtype),
                pdf_name("/Rect"): generic.ArrayObject(
                    [generic.NumberObject(n) for n in (72, 600, 400, 640)]
                ),
                pdf_name("/Contents"): generic.TextStringObject(text),
                pdf_name("/DA"): generic.TextStringObject("/Helv 12 Tf 0 g"),
            }
        )
        ref = writer.add_object(annotation)
        page = page_ref.get_object()
        annots = page.get("/Annots")
        if isinstance(annots, generic.ArrayObject):
            annots.append(ref)
            writer.update_container(annots)
        else:
            page[pdf_name("/Annots")] = generic.ArrayObject([ref])
        writer.update_container(page)
        return _write(writer)

    return tamper


# --- A row drawn by a forger ------------------------------------------------------------


def image_row(width: float, height: float, shown: str, hidden: str) -> bytes:
    """A row appearance that shows ``shown`` as a picture over an invisible text layer that
    says ``hidden`` (what a copy-paste or a screen reader would read): a one-page PDF."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    scale = 4
    picture = Image.new("RGB", (int(width * scale), int(height * scale)), "white")
    ImageDraw.Draw(picture).text((6 * scale, 6 * scale), shown, fill="black")
    out = BytesIO()
    canvas = Canvas(out, pagesize=(width, height), invariant=1)
    text = canvas.beginText(6, 6)
    text.setTextRenderMode(3)  # invisible, like an OCR layer
    text.setFont("Helvetica", 10)
    text.textOut(hidden)
    canvas.drawText(text)
    canvas.drawImage(ImageReader(picture), 0, 0, width=width, height=height)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def redefine_font(page_index: int) -> Tamper:
    """A later revision that redefines a page's font resource object under its old number:
    the signed bytes stay, the text is drawn with other glyphs."""

    def tamper(pdf: bytes) -> bytes:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        page_ref, _ = writer.find_page_for_modification(page_index)
        fonts = page_ref.get_object()["/Resources"].raw_get("/Font")
        assert isinstance(fonts, generic.IndirectObject)
        shadow = generic.DictionaryObject(
            {k: v for k, v in fonts.get_object().items()}  # the same names ...
        )
        for name in list(shadow):
            shadow[name] = _helvetica_resources()["/Font"]["/FForge"]  # ... other glyphs
        writer.mark_update(fonts)
        writer.objects[(fonts.generation, fonts.idnum)] = shadow
        return _write(writer)

    return tamper


def copy_field_value(source: str, target: str) -> Tamper:
    """An unsigned field given the value of a signed one: the row looks signed."""

    def tamper(pdf: bytes) -> bytes:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        value = _sig_field(writer.prev, source).get_object().raw_get("/V")
        field_ref = _sig_field(writer.prev, target)
        field = writer.get_object(field_ref.reference)
        field[pdf_name("/V")] = value
        writer.mark_update(field_ref)
        return _write(writer)

    return tamper


def fill_field_by_hand(field_name: str, appearance_refers_to_page: bool = False) -> Tamper:
    """A row filled as a signing tool would (a new signature dictionary, a new appearance),
    but with a placeholder signature: the shape of the update, not a valid signature.
    appearance_refers_to_page: the appearance's resources also name the first page."""

    def tamper(pdf: bytes) -> bytes:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        field_ref = _sig_field(writer.prev, field_name)
        resources = _helvetica_resources()
        if appearance_refers_to_page:
            page_ref, _ = writer.find_page_for_modification(0)
            resources[pdf_name("/XObject")] = generic.DictionaryObject(
                {pdf_name("/Sida"): generic.IndirectObject(page_ref.idnum, 0, writer)}
            )
        appearance = writer.add_object(
            generic.StreamObject(
                {
                    pdf_name("/Type"): pdf_name("/XObject"),
                    pdf_name("/Subtype"): pdf_name("/Form"),
                    pdf_name("/BBox"): generic.ArrayObject(
                        [generic.NumberObject(n) for n in (0, 0, 100, 20)]
                    ),
                    pdf_name("/Resources"): resources,
                },
                stream_data=b"BT /FForge 10 Tf 4 4 Td (Anders Carstorp) Tj ET",
            )
        )
        value = writer.add_object(
            generic.DictionaryObject(
                {
                    pdf_name("/Type"): pdf_name("/Sig"),
                    pdf_name("/Filter"): pdf_name("/Adobe.PPKLite"),
                    pdf_name("/SubFilter"): pdf_name("/ETSI.CAdES.detached"),
                    pdf_name("/ByteRange"): generic.ArrayObject(
                        [generic.NumberObject(n) for n in (0, 10, 20, 10)]
                    ),
                    pdf_name("/Contents"): generic.ByteStringObject(b"\x00" * 16),
                }
            )
        )
        field = writer.get_object(field_ref.reference)
        field[pdf_name("/V")] = value
        field[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): appearance})
        writer.mark_update(field_ref)
        return _write(writer)

    return tamper
