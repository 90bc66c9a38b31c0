"""The memo PDF: what it prints, where, in which font, reproducibly, and ready for signing."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import os
import re
import subprocess
import sys
from io import BytesIO
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter, Transformation

from attest.demo_content import (
    REFERENCE_BILAGA_SECTIONS,
    REFERENCE_BILAGA_TITLE,
    REFERENCE_MEMO,
    reference_bilaga_pdf,
    reference_document,
)
from attest.pdf import (
    Attachment,
    AttestationStep,
    MemoDocument,
    Organisation,
    Signatory,
    Subsection,
    append_attachments,
    paragraphs,
    render_memo,
    render_report,
    render_row_appearance,
)
from attest.pdf.fonts import unprintable, unprintable_message
from attest.pdf.memo import ROW_HEIGHT
from tests.support.pdftools import flat, pdftotext, poppler

pytestmark = pytest.mark.once  # uses no database: the SQLite pass runs it

ORGANISATION = Organisation(
    name="Enskede-Årsta-Vantörs stadsdelsförvaltning",
    short_name="Enskede-Årsta-Vantör",
    board="Enskede-Årsta-Vantörs stadsdelsnämnd",
    postal_address="Box 81\n121 22 Johanneshov",
    switchboard="08-508 14 000",
    website="start.stockholm",
)
DNR = "EÅV 2024/123"
DATE = datetime.date(2024, 8, 14)
STEPS = (AttestationStep("Avdelningschef"), AttestationStep("Stadsdelsdirektör"))
SIGNATORIES = (
    Signatory("Anders Carstorp", "Stadsdelsdirektör"),
    Signatory("Jenny Johansson", "Avdelningschef"),
)
INJECTIONS = (
    "<",
    "&",
    "<img src=x>",
    '<a href="javascript:alert(1)">x</a>',
    "<font size=50>",
)


def reference_bilaga() -> bytes:
    return reference_bilaga_pdf(ORGANISATION, DNR, DATE)


def reference_doc(**changes) -> MemoDocument:
    """The reference memo with the demo bilaga; keyword arguments replace fields."""
    doc = reference_document(
        ORGANISATION,
        dnr=DNR,
        date=DATE,
        attachments=(Attachment(REFERENCE_BILAGA_TITLE, reference_bilaga()),),
        steps=STEPS,
        signatories=SIGNATORIES,
        verification_url="https://attest.example/verifiera/3f2a",
    )
    return dataclasses.replace(doc, **changes)


def long_bilaga() -> bytes:
    """A Rapport of several pages, numbered on its own."""
    return render_report(
        organisation=ORGANISATION,
        unit="HR och utveckling",
        dnr="EÅV 2024/99",
        date=DATE,
        title="Lång bilaga",
        sections=REFERENCE_BILAGA_SECTIONS * 3,
    )


def long_doc() -> MemoDocument:
    """A memo of at least three pages, with two bilagor, one of them several pages long."""
    r = REFERENCE_MEMO
    longer = "\n\n".join([r["bakgrund"]] * 4)
    return reference_doc(
        bakgrund=longer,
        arendet=longer,
        attachments=(
            Attachment("Lång bilaga", long_bilaga()),
            Attachment(REFERENCE_BILAGA_TITLE, reference_bilaga()),
        ),
    )


# --- Reading the PDF back ---------------------------------------------------------------


def assert_in_order(text: str, expected: list[str]) -> None:
    position = 0
    for item in expected:
        found = text.find(flat(item), position)
        assert found >= 0, f"{item!r} missing after position {position}"
        position = found + len(flat(item))


def pages(pdf: bytes) -> list:
    return list(PdfReader(BytesIO(pdf)).pages)


def fonts_of(page) -> list[Any]:
    resources: Any = page["/Resources"]
    return [ref.get_object() for ref in resources["/Font"].values()]


def is_embedded(font: Any) -> bool:
    descriptor = font.get("/FontDescriptor")
    return descriptor is not None and "/FontFile2" in descriptor.get_object()


def memo_text(rendered) -> str:
    """The memo pages' text in drawing order (pypdf), whitespace flattened."""
    memo_pages = pages(rendered.pdf)[: rendered.memo_page_count]
    return flat(" ".join(page.extract_text() for page in memo_pages))


