"""Memos at the level of the operations: diarienummer, versions, bilagor, access, the demo."""

from __future__ import annotations

import dataclasses
import threading

import pytest
import sqlalchemy as sa

from attest import db
from attest.errors import Conflict, Forbidden, Invalid, NotFound
from attest.memos.bilagor import CheckedPdf, check_pdf
from attest.memos.models import Memo
from attest.memos.operations import (
    AttachmentEdit,
    DraftContent,
    can_edit,
    create_memo,
    get_memo,
    save_draft,
)
from attest.memos.rendering import pdf_filename, render_draft
from attest.users.models import User
from attest.workflow.definition import State
from tests.support import factories
from tests.support.pdftools import flat, pdftotext


def reload(memo: Memo) -> Memo:
    """The memo as a new request would see it."""
    db.session().expire_all()
    return db.session().get(Memo, memo.id)


# --- Diarienummer -----------------------------------------------------------------------


def test_serials_count_per_organisation_and_year(app_context, org, people, clock):
    memos = [factories.memo(people.handlaggare) for _ in range(3)]
    assert [m.dnr for m in memos] == ["EÅV 2024/1", "EÅV 2024/2", "EÅV 2024/3"]

    clock.advance(days=140)  # 2025-01-01 in Stockholm
    assert factories.memo(people.handlaggare).dnr == "EÅV 2025/1"
    assert factories.memo(people.handlaggare).dnr == "EÅV 2025/2"


def test_the_year_is_stockholms(app_context, org, people, clock):
    # 2024-12-31 23:30 UTC is already 2025 in Stockholm.
    clock.advance(days=139, hours=16)
    assert clock.now().year == 2024
    assert factories.memo(people.handlaggare).dnr_year == 2025


def test_serials_are_independent_between_organisations(app_context, org, people):
    other = factories.organisation("SÖ", name="Södermalms stadsdelsförvaltning")
    stranger = factories.user(other, "handlaggare")
    assert factories.memo(people.handlaggare).dnr == "EÅV 2024/1"
    assert factories.memo(stranger).dnr == "SÖ 2024/1"
    assert factories.memo(people.handlaggare).dnr == "EÅV 2024/2"
    assert factories.memo(stranger).dnr == "SÖ 2024/2"


@pytest.mark.postgres
def test_concurrent_creators_get_distinct_serials(app, org, people):
    creators = 10
    barrier = threading.Barrier(creators)
    serials: list[int] = []
    errors: list[BaseException] = []

    def create() -> None:
        try:
            with app.app_context():
                author = db.session().get(User, people.handlaggare.id)
                barrier.wait(timeout=10)
                memo = create_memo(author, DraftContent(rubrik="Samtidigt"))
                db.session().commit()
                serials.append(memo.dnr_serial)
        except BaseException as exc:  # reported below, with the thread's own traceback
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(creators)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(serials) == list(range(1, creators + 1))


def test_only_a_handlaggare_creates_memos(app_context, people):
    with pytest.raises(Forbidden):
        create_memo(people.avdelningschef, DraftContent(rubrik="Inte min sak"))
    assert db.session().scalar(sa.select(sa.func.count()).select_from(Memo)) == 0


# --- Content and versions ---------------------------------------------------------------


def test_a_rubrik_is_required(app_context, people):
    with pytest.raises(Invalid, match="Ange en rubrik"):
        create_memo(people.handlaggare, DraftContent(rubrik="  \r\n "))


def test_a_subsection_with_text_needs_a_title(app_context, people):
    with pytest.raises(Invalid, match="rubrik"):
        create_memo(
            people.handlaggare,
            DraftContent(rubrik="Ärende", subsections=[("", "Text utan rubrik")]),
        )


def test_text_the_pdf_cannot_print_is_refused_by_the_domain_too(app_context, people):
    for content in (
        DraftContent(rubrik="Ärende", underrubrik="Plan 中"),
        DraftContent(rubrik="Ärende", bakgrund="Text \u0d15"),
        DraftContent(rubrik="Ärende", subsections=[("Del 中", "Text")]),
    ):
        with pytest.raises(Invalid, match="kan inte skrivas ut i PDF:en"):
            create_memo(people.handlaggare, content)
    assert db.session().scalar(sa.select(sa.func.count()).select_from(Memo)) == 0
    upload = check_pdf("bilaga.pdf", factories.pdf_bytes())
    memo = factories.memo(people.handlaggare, bakgrund="Yıldız Dvořák", uploads=[upload])
    attachment = memo.latest_version.attachments[0]
    with pytest.raises(Invalid, match="U\\+4E2D"):
        save_draft(
            memo,
            people.handlaggare,
            DraftContent(rubrik="Ärende"),
            edits=[AttachmentEdit(attachment_id=attachment.id, title="中", position=1)],
            expected_lock_version=memo.lock_version,
        )


