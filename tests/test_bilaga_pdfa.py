"""Bilagor are made fit for a PDF/A-2b memo at intake, or refused with a Swedish reason
(attest.pdf.conformance through attest.memos.bilagor.check_pdf): real PDFs made here, and
the memo frozen with each accepted one passes the PDF/A-2b checker (tests/support/pdfa.py);
each twin, the same file frozen without the intake, does not."""

from __future__ import annotations

import dataclasses
import io
import re
from typing import Callable

import pikepdf
import pytest

from attest.errors import Invalid
from attest.memos.bilagor import check_pdf
from attest.pdf import render_memo
from attest.pdf.document import Attachment
from tests.support import factories, pdfa
from tests.support.signing import reference_doc


def _frozen(bilaga: bytes) -> bytes:
    """The reference memo frozen with this one bilaga (as sending for attestation does)."""
    doc = dataclasses.replace(
        reference_doc(with_bilaga=False), attachments=(Attachment("Bilaga", bilaga),)
    )
    return render_memo(doc).pdf


def _edit(change: Callable[[pikepdf.Pdf], None], data: bytes | None = None, **save) -> bytes:
    with pikepdf.open(io.BytesIO(data or factories.pdf_bytes(pages=2))) as pdf:
        change(pdf)
        out = io.BytesIO()
        pdf.save(out, **save)
    return out.getvalue()


def lzw(data: bytes) -> bytes:
    """Data LZW-encoded as PDF reads it (ISO 32000-1, 7.4.4): a clear code, every byte as a
    9-bit literal code (valid LZW; the table never reaches 10-bit codes under 250 bytes),
    and the end code."""
    assert len(data) < 250
    bits = "".join(format(code, "09b") for code in (256, *data, 257))
    bits += "0" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


def _javascript(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(1)")
    script = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="this.print()")
    pdf.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=pikepdf.Array(["init", script]))
    )
    # A page's own: the catalog's stay behind when the pages are appended to the memo.
    pdf.pages[0].obj.AA = pikepdf.Dictionary(
        O=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="1")
    )


def _lzw_content(pdf: pikepdf.Pdf) -> None:
    content = pikepdf.Stream(pdf, b"")
    # An RGB rectangle, stored LZW-compressed (PDF/A forbids LZWDecode).
    content.write(lzw(b"q 0 0.4 0.8 rg 72 500 200 40 re f Q"), filter=pikepdf.Name.LZWDecode)
    pdf.pages[0].contents_add(pdf.make_indirect(content))


def _appearance(pdf: pikepdf.Pdf) -> pikepdf.Stream:
    stream = pdf.make_stream(b"0 0 1 rg 0 0 40 20 re f")
    stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
    stream.BBox = [0, 0, 40, 20]
    return stream


def _annotation(pdf: pikepdf.Pdf, subtype: str, flags: int, appearance: bool) -> None:
    annotation = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name(subtype), Rect=[72, 400, 112, 420], F=flags
    )
    if appearance:
        annotation.AP = pikepdf.Dictionary(N=_appearance(pdf))
    pdf.pages[0].obj.Annots = pikepdf.Array([pdf.make_indirect(annotation)])


def _page_xmp(pdf: pikepdf.Pdf) -> None:
    packet = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'></x:xmpmeta>"
    pdf.pages[0].obj.Metadata = pdf.make_stream(
        packet, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML
    )


def _image(pdf: pikepdf.Pdf, **entries) -> pikepdf.Stream:
    """A 1 x 1 RGB image drawn on the first page (Im1)."""
    image = pdf.make_stream(b"\x20\x60\xa0", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image)
    image.Width = image.Height = 1
    image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceRGB, 8
    for key, value in entries.items():
        image[f"/{key}"] = value
    pdf.pages[0].Resources.XObject = pikepdf.Dictionary(Im1=image)
    pdf.pages[0].contents_add(pdf.make_stream(b"q 100 0 0 100 72 400 cm /Im1 Do Q"))
    return image