def memo_lines(rendered) -> set[str]:
    memo_pages = pages(rendered.pdf)[: rendered.memo_page_count]
    return {line.strip() for page in memo_pages for line in page.extract_text().splitlines()}


# --- What the memo says -----------------------------------------------------------------


def test_reference_memo_prints_every_text_in_order():
    rendered = render_memo(reference_doc())
    assert rendered.memo_page_count == 2
    text = memo_text(rendered)
    r = REFERENCE_MEMO
    first_page = pdftotext(rendered.pdf, 1, layout=True)
    assert first_page.splitlines()[0].split() == [
        "Enskede-Årsta-Vantörs",
        "Tjänsteutlåtande",
        "Sida",
        "1",
        "(2)",
    ]
    assert_in_order(first_page, ["stadsdelsförvaltning", f"Dnr {DNR}"])
    assert_in_order(first_page, ["Avdelning HR och utveckling", "2024-08-14"])
    assert_in_order(text, ["Handläggare", "Evelyn Garate Ormazabal", "Telefon: 08-50814997"])
    assert_in_order(text, ["Till", "Enskede-Årsta-Vantörs stadsdelsnämnd 2024-08-22"])
    assert_in_order(
        text,
        [
            r["rubrik"],
            r["underrubrik"],
            "Förvaltningens förslag till beslut",
            r["forslag_till_beslut"],
            "Sammanfattning",
            *paragraphs(r["sammanfattning"]),
            "Bakgrund",
            *paragraphs(r["bakgrund"]),
            "Ärendet",
            *paragraphs(r["arendet"]),
            "Ärendets beredning",
            r["arendets_beredning"],
            "Förvaltningens synpunkter och förslag",
            "Jämställdhetsanalys och barnrättsperspektiv",
            *paragraphs(r["synpunkter_subsections"][0][1]),
            "Anders Carstorp",
            "Stadsdelsdirektör",
            "Enskede-Årsta-Vantör",
            "stadsdelsförvaltning",
            "Jenny Johansson",
            "Avdelningschef",
            "Bilaga",
            REFERENCE_BILAGA_TITLE,
            "Attesterat av",
            "Detta dokument har godkänts digitalt av följande personer:",
            "Namn",
            "Datum",
        ],
    )
    assert "Bilagor" not in text
    for n in range(1, rendered.memo_page_count + 1):
        assert "Verifiering: https://attest.example/verifiera/3f2a" in pdftotext(rendered.pdf, n)


def test_bilaga_follows_the_memo_unchanged():
    bilaga = reference_bilaga()
    rendered = render_memo(reference_doc())
    all_pages = pages(rendered.pdf)
    bilaga_pages = pages(bilaga)
    assert len(all_pages) == rendered.memo_page_count + len(bilaga_pages)
    for appended, original in zip(all_pages[rendered.memo_page_count :], bilaga_pages):
        assert appended.get_contents().get_data() == original.get_contents().get_data()
        assert appended.mediabox == original.mediabox
    appended_text = [
        pdftotext(rendered.pdf, n) for n in range(rendered.memo_page_count + 1, len(all_pages) + 1)
    ]
    assert appended_text == [pdftotext(bilaga, n) for n in range(1, len(bilaga_pages) + 1)]
    assert "Rapport" in appended_text[0]
    assert "Verifiering" not in " ".join(appended_text)