def test_a_bilaga_title_from_the_file_keeps_only_what_prints(app_context, people):
    data = factories.pdf_bytes(title="Rapport 报告 2024")
    memo = factories.memo(people.handlaggare, uploads=[check_pdf("rapport.pdf", data)])
    assert reload(memo).latest_version.attachments[0].title == "Rapport 2024"
    only_cjk = check_pdf("rapport.pdf", factories.pdf_bytes(title="报告"))
    memo = factories.memo(people.handlaggare, uploads=[only_cjk])
    assert reload(memo).latest_version.attachments[0].title == "Bilaga"


def test_each_save_is_a_new_version_and_the_old_ones_stay(app_context, people, clock):
    memo = factories.memo(people.handlaggare, sammanfattning="Första\r\n\r\nstycket")
    clock.advance(minutes=5)
    version = save_draft(
        memo,
        people.handlaggare,
        DraftContent(rubrik="Ärende", sammanfattning="Andra"),
        expected_lock_version=memo.lock_version,
    )
    db.session().commit()
    memo = reload(memo)
    assert version.number == 2
    assert [v.number for v in memo.versions] == [1, 2]
    assert memo.version(1).sammanfattning == "Första\n\nstycket"
    assert memo.latest_version.sammanfattning == "Andra"
    assert memo.updated_at == clock.now()
    assert memo.version(1).created_at < memo.version(2).created_at


def test_a_stale_lock_version_is_a_conflict_and_saves_nothing(app_context, people):
    memo = factories.memo(people.handlaggare)
    opened_at = memo.lock_version
    save_draft(
        memo,
        people.handlaggare,
        DraftContent(rubrik="Från flik ett"),
        expected_lock_version=opened_at,
    )
    db.session().commit()
    with pytest.raises(Conflict):
        save_draft(
            memo,
            people.handlaggare,
            DraftContent(rubrik="Från flik två"),
            expected_lock_version=opened_at,
        )
    db.session().rollback()
    memo = reload(memo)
    assert [v.rubrik for v in memo.versions] == ["Ett ärende", "Från flik ett"]


def test_only_the_author_edits_and_only_a_draft(app_context, org, people):
    memo = factories.memo(people.handlaggare)
    colleague = factories.user(org, "handlaggare")
    assert can_edit(people.handlaggare, memo)
    assert not can_edit(colleague, memo)
    with pytest.raises(Forbidden):
        save_draft(memo, colleague, DraftContent(rubrik="Kapat"))

    memo.state = State.ATTEST.value  # as if sent; the workflow engine is tested on its own
    db.session().commit()
    assert not can_edit(people.handlaggare, memo)
    with pytest.raises(Invalid, match="skickat för attest"):
        save_draft(memo, people.handlaggare, DraftContent(rubrik="För sent"))


def test_another_organisations_memo_is_not_found(app_context, org, people):
    memo = factories.memo(people.handlaggare)
    other = factories.organisation("SÖ", name="Södermalms stadsdelsförvaltning")
    stranger = factories.user(other, "avdelningschef")
    assert get_memo(memo.id, people.avdelningschef) is memo
    with pytest.raises(NotFound):
        get_memo(memo.id, stranger)
    with pytest.raises(NotFound):
        get_memo(memo.id + 1, people.handlaggare)


def test_my_memos_newest_change_first(app_context, people, clock):
    from attest.workflow.worklists import my_memos

    first = factories.memo(people.handlaggare, rubrik="Först")
    clock.advance(minutes=1)
    second = factories.memo(people.handlaggare, rubrik="Sedan")
    clock.advance(minutes=1)
    save_draft(first, people.handlaggare, DraftContent(rubrik="Först, ändrad"))
    db.session().commit()
    assert [m.id for m in my_memos(people.handlaggare).items] == [first.id, second.id]
    assert my_memos(people.avdelningschef).items == []


# --- Bilagor ----------------------------------------------------------------------------


def checked(name: str = "bilaga.pdf", **kwargs) -> CheckedPdf:
    return check_pdf(name, factories.pdf_bytes(**kwargs))


def test_a_real_pdf_is_accepted_with_its_title_and_pages(app_context):
    result = check_pdf(
        "C:\\Users\\evelyn\\Slutrapport.pdf", factories.pdf_bytes(pages=3, title="Slutrapport IOP")
    )
    assert (result.filename, result.page_count, result.title) == (
        "Slutrapport.pdf",
        3,
        "Slutrapport IOP",
    )


def truncated_pdf() -> bytes:
    data = factories.pdf_bytes(pages=2)
    return data[: len(data) // 3]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (lambda: b"", "är tom"),
        (lambda: "Det här är text.\n".encode() * 50, "är inte en PDF"),
        (lambda: factories.encrypted_pdf_bytes(), "krypterad"),
        (truncated_pdf, "skadad"),
    ],
    ids=["empty", "text", "encrypted", "truncated"],
)
def test_a_bad_bilaga_is_refused_with_the_reason(app_context, data, message):
    with pytest.raises(Invalid, match=message) as refused:
        check_pdf("bilaga.pdf", data())
    assert "bilaga.pdf" in refused.value.message


