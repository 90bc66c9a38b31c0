"""The memo pages through the test client: the form, its refusals, versions, PDFs, access."""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from attest import db
from attest.memos.models import Memo, MemoVersion
from attest.memos.sections import SECTIONS
from attest.workflow.definition import State
from tests.support import factories
from tests.support.memos import edit_form, memo_form, post_form, upload
from tests.support.pdftools import flat, pdftotext

INJECTIONS = ("<b>&<img src=x>", '<a href="javascript:alert(1)">x</a>')


def count(app, model) -> int:
    with app.app_context():
        return db.session().scalar(sa.select(sa.func.count()).select_from(model))


def latest(app, memo_id: int) -> MemoVersion:
    """The latest version with its bilagor loaded (they load on use, inside a session)."""
    with app.app_context():
        version = db.session().get(Memo, memo_id).latest_version
        version.attachments
        return version


@pytest.fixture
def draft(app, people):
    """A committed draft by the handläggare with one bilaga."""
    with app.app_context():
        from attest.memos.bilagor import check_pdf

        bilaga = check_pdf(
            "rapport.pdf", factories.pdf_bytes(text="Rapportens text", title="Rapport")
        )
        return factories.memo(
            people.handlaggare, sammanfattning="Första versionen.", uploads=[bilaga]
        )


@pytest.fixture
def handlaggare(auth, people):
    auth.login(people.handlaggare.username)
    return auth


# --- The form ---------------------------------------------------------------------------


def test_the_new_form_has_its_labelled_fields(handlaggare):
    response = handlaggare.client.get("/memos/new")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Nytt tjänsteutlåtande</h1>" in page
    labels = {text for _, text in re.findall(r'<label for="([^"]+)">([^<]+)</label>', page)}
    expected = [
        "Rubrik",
        "Underrubrik",
        "Sammanträdesdatum",
        "Bilagor",
        *[label for _, label in SECTIONS],
    ]
    for label in expected:
        assert label in labels, label
    assert re.search(r'<input[^>]*id="meeting_date"[^>]*type="date"', page)
    assert re.search(
        r'<input accept="application/pdf"[^>]*id="bilagor" multiple[^>]*type="file"', page
    )
    assert 'enctype="multipart/form-data"' in page
    # Two empty subsections, each label tied to its own field.
    assert page.count(">Delavsnittets rubrik</label>") == 2
    assert page.count(">Delavsnittets text</label>") == 2
    ids = re.findall(r'\sid="([^"]+)"', page)
    main_ids = re.findall(r'\sid="([^"]+)"', page[page.index("<main") :])
    assert len(main_ids) == len(set(main_ids)), "ids are not unique"
    for for_ in re.findall(r'<label for="([^"]+)"', page):
        assert for_ in ids
    assert "Skriv en tom rad mellan styckena." in page
    assert 'value="Spara utkast"' in page and "Skicka för attest" not in page


def test_only_a_handlaggare_may_start_a_memo(app, auth, people):
    auth.login(people.avdelningschef.username)
    assert auth.client.get("/memos/new").status_code == 403
    response = auth.post("/memos/new", memo_form(), content_type="multipart/form-data")
    assert response.status_code == 403
    assert count(app, Memo) == 0