def test_every_memo_page_is_numbered_of_the_memo_pages_only():
    rendered = render_memo(long_doc())
    count = rendered.memo_page_count
    assert count >= 3
    width = float(pages(rendered.pdf)[0].mediabox.width)
    height = float(pages(rendered.pdf)[0].mediabox.height)
    for n in range(1, count + 1):
        top_right = pdftotext(rendered.pdf, n, crop=(width / 2, height - 80, width, height))
        assert f"Sida {n} ({count})" in top_right
        assert "Tjänsteutlåtande" in top_right and f"Dnr {DNR}" in top_right
    long_pages = len(pages(long_bilaga()))
    assert long_pages >= 3
    for n in range(1, long_pages + 1):
        page_text = pdftotext(rendered.pdf, count + n)
        assert f"Sida {n} ({long_pages})" in page_text
        assert "Dnr EÅV 2024/99" in page_text
    last = pdftotext(rendered.pdf, count + long_pages + 1)
    assert "Sida 1 (2)" in last and "Sida" not in last.replace("Sida 1 (2)", "")


def test_several_bilagor_are_numbered_and_more_signatories_wrap():
    doc = reference_doc(
        attachments=(Attachment("Första", b""), Attachment("Andra", b"")),
        signatories=SIGNATORIES + (Signatory("Tredje Person", "Enhetschef"),),
    )
    doc = dataclasses.replace(
        doc, attachments=tuple(Attachment(a.title, reference_bilaga()) for a in doc.attachments)
    )
    rendered = render_memo(doc)
    text = memo_text(rendered)
    assert_in_order(
        text,
        [
            "Anders Carstorp",
            "Jenny Johansson",
            "Tredje Person",
            "Enhetschef",
            "Bilagor",
            "1. Första",
            "2. Andra",
            "Attesterat av",
        ],
    )
    assert len(pages(rendered.pdf)) == rendered.memo_page_count + 4


def test_short_name_missing_prints_the_organisation_name():
    doc = reference_doc(organisation=dataclasses.replace(ORGANISATION, short_name=""))
    text = memo_text(render_memo(doc))
    assert_in_order(
        text,
        [
            "Anders Carstorp",
            "Stadsdelsdirektör",
            "Enskede-Årsta-Vantörs stadsdelsförvaltning",
            "Attesterat av",
        ],
    )


def test_empty_sections_are_left_out():
    doc = reference_doc(
        bakgrund="",
        arendet="  \n\n ",
        sammanfattning="",
        synpunkter="",
        synpunkter_subsections=(Subsection("", "  "),),
        attachments=(),
        unit="",
        meeting_date=None,
        verification_url="",
    )
    rendered = render_memo(doc)
    text = memo_text(rendered)
    lines = memo_lines(rendered)
    for heading in (
        "Bakgrund",
        "Ärendet",
        "Sammanfattning",
        "Förvaltningens synpunkter och förslag",
        "Bilaga",
        "Bilagor",
    ):
        assert heading not in lines
    for absent in ("2024-08-22", "Verifiering"):
        assert absent not in text
    assert_in_order(text, ["Till", f"Enskede-Årsta-Vantörs stadsdelsnämnd {doc.rubrik}"])
    header = pdftotext(rendered.pdf, 1, layout=True).splitlines()[:4]
    assert "Avdelning" not in " ".join(header)  # no unit line under the organisation
    assert_in_order(
        text, ["Förvaltningens förslag till beslut", "Ärendets beredning", "Attesterat av"]
    )
    assert len(pages(rendered.pdf)) == rendered.memo_page_count


def test_synpunkter_intro_without_subsections_is_printed():
    doc = reference_doc(synpunkter="Inledning.\n\nAndra stycket.", synpunkter_subsections=())
    text = memo_text(render_memo(doc))
    assert_in_order(
        text,
        [
            "Förvaltningens synpunkter och förslag",
            "Inledning.",
            "Andra stycket.",
            "Anders Carstorp",
        ],
    )