def test_bilaga_size_and_pages_are_bounded(app, app_context):
    app.config.update(BILAGA_MAX_BYTES=40_000, BILAGA_MAX_PAGES=3)
    with pytest.raises(Invalid, match="för stor"):
        check_pdf("stor.pdf", factories.pdf_bytes(pages=3) + b"\n%" + b"x" * 40_000)
    with pytest.raises(Invalid, match="4 sidor"):
        check_pdf("lang.pdf", factories.pdf_bytes(pages=4))


def test_bilagor_are_renamed_reordered_removed_and_added(app_context, people):
    memo = create_memo(
        people.handlaggare,
        DraftContent(rubrik="Ärende"),
        [checked("a.pdf", title="A"), checked("b.pdf", title="B"), checked("c.pdf", title="C")],
    )
    db.session().commit()
    a, b, c = memo.latest_version.attachments
    save_draft(
        memo,
        people.handlaggare,
        DraftContent(rubrik="Ärende"),
        edits=[
            AttachmentEdit(a.id, "A, omdöpt", 3),
            AttachmentEdit(b.id, "B", 2, remove=True),
            AttachmentEdit(c.id, "C", 1),
        ],
        uploads=[checked("d.pdf", title="D", pages=2)],
        expected_lock_version=memo.lock_version,
    )
    db.session().commit()
    memo = reload(memo)
    latest = memo.latest_version.attachments
    assert [(x.position, x.title, x.filename) for x in latest] == [
        (1, "C", "c.pdf"),
        (2, "A, omdöpt", "a.pdf"),
        (3, "D", "d.pdf"),
    ]
    assert latest[2].page_count == 2
    # Version 1 still has its three, unchanged, and the bytes are stored once.
    assert [x.title for x in memo.version(1).attachments] == ["A", "B", "C"]
    assert latest[1].blob_sha256 == a.blob_sha256


# --- The PDF ----------------------------------------------------------------------------


def test_the_draft_pdf_has_the_texts_and_the_bilaga(app_context, people):
    bilaga = check_pdf("rapport.pdf", factories.pdf_bytes(text="Rapportens egen text"))
    memo = create_memo(
        people.handlaggare,
        DraftContent(
            rubrik="Läxhjälp i Rågsved",
            sammanfattning="Ett stycke.\n\nEtt till.",
            subsections=[("Jämställdhetsanalys och barnrättsperspektiv", "Barnens bästa.")],
        ),
        [dataclasses.replace(bilaga, title="Slutrapport")],
    )
    db.session().commit()
    text = flat(pdftotext(render_draft(memo).pdf))
    for expected in (
        "EÅV 2024/1",
        "Läxhjälp i Rågsved",
        "Ett stycke.",
        "Ett till.",
        "Jämställdhetsanalys och barnrättsperspektiv",
        "Barnens bästa.",
        "Slutrapport",
        "Rapportens egen text sida 1",
    ):
        assert expected in text
    assert pdf_filename(memo) == "Tjansteutlatande-EAV-2024-1.pdf"


# --- The demo ---------------------------------------------------------------------------


def test_demo_creates_the_reference_memo_once(app, runner):
    from attest.demo_content import REFERENCE_BILAGA_TITLE, REFERENCE_MEMO

    for _ in range(2):
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        memos = db.session().scalars(sa.select(Memo)).all()
        assert len(memos) == 1
        memo = memos[0]
        latest = memo.latest_version
        assert (memo.author.username, memo.state, memo.dnr) == ("evelyn", "utkast", "EÅV 2024/1")
        assert latest.rubrik == REFERENCE_MEMO["rubrik"]
        assert latest.subsections == REFERENCE_MEMO["synpunkter_subsections"]
        assert [a.title for a in latest.attachments] == [REFERENCE_BILAGA_TITLE]
        text = flat(pdftotext(render_draft(memo).pdf))
        assert REFERENCE_MEMO["underrubrik"] in text and "Beskrivning av verksamheten" in text


def test_uploaded_file_names_cannot_traverse_paths():
    from attest.memos.bilagor import safe_filename

    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("..\\..\\windows\\system32\\x.pdf") == "x.pdf"
    assert safe_filename('a"b<c>|d*?:.pdf') == "abcd.pdf"
    assert safe_filename("\x00\n") == "bilaga.pdf"
    assert len(safe_filename("x" * 1000 + ".pdf")) == 255


def test_a_bilaga_whose_page_size_is_not_numbers_is_refused(app_context):
    """A MediaBox of names instead of numbers: refused with the page named, not a 500."""
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, NameObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(factories.pdf_bytes(pages=2))))
    writer.pages[1][NameObject("/MediaBox")] = ArrayObject(
        [NameObject("/a"), NameObject("/b"), NameObject("/c"), NameObject("/d")]
    )
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(Invalid) as refused:
        check_pdf("konstig.pdf", out.getvalue())
    assert "konstig.pdf" in str(refused.value) and "2" in str(refused.value)