def _print_hints(pdf: pikepdf.Pdf) -> None:
    alternate = pdf.make_stream(b"\x20\x60\xa0", Type=pikepdf.Name.XObject)
    alternate.Subtype, alternate.Width, alternate.Height = pikepdf.Name.Image, 1, 1
    alternate.ColorSpace, alternate.BitsPerComponent = pikepdf.Name.DeviceRGB, 8
    _image(
        pdf,
        Interpolate=True,
        Alternates=pikepdf.Array([pikepdf.Dictionary(Image=alternate, DefaultForPrinting=True)]),
    )


# name -> (the bilaga, what the handläggare is told was changed, the checker's rule that the
# memo frozen with the bilaga as sent breaks; "" when it breaks none attest checks)
NORMALISED: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "JavaScript": (lambda: _edit(_javascript), "JavaScript", "actions"),
    "LZW": (
        lambda: _edit(
            _lzw_content,
            stream_decode_level=pikepdf.StreamDecodeLevel.none,
            compress_streams=False,
        ),
        "LZW-komprimering (packad om)",
        "",  # freezing recompresses it too (attest.pdf.pdfa); the bilaga kept is fixed here
    ),
    "toggle-no-view flag": (
        lambda: _edit(lambda pdf: _annotation(pdf, "/Square", 4 | 256, True)),
        "osynliga i utskrift",
        "",  # freezing sets the flags too (attest.pdf.pdfa)
    ),
    "multimedia annotation": (
        lambda: _edit(lambda pdf: _annotation(pdf, "/Screen", 4, True)),
        "multimedia",
        "annotation-subtype",
    ),
    "PDF 2.0": (lambda: _edit(lambda pdf: None, force_version="2.0"), "PDF 2.0", "header"),
    "XMP on a page": (lambda: _edit(_page_xmp), "metadata i sidor", ""),
    # (attest's checker has no rule for these; what is gone is asserted below)
    "print hints": (lambda: _edit(_print_hints), "anvisningar för tryckerier", ""),
}


def test_print_hints_are_removed_and_the_image_kept(app_context):
    checked = check_pdf("bilaga.pdf", NORMALISED["print hints"][0]())
    with pikepdf.open(io.BytesIO(checked.data)) as pdf:
        image = pdf.pages[0].Resources.XObject.Im1
        assert "/Alternates" not in image and not bool(image.get("/Interpolate", False))
        assert image.read_bytes() == b"\x20\x60\xa0"


@pytest.mark.parametrize("case", sorted(NORMALISED))
def test_a_bilaga_is_normalised_and_the_frozen_memo_is_pdfa(app_context, case):
    build, told, rule = NORMALISED[case]
    sent = build()
    checked = check_pdf("bilaga.pdf", sent)
    assert checked.data != sent
    assert told in checked.removed and "bilaga.pdf" in checked.removed, checked.removed
    pdfa.assert_pdfa(_frozen(checked.data), f"the memo frozen with the {case} bilaga")
    # The twin: the bilaga as sent, frozen without the intake, breaks the rule.
    if rule:
        assert rule in {v.rule for v in pdfa.check(_frozen(sent))}


def test_the_lzw_stream_is_recompressed_with_the_same_content(app_context):
    checked = check_pdf("bilaga.pdf", NORMALISED["LZW"][0]())
    with pikepdf.open(io.BytesIO(checked.data)) as pdf:
        contents = pdf.pages[0].obj.Contents
        streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
        assert [s.get("/Filter") for s in streams][-1] == pikepdf.Name.FlateDecode
        assert streams[-1].read_bytes() == b"q 0 0.4 0.8 rg 72 500 200 40 re f Q"


def test_a_conformant_bilaga_is_kept_byte_for_byte(app_context):
    sent = factories.pdf_bytes(pages=2)
    checked = check_pdf("bilaga.pdf", sent)
    assert checked.data == sent and checked.removed == ""
    pdfa.assert_pdfa(_frozen(checked.data))