def test_user_text_is_printed_literally():
    payload = " ".join(INJECTIONS)
    doc = reference_doc(
        rubrik=f"Rubrik {payload}",
        bakgrund=f"Bakgrund {payload}\nny rad",
        synpunkter_subsections=(Subsection(f"Del {payload}", f"Text {payload}"),),
        signatories=(Signatory(f"Namn {payload}", "Titel"),),
        attachments=(Attachment(f"Bilaga {payload}", reference_bilaga()),),
        handlaggare=f"Handl {payload}",
        unit=f"Enhet {payload}",
    )
    rendered = render_memo(doc)
    text = memo_text(rendered)
    layout_text = flat(pdftotext(rendered.pdf, layout=True))
    for prefix in ("Rubrik", "Bakgrund", "Del", "Text", "Namn", "Bilaga", "Handl", "Enhet"):
        assert f"{prefix} {payload}" in text
    for injection in INJECTIONS:
        assert injection in layout_text
    assert "ny rad" in text
    for page in pages(rendered.pdf)[: rendered.memo_page_count]:
        assert "/Annots" not in page  # no link came out of the <a href=...>
        assert "/XObject" not in page["/Resources"]  # and no image out of <img>


# --- Fonts, determinism, structure ------------------------------------------------------

# Names a Swedish municipality meets every day, from Polish, Czech, Turkish, Baltic, Sami,
# Icelandic, Romanian, Vietnamese and Greek spellings; Vera printed several of them blank.
NAMES = (
    "Agnieszka Wiśniewska-Żółć",
    "Antonín Dvořák",
    "Yıldız Kılıç Şahin Göğüş",
    "Jūratė Ķēniņa",
    "Áilu Niillas Ŋuvttoš",
    "Þórður Ægisson",
    "Ștefan Țurcanu",
    "Nguyễn Thị Hương",
    "Ελένη Παπαδοπούλου",
)


def test_names_in_every_latin_script_print_as_spelled():
    doc = reference_doc(
        handlaggare=NAMES[0],
        signatories=tuple(Signatory(name, "Titel") for name in NAMES),
    )
    rendered = render_memo(doc)
    text = flat(pdftotext(rendered.pdf))
    for name in NAMES:
        assert name in text
    name = f"{NAMES[2]}, Stadsdelsdirektör"
    appearance = render_row_appearance(467, 22, name, "2024-08-15", 320)
    assert flat(pdftotext(appearance, 1, crop=(1, 1, 319, 21))) == name


def test_unprintable_lists_only_what_the_font_cannot_draw():
    assert unprintable(" ".join(NAMES) + " – „citat” § € ½ ☃\n\t") == []
    assert unprintable("Plan 中文 och 中 igen \U000e0001") == ["中", "文"]
    message = unprintable_message("Plan 中文")
    assert message is not None and "”中” (U+4E2D)" in message and "PDF:en" in message
    assert unprintable_message("Åsa Öberg") is None


