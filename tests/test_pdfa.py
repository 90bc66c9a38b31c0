"""PDF/A-2b: the memo is archival when rendered, frozen, attested, sealed and archived (B-LTA);
the conformance checker (tests/support/pdfa.py) catches each rule it checks."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess  # nosec B404: pdfinfo, a fixed command
from typing import Callable

import pikepdf
import pytest

from attest.pdf import render_memo, render_report
from attest.pdf.pdfa import XMP_NAMESPACE
from tests.support import pdfa
from tests.support.signing import FROZEN_AT, ORGANISATION, reference_doc, reference_flow

pytestmark = pytest.mark.once  # no database


@pytest.fixture(scope="module")
def report_pdf() -> bytes:
    """A small conforming PDF (a one-page report) that each failing fixture breaks once."""
    return render_report(
        organisation=ORGANISATION,
        unit="Avdelning HR och utveckling",
        dnr="EÅV 2024/7",
        date=dt.date(2024, 8, 14),
        title="Rapport om arkivering",
        sections=(("Bakgrund", "En rapport som blir PDF/A-2b."),),
        created_at=dt.datetime(2024, 8, 14, 10, 15, tzinfo=dt.timezone.utc),
    )


def test_the_reference_memo_is_pdfa_when_rendered():
    rendered = render_memo(reference_doc())
    pdfa.assert_pdfa(rendered.pdf, "the rendered reference memo")
    assert pdfa.second_opinion(rendered.pdf) == []


def test_the_report_is_pdfa(report_pdf):
    pdfa.assert_pdfa(report_pdf, "the report")
    assert pdfa.second_opinion(report_pdf) == []


@pytest.mark.parametrize("stage", ["frozen", "after_first", "after_second", "final"])
def test_the_reference_memo_stays_pdfa_through_attestation_seal_and_lta(stage):
    pdfa.assert_pdfa(getattr(reference_flow(), stage), f"the reference memo ({stage})")


def test_pdfinfo_shows_the_xmp_and_the_real_creation_and_modification_dates(tmp_path):
    flow = reference_flow()
    path = tmp_path / "final.pdf"
    path.write_bytes(flow.final)
    info = subprocess.run(  # nosec B603 B607
        ["pdfinfo", "-isodates", str(path)], capture_output=True, text=True, check=True
    ).stdout
    meta = subprocess.run(  # nosec B603 B607
        ["pdfinfo", "-meta", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"CreationDate:\s+2024-08-14T15:00:00\+02", info), info
    assert FROZEN_AT == dt.datetime(2024, 8, 14, 13, 0, tzinfo=dt.timezone.utc)
    # Modified last by the archive timestamp, at the signing clock's time (not the OS's).
    archived = flow.times["archived"].astimezone(dt.timezone(dt.timedelta(hours=2)))
    assert f"ModDate:         {archived:%Y-%m-%dT%H:%M:%S}+02" in info, info
    assert "Metadata Stream: yes" in info
    assert "<pdfaid:part>2</pdfaid:part>" in meta
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in meta
    assert "<attest:Dnr>EÅV 2024/123</attest:Dnr>" in meta
    assert f"<pdfaSchema:namespaceURI>{XMP_NAMESPACE}</pdfaSchema:namespaceURI>" in meta
    assert "xmp:CreateDate>2024-08-14T15:00:00+02:00<" in meta


def test_rendering_is_deterministic():
    assert render_memo(reference_doc()).pdf == render_memo(reference_doc()).pdf


# --- each rule has a failing fixture ------------------------------------------------------


def _edit(data: bytes, change: Callable[[pikepdf.Pdf], None], **save) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        change(pdf)
        out = io.BytesIO()
        pdf.save(out, fix_metadata_version=False, **save)
    return out.getvalue()


def _xmp(*replace: tuple[bytes, bytes]) -> Callable[[pikepdf.Pdf], None]:
    def change(pdf: pikepdf.Pdf) -> None:
        packet = pdf.Root.Metadata.read_bytes()
        for old, new in replace:
            assert old in packet
            packet = packet.replace(old, new)
        pdf.Root.Metadata.write(packet)

    return change


def _annotation(**entries) -> Callable[[pikepdf.Pdf], None]:
    def change(pdf: pikepdf.Pdf) -> None:
        appearance = pdf.make_stream(b"", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form)
        appearance.BBox = [0, 0, 10, 10]
        annotation = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Square,
            Rect=[10, 10, 20, 20],
            F=4,
            AP=pikepdf.Dictionary(N=appearance),
        )
        for key, value in entries.items():
            if value is None:
                del annotation[f"/{key}"]
            else:
                annotation[f"/{key}"] = value
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(annotation)]))

    return change


def _font(pdf: pikepdf.Pdf) -> None:
    helvetica = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
    )
    helvetica.FontDescriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name.Helvetica, Flags=32
    )
    pdf.pages[0].Resources.Font.Helv = pdf.make_indirect(helvetica)


def _content(extra: bytes) -> Callable[[pikepdf.Pdf], None]:
    def change(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].contents_add(pdf.make_stream(extra))

    return change


def _lzw(pdf: pikepdf.Pdf) -> None:
    stream = pikepdf.Stream(pdf, b"")
    stream.write(b"\x80\x0b\x60\x50\x22\x0c\x0c\x85\x01", filter=pikepdf.Name.LZWDecode)
    pdf.Root.AttestTest = pdf.make_indirect(stream)


def _drop_id(data: bytes) -> bytes:
    match = re.search(rb"/ID \[<[0-9a-f]+><[0-9a-f]+>\]", data)
    assert match is not None
    return data[: match.start()] + b" " * (match.end() - match.start()) + data[match.end() :]


def _action(kind: str) -> Callable[[pikepdf.Pdf], None]:
    def change(pdf: pikepdf.Pdf) -> None:
        pdf.Root.OpenAction = pikepdf.Dictionary(
            Type=pikepdf.Name.Action, S=pikepdf.Name(kind), F=pikepdf.String("calc.exe")
        )

    return change


def _javascript(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(1)")


def _no_output_intent(pdf: pikepdf.Pdf) -> None:
    del pdf.Root["/OutputIntents"]


def _no_metadata(pdf: pikepdf.Pdf) -> None:
    del pdf.Root["/Metadata"]


def _title(pdf: pikepdf.Pdf) -> None:
    pdf.docinfo["/Title"] = "Något annat"


def _mod_date(pdf: pikepdf.Pdf) -> None:
    pdf.docinfo["/ModDate"] = "D:20260101120000+01'00'"


def _need_appearances(pdf: pikepdf.Pdf) -> None:
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=[], NeedAppearances=True)


def _embedded_file(pdf: pikepdf.Pdf) -> None:
    pdf.attachments["data.txt"] = b"data"


FAILING: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "header 2.0": ("header", lambda d: d.replace(b"%PDF-1.4", b"%PDF-2.0", 1)),
    "no binary comment": ("header", lambda d: re.sub(rb"\n%[\x80-\xff]{4}", b"\n%abcd", d, 1)),
    "encrypted": (
        "encryption",
        lambda d: _edit(d, lambda pdf: None, encryption=pikepdf.Encryption(owner="o", user="")),
    ),
    "no /ID": ("trailer-id", _drop_id),
    "no XMP": ("xmp", lambda d: _edit(d, _no_metadata)),
    "part 1": ("xmp-identification", lambda d: _edit(d, _xmp((b"part>2<", b"part>1<")))),
    "Info title differs": ("info-agrees", lambda d: _edit(d, _title)),
    "Info ModDate differs": ("info-agrees", lambda d: _edit(d, _mod_date)),
    "prefix renamed (ns0)": (
        "extension-schema",
        lambda d: _edit(
            d,
            _xmp(
                (b"xmlns:attest=", b"xmlns:ns0="),
                (b"<attest:", b"<ns0:"),
                (b"</attest:", b"</ns0:"),
            ),
        ),
    ),
    "property undeclared": (
        "extension-schema",
        lambda d: _edit(d, _xmp((b"attest:Dnr>", b"attest:Diarie>"))),
    ),
    "no output intent": ("output-intent", lambda d: _edit(d, _no_output_intent)),
    "font not embedded": ("fonts-embedded", lambda d: _edit(d, _font)),
    "JavaScript": ("actions", lambda d: _edit(d, _javascript)),
    "Launch": ("actions", lambda d: _edit(d, _action("/Launch"))),
    "embedded file": ("actions", lambda d: _edit(d, _embedded_file)),
    "annotation hidden": ("annotation-flags", lambda d: _edit(d, _annotation(F=6))),
    "annotation not printed": ("annotation-flags", lambda d: _edit(d, _annotation(F=0))),
    "annotation without /F": ("annotation-flags", lambda d: _edit(d, _annotation(F=None))),
    "no appearance": ("annotation-appearance", lambda d: _edit(d, _annotation(AP=None))),
    "file attachment": (
        "annotation-subtype",
        lambda d: _edit(d, _annotation(Subtype=pikepdf.Name.FileAttachment)),
    ),
    "NeedAppearances": ("acroform", lambda d: _edit(d, _need_appearances)),
    "DeviceCMYK": ("device-colour", lambda d: _edit(d, _content(b"0 0 0 1 k 0 0 5 5 re f"))),
    "LZW": (
        "filters",
        lambda d: _edit(
            d, _lzw, stream_decode_level=pikepdf.StreamDecodeLevel.none, compress_streams=False
        ),
    ),
}


def test_every_rule_has_a_failing_fixture():
    assert {rule for rule, _ in FAILING.values()} == set(pdfa.RULES)


@pytest.mark.parametrize("case", sorted(FAILING))
def test_the_checker_catches(report_pdf, case):
    rule, breaking = FAILING[case]
    assert pdfa.check(report_pdf) == []
    found = pdfa.check(breaking(report_pdf))
    assert rule in {v.rule for v in found}, found