def _cmyk(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].contents_add(pdf.make_stream(b"q 0 0 0 1 k 72 500 200 40 re f Q"))


def _external(pdf: pikepdf.Pdf) -> None:
    image = pdf.make_stream(b"", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image)
    image.Width = image.Height = 1
    image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceRGB, 8
    image.F = pikepdf.String("bild.raw")
    pdf.pages[0].Resources.XObject = pikepdf.Dictionary(Im1=image)


# name -> (the bilaga, a phrase of the Swedish refusal, the rule it breaks when frozen as sent)
REFUSED: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "Helvetica not embedded": (
        lambda: factories.pdf_bytes(archival=False),
        "har typsnitt som inte är inbäddade (Helvetica)",
        "fonts-embedded",
    ),
    "DeviceCMYK": (lambda: _edit(_cmyk), "tryckfärger (CMYK)", "device-colour"),
    "CMYK image": (
        lambda: _edit(lambda pdf: _image(pdf, ColorSpace=pikepdf.Name.DeviceCMYK)),
        "tryckfärger (CMYK)",
        "device-colour",
    ),
    "stream in another file": (lambda: _edit(_external), "från en annan fil", "filters"),
    "annotation without appearance": (
        lambda: _edit(lambda pdf: _annotation(pdf, "/Square", 4, False)),
        "utan eget utseende",
        "annotation-appearance",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_bilaga_that_cannot_be_pdfa_is_refused_with_the_reason(app_context, case):
    build, says, rule = REFUSED[case]
    sent = build()
    with pytest.raises(Invalid, match=re.escape(says)) as refused:
        check_pdf("rapport.pdf", sent)
    assert "Bilagan rapport.pdf" in refused.value.message
    assert rule in {v.rule for v in pdfa.check(_frozen(sent))}


def test_the_refusal_names_each_unembedded_font_once(app_context):
    def two_fonts(pdf: pikepdf.Pdf) -> None:
        for key, name in (("/F8", "/Arial,Bold"), ("/F9", "/ABCDEF+Arial,Bold")):
            pdf.pages[0].Resources.Font[key] = pdf.make_indirect(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Font,
                    Subtype=pikepdf.Name.TrueType,
                    BaseFont=pikepdf.Name(name),
                )
            )

    with pytest.raises(Invalid) as refused:
        check_pdf("rapport.pdf", _edit(two_fonts))
    assert "(Arial,Bold)" in refused.value.message
    assert "Spara den som PDF/A" in refused.value.message


@pytest.mark.parametrize("where", ["indexed colour space", "transparency group"])
def test_cmyk_beyond_what_the_checker_reads_is_refused_too(app_context, where):
    def change(pdf: pikepdf.Pdf) -> None:
        if where == "transparency group":
            pdf.pages[0].obj.Group = pikepdf.Dictionary(
                S=pikepdf.Name.Transparency, CS=pikepdf.Name.DeviceCMYK
            )
        else:
            palette = pikepdf.Array([pikepdf.Name.Indexed, pikepdf.Name.DeviceCMYK, 0])
            palette.append(pikepdf.String(b"\x00\x00\x00\xff"))
            pdf.pages[0].Resources.ColorSpace = pikepdf.Dictionary(CS0=palette)

    with pytest.raises(Invalid, match=re.escape("tryckfärger (CMYK)")):
        check_pdf("rapport.pdf", _edit(change))

    # ... and a transparency group blending in RGB is kept (PDF/A-2 allows transparency).
    def rgb_group(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].obj.Group = pikepdf.Dictionary(
            S=pikepdf.Name.Transparency, CS=pikepdf.Name.DeviceRGB
        )

    sent = _edit(rgb_group)
    checked = check_pdf("rapport.pdf", sent)
    assert checked.data == sent
    pdfa.assert_pdfa(_frozen(checked.data))