def test_memo_pages_use_only_embedded_fonts():
    rendered = render_memo(long_doc())
    output = subprocess.run(
        [poppler("pdffonts"), "-l", str(rendered.memo_page_count), "-"],
        input=rendered.pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()
    rows = output.splitlines()[2:]
    assert rows
    for row in rows:
        assert "Helvetica" not in row and "DejaVuSans" in row
        assert re.search(r"\s(yes)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", row), row
    for page in pages(rendered.pdf)[: rendered.memo_page_count]:
        for font in fonts_of(page):
            assert is_embedded(font), font
            assert "Helvetica" not in str(font["/BaseFont"])


def test_identical_input_gives_identical_bytes():
    first = render_memo(long_doc())
    second = render_memo(long_doc())
    assert first.pdf == second.pdf
    assert first.rows == second.rows
    bilaga = reference_bilaga()
    assert append_attachments(first.pdf, [bilaga]) == append_attachments(second.pdf, [bilaga])
    assert render_row_appearance(467, 22, "A, B", "2024-08-15", 320) == render_row_appearance(
        467, 22, "A, B", "2024-08-15", 320
    )


@pytest.mark.system
def test_identical_input_gives_identical_bytes_in_a_fresh_process():
    script = (
        "import hashlib, runpy, sys\n"
        f"ns = runpy.run_path({__file__!r})\n"
        "from attest.pdf import render_memo\n"
        "sys.stdout.write(hashlib.sha256(render_memo(ns['reference_doc']()).pdf).hexdigest())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(__file__)),
    )
    assert result.stdout == hashlib.sha256(render_memo(reference_doc()).pdf).hexdigest()


def test_merge_gives_a_fixed_id_and_keeps_the_highest_version():
    memo = render_memo(reference_doc(attachments=())).pdf
    bilaga = reference_bilaga()
    newer = bilaga.replace(b"%PDF-1.4", b"%PDF-1.7", 1)
    merged = append_attachments(memo, [newer])
    assert merged.startswith(b"%PDF-1.7")
    reader = PdfReader(BytesIO(merged))
    file_id: Any = reader.trailer["/ID"]
    assert file_id[0] == file_id[1] and len(file_id[0]) == 16
    assert append_attachments(memo, [bilaga]) != merged
    assert append_attachments(memo, []) == memo
    metadata = reader.metadata
    assert metadata is not None
    assert metadata.title == f"Tjänsteutlåtande {DNR}" and metadata.creator == "attest"


def test_paragraphs_split_on_blank_lines_only():
    assert paragraphs("  ett\ntvå \n\n\n tre \r\n \r\nfyra\n\n  ") == ["ett\ntvå", "tre", "fyra"]
    assert paragraphs("") == [] and paragraphs(" \n \n") == []


# --- The attestation rows ---------------------------------------------------------------


def test_row_rects_lie_on_their_page_highest_rank_on_top():
    doc = long_doc()
    doc = dataclasses.replace(doc, steps=doc.steps + (AttestationStep("Tredje"),))
    rendered = render_memo(doc)
    rows = rendered.rows
    assert [r.step_index for r in rows] == [0, 1, 2]
    all_pages = pages(rendered.pdf)
    for rect in rows:
        assert rect.page_index == rows[0].page_index
        assert 0 <= rect.page_index < rendered.memo_page_count
        box = all_pages[rect.page_index].mediabox
        assert float(box.left) <= rect.x1 < rect.x2 <= float(box.right)
        assert float(box.bottom) <= rect.y1 < rect.y2 <= float(box.top)
        assert rect.y2 - rect.y1 == pytest.approx(ROW_HEIGHT)
        assert 0 < rect.name_col_width < rect.x2 - rect.x1
        # The rows are empty until someone attests.
        assert pdftotext(rendered.pdf, rect.page_index + 1, crop=_inset(rect)).strip() == ""
    # Route order bottom-up: the last step (highest rank) is the top row, right under the header.
    for lower, upper in zip(rows, rows[1:]):
        assert lower.y2 == pytest.approx(upper.y1)
    top = rows[-1]
    header = pdftotext(
        rendered.pdf,
        top.page_index + 1,
        crop=_inset(dataclasses.replace(top, y1=top.y2, y2=top.y2 + ROW_HEIGHT)),
    )
    assert flat(header) == "Namn Datum"


def test_attestation_block_is_never_split_across_pages():
    seen_pages = set()
    extra = "Ytterligare en rad text som skjuter tabellen nedåt på sidan."
    for lines in range(0, 40, 3):
        rendered = render_memo(reference_doc(arendets_beredning="\n".join([extra] * lines)))
        page_index = rendered.rows[0].page_index
        assert {r.page_index for r in rendered.rows} == {page_index}
        page_text = pages(rendered.pdf)[page_index].extract_text()
        assert_in_order(
            flat(page_text),
            [
                "Attesterat av",
                "Detta dokument har godkänts digitalt " "av följande personer:",
                "Namn",
                "Datum",
            ],
        )
        seen_pages.add(page_index)
    assert len(seen_pages) > 1  # the block did move on to the next page at some point


def _inset(rect, by: float = 1.5):
    return (rect.x1 + by, rect.y1 + by, rect.x2 - by, rect.y2 - by)


def test_row_appearance_lines_up_with_its_row():
    rendered = render_memo(reference_doc())
    writer = PdfWriter(clone_from=PdfReader(BytesIO(rendered.pdf)))
    names = {
        0: ("Jenny Johansson, Avdelningschef", "2024-08-15"),
        1: ("Anders Carstorp, Stadsdelsdirektör", "2024-08-16"),
    }
    for rect in rendered.rows:
        name, date = names[rect.step_index]
        width, height = rect.x2 - rect.x1, rect.y2 - rect.y1
        appearance = render_row_appearance(width, height, name, date, rect.name_col_width)
        page = PdfReader(BytesIO(appearance)).pages[0]
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
            (width, height)
        )
        assert all(is_embedded(font) for font in fonts_of(page))
        writer.pages[rect.page_index].merge_transformed_page(
            page, Transformation().translate(rect.x1, rect.y1)
        )
    out = BytesIO()
    writer.write(out)
    filled = out.getvalue()
    for rect in rendered.rows:
        name, date = names[rect.step_index]
        split = rect.x1 + rect.name_col_width
        name_cell = dataclasses.replace(rect, x2=split)
        date_cell = dataclasses.replace(rect, x1=split)
        assert flat(pdftotext(filled, rect.page_index + 1, crop=_inset(name_cell))) == name
        assert flat(pdftotext(filled, rect.page_index + 1, crop=_inset(date_cell))) == date
    text = pdftotext(filled, rendered.rows[0].page_index + 1)
    assert_in_order(
        flat(text),
        [
            "Namn",
            "Datum",
            "Anders Carstorp, Stadsdelsdirektör",
            "2024-08-16",
            "Jenny Johansson, Avdelningschef",
            "2024-08-15",
        ],
    )