def test_the_memo_pages_need_a_login(client, draft):
    for url in ("/memos/new", f"/memos/{draft.id}", f"/memos/{draft.id}/pdf"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_post_without_csrf_token_is_refused(app, handlaggare):
    response = handlaggare.client.post(
        "/memos/new", data=memo_form(), content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert count(app, Memo) == 0


# --- Creating and reading ---------------------------------------------------------------


def test_create_a_memo_with_a_bilaga_and_read_it(app, handlaggare):
    bilaga = factories.pdf_bytes(pages=2, text="Rapportens text", title="Slutrapport")
    response = post_form(
        handlaggare,
        "/memos/new",
        memo_form(
            underrubrik="Slutrapport",
            meeting_date="2024-08-22",
            sammanfattning="Första stycket.\r\n\r\nAndra stycket.",
            **{
                "subsections-0-title": "Jämställdhetsanalys och barnrättsperspektiv",
                "subsections-0-text": "Barnens bästa.",
            },
            bilagor=[upload(bilaga, "slutrapport.pdf")],
        ),
    )
    assert response.status_code == 302
    memo_url = response.headers["Location"]
    assert re.fullmatch(r"/memos/\d+", memo_url)

    page = handlaggare.client.get(memo_url).get_data(as_text=True)
    assert "Tjänsteutlåtandet EÅV 2024/1 är skapat (version 1)." in page
    for expected in (
        "EÅV 2024/1",
        "Läxhjälp i Rågsved",
        "Slutrapport",
        "Utkast",
        "Evelyn Garate Ormazabal",
        "2024-08-22",
        '<p class="pre">Första stycket.</p>',
        '<p class="pre">Andra stycket.</p>',
        "<h4>Jämställdhetsanalys och barnrättsperspektiv</h4>",
        "Version 1, sparad 2024-08-14 09:30 av Evelyn Garate Ormazabal",
        ">Redigera<",
        ">Förhandsgranska PDF<",
        "slutrapport.pdf, 2 sidor",
    ):
        assert expected in page, expected

    bilaga_url = re.search(r'href="(/memos/\d+/bilagor/\d+)">Slutrapport<', page).group(1)
    response = handlaggare.client.get(bilaga_url)
    assert response.status_code == 200
    assert response.data == bilaga
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=slutrapport.pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_preview_is_the_pdf_with_the_texts_and_the_bilaga(app, handlaggare):
    response = post_form(
        handlaggare,
        "/memos/new",
        memo_form(
            arendet="Ärendets egen text.",
            bilagor=[upload(factories.pdf_bytes(text="Bilagans egen text"), "b.pdf")],
        ),
    )
    memo_url = response.headers["Location"]
    response = handlaggare.client.get(memo_url + "/pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        "inline; filename=Tjansteutlatande-EAV-2024-1.pdf"
    )
    text = flat(pdftotext(response.data))
    for expected in (
        "EÅV 2024/1",
        "Läxhjälp i Rågsved",
        "Ärendets egen text.",
        "Bilagans egen text sida 1",
    ):
        assert expected in text


def test_injection_is_escaped_in_html_and_literal_in_the_pdf(app, handlaggare):
    response = post_form(
        handlaggare,
        "/memos/new",
        memo_form(
            rubrik=INJECTIONS[0],
            sammanfattning=INJECTIONS[1],
            **{"subsections-0-title": INJECTIONS[1], "subsections-0-text": INJECTIONS[0]},
        ),
    )
    memo_url = response.headers["Location"]
    for url in (memo_url, memo_url + "/versions/1", memo_url + "/edit", "/"):
        page = handlaggare.client.get(url).get_data(as_text=True)
        assert "<img src=x>" not in page and "<b>&" not in page
        assert '<a href="javascript' not in page
        assert "&lt;b&gt;&amp;&lt;img src=x&gt;" in page
    text = flat(pdftotext(handlaggare.client.get(memo_url + "/pdf").data))
    assert INJECTIONS[0] in text and INJECTIONS[1] in text


def test_the_start_page_lists_my_memos(app, auth, people, draft):
    auth.login(people.handlaggare.username)
    page = auth.client.get("/").get_data(as_text=True)
    assert 'href="/memos/new">Nytt tjänsteutlåtande</a>' in page
    assert "Mina tjänsteutlåtanden" in page
    row = re.search(
        r"<tr>\s*<td><a href=\"/memos/%d\">EÅV 2024/1</a></td>(.*?)</tr>" % draft.id, page, re.S
    ).group(1)
    assert "Ett ärende" in row and "Utkast" in row and "2024-08-14 09:30" in row

    auth.logout()
    auth.login(people.avdelningschef.username)
    page = auth.client.get("/").get_data(as_text=True)
    assert "Nytt tjänsteutlåtande" not in page and "Mina tjänsteutlåtanden" not in page


# --- Editing and versions ---------------------------------------------------------------


def test_editing_saves_a_new_version_and_keeps_the_old(app, handlaggare, draft, clock):
    url = f"/memos/{draft.id}/edit"
    page = handlaggare.client.get(url).get_data(as_text=True)
    assert 'value="Ett ärende"' in page and "Första versionen." in page
    assert f'name="lock_version" type="hidden" value="{draft.lock_version}"' in page
    assert 'href="/memos/%d/bilagor/' % draft.id in page
    clock.advance(minutes=10)
    response = post_form(handlaggare, url, edit_form(page, sammanfattning="Andra versionen."))
    assert response.status_code == 302 and response.headers["Location"] == f"/memos/{draft.id}"
    page = handlaggare.client.get(f"/memos/{draft.id}").get_data(as_text=True)
    assert "Utkastet är sparat (version 2)." in page
    assert "Andra versionen." in page and "Första versionen." not in page
    assert f'href="/memos/{draft.id}/versions/1"' in page

    old = handlaggare.client.get(f"/memos/{draft.id}/versions/1").get_data(as_text=True)
    assert "Version 1, sparad 2024-08-14 09:30 av Evelyn Garate Ormazabal" in old
    assert "Första versionen." in old and "Andra versionen." not in old
    assert "Redigera" not in old

    response = handlaggare.client.get(f"/memos/{draft.id}/versions/1/pdf")
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline; filename=Tjansteutlatande-")
    assert "Första versionen." in flat(pdftotext(response.data))
    preview = handlaggare.client.get(f"/memos/{draft.id}/pdf").data
    assert "Andra versionen." in flat(pdftotext(preview))
    assert handlaggare.client.get(f"/memos/{draft.id}/versions/3").status_code == 404


def test_bilagor_are_renamed_removed_and_added_through_the_form(app, handlaggare, draft):
    url = f"/memos/{draft.id}/edit"
    page = handlaggare.client.get(url).get_data(as_text=True)
    assert ">Ordning</label>" in page and "Ta bort" in page
    response = post_form(
        handlaggare,
        url,
        edit_form(
            page,
            **{"attachments-0-title": "Omdöpt rapport", "attachments-0-position": "2"},
            bilagor=[
                upload(factories.pdf_bytes(title="Ny bilaga"), "ny.pdf"),
                upload(factories.pdf_bytes(title="Till"), "till.pdf"),
            ],
        ),
    )
    assert response.status_code == 302
    version = latest(app, draft.id)
    assert [(a.title, a.filename) for a in version.attachments] == [
        ("Omdöpt rapport", "rapport.pdf"),
        ("Ny bilaga", "ny.pdf"),
        ("Till", "till.pdf"),
    ]

    page = handlaggare.client.get(url).get_data(as_text=True)
    response = post_form(
        handlaggare,
        url,
        edit_form(page, **{"attachments-0-remove": "y", "attachments-1-position": "9"}),
    )
    assert response.status_code == 302
    assert [a.title for a in latest(app, draft.id).attachments] == ["Till", "Ny bilaga"]


def test_subsections_are_kept_with_two_empty_slots(app, handlaggare, draft):
    url = f"/memos/{draft.id}/edit"
    page = handlaggare.client.get(url).get_data(as_text=True)
    post_form(
        handlaggare,
        url,
        edit_form(
            page, **{"subsections-1-title": "Jämställdhetsanalys", "subsections-1-text": "Text."}
        ),
    )
    assert latest(app, draft.id).subsections == [("Jämställdhetsanalys", "Text.")]
    page = handlaggare.client.get(url).get_data(as_text=True)
    assert re.search(r'<input id="subsections-0-title"[^>]*value="Jämställdhetsanalys"', page)
    assert page.count(">Delavsnittets rubrik</label>") == 3


# --- Refusals: everything typed comes back, nothing is saved -----------------------------


def assert_error_at(page: str, field_id: str, message: str) -> None:
    summary = re.search(r'<div class="error-summary" role="alert".*?</div>', page, re.S)
    assert summary and message in summary.group(0)
    assert f'href="#{field_id}"' in summary.group(0)
    error = re.search(rf'<div class="field-error" id="{field_id}-error">(.*?)</div>', page, re.S)
    assert error and message in error.group(1)
    assert re.search(rf'<[^>]*aria-describedby="[^"]*{field_id}-error"[^>]*id="{field_id}"', page)


def test_a_missing_rubrik_comes_back_with_the_input(app, handlaggare):
    response = post_form(
        handlaggare,
        "/memos/new",
        memo_form(
            rubrik="  ",
            bakgrund="Min text <b>",
            **{"subsections-0-title": "Rubrik på delavsnitt"},
            bilagor=[upload(factories.pdf_bytes())],
        ),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert_error_at(page, "rubrik", "Ange en rubrik.")
    assert "Min text &lt;b&gt;</textarea>" in page
    assert 'value="Rubrik på delavsnitt"' in page
    assert "Välj filen igen" in page  # the good file was not kept either
    assert count(app, Memo) == 0


def test_text_the_pdf_cannot_print_is_refused_at_its_field(app, handlaggare):
    response = post_form(
        handlaggare,
        "/memos/new",
        memo_form(
            rubrik="Samverkan med 北京 kommun",
            bakgrund="Yıldız Wiśniewska och Dvořák skrev: ”klart” – § 3 €",
            **{"subsections-0-title": "Delavsnitt", "subsections-0-text": "Tecken: \u0d15"},
        ),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert_error_at(
        page,
        "rubrik",
        "Tecknen ”北” (U+5317), ”京” (U+4EAC) kan inte skrivas ut i PDF:en. "
        "Byt ut eller ta bort dem.",
    )
    assert_error_at(
        page,
        "subsections-0-text",
        "Tecknet ”\u0d15” (U+0D15) kan inte skrivas ut i PDF:en. Byt ut eller ta bort det.",
    )
    assert "bakgrund-error" not in page  # every character there prints
    assert 'value="Samverkan med 北京 kommun"' in page  # the input comes back to be mended
    assert count(app, Memo) == 0


def test_each_field_says_what_is_wrong_once(app, handlaggare, draft):
    url = f"/memos/{draft.id}/edit"
    page = handlaggare.client.get(url).get_data(as_text=True)
    response = post_form(
        handlaggare,
        url,
        edit_form(
            page,
            meeting_date="22/8",
            **{
                "attachments-0-title": " ",
                "attachments-0-position": "först",
                "subsections-0-text": "Text utan rubrik",
            },
        ),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert_error_at(page, "meeting_date", "Ange datumet som ÅÅÅÅ-MM-DD.")
    assert_error_at(page, "subsections-0-title", "Ett delavsnitt med text måste ha en rubrik.")
    assert_error_at(page, "attachments-0-title", "Ange bilagans titel.")
    assert_error_at(page, "attachments-0-position", "Ange bilagans plats med en siffra.")
    assert "Ange en siffra från 1 till 999." not in page
    assert 'value="22/8"' in page and 'value="först"' in page
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
    order = [
        summary.index(f'href="#{i}"')
        for i in ("meeting_date", "subsections-0-title", "attachments-0-title")
    ]
    assert order == sorted(order)
    assert latest(app, draft.id).number == 1


def test_a_bilaga_to_remove_needs_no_title(app, handlaggare, draft):
    url = f"/memos/{draft.id}/edit"
    page = handlaggare.client.get(url).get_data(as_text=True)
    response = post_form(
        handlaggare,
        url,
        edit_form(page, **{"attachments-0-title": "", "attachments-0-remove": "y"}),
    )
    assert response.status_code == 302
    assert latest(app, draft.id).attachments == []


def _bad_bilagor() -> list[tuple[str, Any, str]]:
    truncated = factories.pdf_bytes(pages=2)
    return [
        ("text", "Bara text, inte en PDF.\n".encode() * 20, "är inte en PDF"),
        ("empty", b"", "är tom"),
        ("encrypted", factories.encrypted_pdf_bytes(), "krypterad"),
        ("truncated", truncated[: len(truncated) // 3], "skadad"),
        ("oversize", factories.pdf_bytes(pages=1) + b"%" + b"x" * 40_000, "för stor"),
        ("too-many-pages", factories.pdf_bytes(pages=4), "har 4 sidor"),
        (
            "fonts-not-embedded",
            factories.pdf_bytes(pages=1, archival=False),
            "har typsnitt som inte är inbäddade (Helvetica)",
        ),
    ]


BAD_BILAGOR = _bad_bilagor()
BAD_BILAGA_IDS = [kind for kind, _, _ in BAD_BILAGOR]


@pytest.fixture
def small_bilagor(app):
    app.config.update(BILAGA_MAX_BYTES=40_000, BILAGA_MAX_PAGES=3)


@pytest.mark.parametrize(("kind", "data", "message"), BAD_BILAGOR, ids=BAD_BILAGA_IDS)
def test_a_bad_bilaga_on_a_new_memo_saves_nothing(
    app, handlaggare, small_bilagor, kind, data, message
):
    response = post_form(
        handlaggare,
        "/memos/new",
        memo_form(sammanfattning="Viktig text.", bilagor=[upload(data, "dålig.pdf")]),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert_error_at(page, "bilagor", message)
    assert "dålig.pdf" in page and "Välj filen igen" in page
    assert 'value="Läxhjälp i Rågsved"' in page and "Viktig text.</textarea>" in page
    assert count(app, Memo) == 0


@pytest.mark.parametrize(("kind", "data", "message"), BAD_BILAGOR, ids=BAD_BILAGA_IDS)
def test_a_bad_bilaga_on_an_edit_saves_nothing(
    app, handlaggare, draft, small_bilagor, kind, data, message
):
    url = f"/memos/{draft.id}/edit"
    page = handlaggare.client.get(url).get_data(as_text=True)
    response = post_form(
        handlaggare,
        url,
        edit_form(
            page,
            bakgrund="Ny bakgrund.",
            **{"attachments-0-title": "Nytt namn"},
            bilagor=[upload(factories.pdf_bytes(), "bra.pdf"), upload(data, "dålig.pdf")],
        ),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert_error_at(page, "bilagor", message)
    assert "Välj filerna igen" in page
    assert "Ny bakgrund.</textarea>" in page and 'value="Nytt namn"' in page
    version = latest(app, draft.id)
    assert version.number == 1 and version.bakgrund == ""
    assert [a.title for a in version.attachments] == ["Rapport"]


def test_a_stale_form_is_a_conflict_that_keeps_the_input(app, handlaggare, draft):
    url = f"/memos/{draft.id}/edit"
    first_tab = handlaggare.client.get(url).get_data(as_text=True)
    second_tab = handlaggare.client.get(url).get_data(as_text=True)
    response = post_form(handlaggare, url, edit_form(first_tab, arendet="Från flik ett."))
    assert response.status_code == 302
    response = post_form(handlaggare, url, edit_form(second_tab, arendet="Från flik två."))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "har ändrats sedan du öppnade det" in page
    assert re.search(r'<div class="error-summary" role="alert"', page)
    assert "Från flik två.</textarea>" in page
    version = latest(app, draft.id)
    assert version.number == 2 and version.arendet == "Från flik ett."


# --- Access -----------------------------------------------------------------------------


def memo_urls(memo_id: int, attachment_id: int) -> list[str]:
    return [
        f"/memos/{memo_id}",
        f"/memos/{memo_id}/edit",
        f"/memos/{memo_id}/versions/1",
        f"/memos/{memo_id}/pdf",
        f"/memos/{memo_id}/versions/1/pdf",
        f"/memos/{memo_id}/bilagor/{attachment_id}",
    ]


def test_another_organisations_memo_is_not_found_anywhere(app, auth, people, draft):
    with app.app_context():
        other = factories.organisation("SÖ", name="Södermalms stadsdelsförvaltning")
        stranger = factories.user(other, "handlaggare")
        attachment_id = db.session().get(Memo, draft.id).latest_version.attachments[0].id
    auth.login(stranger.username)
    for url in memo_urls(draft.id, attachment_id):
        response = auth.client.get(url)
        assert response.status_code == 404, url
        assert "Ett ärende" not in response.get_data(as_text=True)
    response = auth.post(f"/memos/{draft.id}/edit", memo_form(), content_type="multipart/form-data")
    assert response.status_code == 404
    assert latest(app, draft.id).number == 1


def test_a_colleague_reads_but_does_not_edit(app, auth, people, draft):
    with app.app_context():
        attachment_id = db.session().get(Memo, draft.id).latest_version.attachments[0].id
    auth.login(people.avdelningschef.username)
    for url in memo_urls(draft.id, attachment_id):
        expected = 403 if url.endswith("/edit") else 200
        assert auth.client.get(url).status_code == expected, url
    assert ">Redigera<" not in auth.client.get(f"/memos/{draft.id}").get_data(as_text=True)
    response = auth.post(
        f"/memos/{draft.id}/edit", memo_form(rubrik="Kapad"), content_type="multipart/form-data"
    )
    assert response.status_code == 403
    assert latest(app, draft.id).rubrik == "Ett ärende"


def test_a_sent_memo_cannot_be_edited(app, handlaggare, draft):
    with app.app_context():
        memo = db.session().get(Memo, draft.id)
        memo.state = State.ATTEST.value  # as if sent; the workflow has its own tests
        db.session().commit()
    page = handlaggare.client.get(f"/memos/{draft.id}").get_data(as_text=True)
    assert "Under attest" in page and ">Redigera<" not in page
    response = handlaggare.client.get(f"/memos/{draft.id}/edit")
    assert response.status_code == 403
    assert "skickat för attest" in response.get_data(as_text=True)


def test_a_bilaga_only_through_its_own_memo(app, auth, people, draft):
    with app.app_context():
        other = factories.memo(people.handlaggare, rubrik="Ett annat ärende")
        attachment_id = db.session().get(Memo, draft.id).latest_version.attachments[0].id
    auth.login(people.handlaggare.username)
    assert auth.client.get(f"/memos/{other.id}/bilagor/{attachment_id}").status_code == 404
    assert auth.client.get(f"/memos/{draft.id}/bilagor/{attachment_id}").status_code == 200
    assert auth.client.get(f"/memos/{draft.id + 99}").status_code == 404


def test_an_old_versions_bilaga_stays_reachable(app, handlaggare, draft):
    url = f"/memos/{draft.id}/edit"
    page = handlaggare.client.get(url).get_data(as_text=True)
    post_form(handlaggare, url, edit_form(page, **{"attachments-0-remove": "y"}))
    assert latest(app, draft.id).attachments == []
    old = handlaggare.client.get(f"/memos/{draft.id}/versions/1").get_data(as_text=True)
    href = re.search(r'href="(/memos/\d+/bilagor/\d+)"', old).group(1)
    response = handlaggare.client.get(href)
    assert response.status_code == 200
    assert len(PdfReader(BytesIO(response.data)).pages) == 1