def test_too_long_row_text_is_shrunk_into_its_cell():
    name = "Förnamn Efternamn-Efternamn, " * 8
    appearance = render_row_appearance(467, 22, name, "2024-08-15", 320)
    text = flat(pdftotext(appearance, 1, crop=(1, 1, 319, 21)))
    assert text.startswith("Förnamn Efternamn-Efternamn") and text.endswith("…")
    assert flat(pdftotext(appearance, 1, crop=(321, 1, 466, 21))) == "2024-08-15"


def test_no_steps_means_no_attestation_block():
    rendered = render_memo(reference_doc(steps=()))
    assert rendered.rows == ()
    assert "Attesterat av" not in pdftotext(rendered.pdf)


def test_pyhanko_appends_a_signature_field_on_every_row():
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field, enumerate_sig_fields

    for doc in (long_doc(), reference_doc(attachments=())):
        rendered = render_memo(doc)
        PdfFileReader(BytesIO(rendered.pdf))  # parses as a normal PDF with an xref
        writer = IncrementalPdfFileWriter(BytesIO(rendered.pdf))
        for rect in rendered.rows:
            append_signature_field(
                writer,
                SigFieldSpec(
                    sig_field_name=f"attest-steg-{rect.step_index + 1}",
                    on_page=rect.page_index,
                    # pyHanko hints int but takes floats (it rounds to 4 decimals).
                    box=(rect.x1, rect.y1, rect.x2, rect.y2),  # type: ignore[arg-type]
                ),
            )
        out = BytesIO()
        writer.write(out)
        signed = out.getvalue()
        assert signed.startswith(rendered.pdf)  # incremental: the frozen bytes are untouched
        fields = {
            name: (value, ref)
            for name, value, ref in enumerate_sig_fields(PdfFileReader(BytesIO(signed)))
        }
        assert sorted(fields) == [f"attest-steg-{i + 1}" for i in range(len(rendered.rows))]
        signed_pages = pages(signed)
        for rect in rendered.rows:
            widgets = [a.get_object() for a in signed_pages[rect.page_index].get("/Annots", [])]
            rects = [[float(v) for v in w["/Rect"]] for w in widgets]
            assert [rect.x1, rect.y1, rect.x2, rect.y2] in [pytest.approx(r) for r in rects]
