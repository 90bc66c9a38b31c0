"""Languages: Swedish by default, English when chosen; the catalogue complete and compiled.

The browser side (the switch in the header, lang="en", axe on English pages) is in
tests/e2e/test_languages.py.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from attest import i18n
from tests.support.memos import sent_memo
from tests.support.web import choose, csrf_token

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")


def lang_of(html: str) -> str:
    return re.search(r'<html lang="(\w+)">', html).group(1)


def test_swedish_is_the_default_whatever_the_browser_asks_for(client):
    html = client.get("/auth/login", headers={"Accept-Language": "en-GB,en"}).get_data(as_text=True)
    assert lang_of(html) == "sv"
    assert '<label for="username">Användarnamn</label>' in html
    assert 'value="Logga in"' in html
    assert '<button type="submit" name="lang" value="en" lang="en"' in html


def test_english_is_chosen_in_the_header_and_kept_in_a_cookie(client, auth, people):
    response = choose(client, "en")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{i18n.COOKIE}=en;") and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie

    html = client.get("/auth/login").get_data(as_text=True)
    assert lang_of(html) == "en"
    assert '<label for="username">Username</label>' in html
    assert '<label for="password">Password</label>' in html
    assert 'value="Log in"' in html
    assert ">Accessibility statement</a>" in html
    assert ">Svenska</button>" in html and 'lang="sv"' in html, "the way back, marked Swedish"

    # Logging in keeps the language (the session is renewed, the cookie is not).
    auth.login(people.handlaggare.username)
    html = client.get("/").get_data(as_text=True)
    assert lang_of(html) == "en"
    assert "<h1>Welcome, Evelyn Garate Ormazabal</h1>" in html
    assert ">New memo</a>" in html

    choose(client, "sv", "/")
    assert lang_of(client.get("/").get_data(as_text=True)) == "sv"


def test_the_memo_page_in_english_and_its_pdf_in_swedish(app, client, auth, people):
    memo_id = sent_memo(app, people.handlaggare)
    choose(client, "en")
    auth.login(people.avdelningschef.username)
    html = client.get(f"/memos/{memo_id}").get_data(as_text=True)
    assert "Status: <strong>With the head of department</strong> (version 1)" in html
    assert 'value="Attest"' in html and 'value="Return"' in html
    # The memo itself is a Swedish document: its headings stay, marked as Swedish.
    assert '<article class="card memo-content" lang="sv">' in html
    assert "<h3>Förvaltningens förslag till beslut</h3>" in html
    assert "Attestation order" in html and ">Head of department<" in html

    # Returning without a comment: the page, its summary and the field's error in English.
    token = csrf_token(html)
    response = client.post(
        f"/memos/{memo_id}/returnera", data={"comment": " ", "csrf_token": token}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "“Return” could not be carried out:" in page
    assert '<label for="comment">Comment</label>' in page
    assert "<p>Write a comment that explains why the memo is returned.</p>" in page

    # The PDF is the attested document: always Swedish.
    pdf = client.get(f"/memos/{memo_id}/pdf").data
    from tests.support.pdftools import flat, pdftotext

    text = flat(pdftotext(pdf))
    assert "Sammanfattning" in text and "Summary" not in text


def test_sent_from_an_english_session_the_pdf_and_the_records_stay_swedish(
    app, client, auth, people
):
    """A lazy text is said in the person's language while the page is made: what the send
    stores (the frozen PDF, the history, the audit log, the mails) must not follow it."""
    import sqlalchemy as sa

    from attest import blobs, db
    from attest.audit.models import AuditEvent
    from attest.workflow.models import HistoryEntry, OutboxMail, Submission
    from tests.support.memos import draft_memo
    from tests.support.pdftools import flat, pdftotext
    from tests.support.web import Browser

    memo_id = draft_memo(app, people.handlaggare)
    choose(client, "en")
    browser = Browser(client, auth)
    browser.login(people.handlaggare)
    page = browser.open(f"/memos/{memo_id}")
    assert "Send for attestation" in page.buttons()
    after = browser.press_and_follow(page, "Send for attestation")
    assert "The memo has been sent for attestation." in after.flashes()

    with app.app_context():
        session = db.session()
        submission = session.scalar(sa.select(Submission).where(Submission.memo_id == memo_id))
        text = flat(pdftotext(blobs.store().get(submission.frozen_pdf_sha256)))
        stored = [e.data for e in session.scalars(sa.select(AuditEvent))]
        stored += [e.comment or "" for e in session.scalars(sa.select(HistoryEntry))]
        stored += [m.subject + m.body for m in session.scalars(sa.select(OutboxMail))]
    assert "Tjänsteutlåtande" in text and "Handläggare" in text and "Sida 1" in text
    for english in ("Memo", "Case officer", "Page 1", "Attested by", "Head of department"):
        assert english not in text
        assert not any(english in value for value in stored), english


def test_the_error_pages_in_english(client, auth, people):
    choose(client, "en")
    auth.login(people.handlaggare.username)
    html = client.get("/attesterade").get_data(as_text=True)
    assert "<h1>Access denied</h1>" in html
    assert "You do not have access to this page." in html
    html = client.get("/finns-inte").get_data(as_text=True)
    assert "<h1>Page not found</h1>" in html


def test_the_500_page_in_english(app):
    """No page fails on purpose, so the handler an unexpected error ends in (werkzeug's
    InternalServerError) draws its page for an English request here."""
    from werkzeug.exceptions import InternalServerError

    from tests.support.swedish import swedish_words

    with app.test_request_context("/", headers={"Cookie": f"{i18n.COOKIE}=en"}):
        page, status, _ = app.handle_http_exception(InternalServerError())
    assert status == 500
    assert "<h1>Internal error</h1>" in page and "Something went wrong on our side" in page
    main = re.sub(r"<[^>]+>", " ", page.split("<main", 1)[1].split("</main>", 1)[0])
    assert swedish_words(main.split(">", 1)[1]) == []
    with app.test_request_context("/"):
        page, status, _ = app.handle_http_exception(InternalServerError())
    assert "<h1>Internal error</h1>" not in page and "Internt fel" in page


def test_a_refused_signature_service_answer_is_told_in_english_and_recorded_in_swedish(app, client):
    import json

    import sqlalchemy as sa

    from attest import db
    from attest.audit.models import AuditEvent

    choose(client, "en")
    response = client.post("/underskrift/svar", data={"Binding": "POST/XML/1.0"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing has been signed. The signature service&#39;s answer has no SignResponse." in (
        html
    )
    assert "underskriftstjänsten" not in html
    with app.app_context():
        event = (
            db.session()
            .scalars(sa.select(AuditEvent).where(AuditEvent.event == "memo:signservice:refused"))
            .one()
        )
        assert json.loads(event.data)["reason"] == (
            "Svaret från underskriftstjänsten saknar ett SignResponse."
        )


def test_what_was_taken_out_of_a_bilaga_is_told_in_the_readers_language(app):
    """It is stored as kinds (JSON), not as a text; a text stored before (Swedish) is shown
    as it is."""
    from attest.memos.bilagor import CheckedPdf, told_stored

    checked = CheckedPdf("b.pdf", b"", 1, "b", taken_out={"link": 2}, changed={"lzw": 1})
    record = checked.removed_record()
    assert "länkar" not in record and json_kinds(record) == {
        "removed": {"link": 2},
        "changed": {"lzw": 1},
    }
    with app.test_request_context("/", headers={"Cookie": f"{i18n.COOKIE}=en"}):
        assert told_stored("b.pdf", record) == (
            "Removed from b.pdf: links (clickable areas) (2). Changed in b.pdf for archiving "
            "(PDF/A): LZW compression (recompressed) (1)."
        )
        assert told_stored("b.pdf", "Ur b.pdf togs bort: JavaScript (1).") == (
            "Ur b.pdf togs bort: JavaScript (1)."
        )
    with app.test_request_context("/"):
        assert told_stored("b.pdf", record).startswith("Ur b.pdf togs bort: länkar (klickbara")
    assert CheckedPdf("b.pdf", b"", 1, "b").removed_record() == ""


def json_kinds(record: str) -> dict:
    import json

    return json.loads(record)


@pytest.mark.parametrize(
    "language, next_url, location",
    [
        ("en", "https://evil.example/", "/"),
        ("en", "//evil.example/", "/"),
        ("en", "/\\evil.example", "/"),
        ("en", "", "/"),
        ("fr", "/auth/login", "/auth/login"),
    ],
)
def test_the_switch_goes_back_only_to_this_site_and_only_to_known_languages(
    client, language, next_url, location
):
    response = choose(client, language, next_url)
    assert response.headers["Location"] == location
    assert ("Set-Cookie" in response.headers) == (language in i18n.LANGUAGES)


def test_the_switch_needs_the_csrf_token(client):
    assert client.post("/sprak", data={"lang": "en", "next": "/"}).status_code == 400


def test_a_forged_cookie_falls_back_to_swedish(client):
    client.set_cookie(i18n.COOKIE, "xx")
    assert lang_of(client.get("/auth/login").get_data(as_text=True)) == "sv"


def test_dates_are_shown_in_stockholm_time_in_both_languages(app, client, auth, people, clock):
    # 09:30 in Stockholm is 07:30 UTC (summer time): the page shows Stockholm's clock.
    memo_id = sent_memo(app, people.handlaggare)
    auth.login(people.handlaggare.username)
    for language in ("sv", "en"):
        choose(client, language, "/")
        html = client.get(f"/memos/{memo_id}").get_data(as_text=True)
        assert "2024-08-14 09:30" in html and "07:30" not in html


# --- the catalogue ----------------------------------------------------------------------


def _key(value):
    return value if isinstance(value, str) else tuple(value)


def _po():
    with PO.open("rb") as handle:
        return read_po(handle, locale="en")


def test_every_english_message_is_translated_and_none_is_fuzzy():
    catalog = _po()
    untranslated = [m.id for m in catalog if m.id and not (m.string and all(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == [], "translate them, then run `make i18n`"


def test_the_compiled_catalogue_matches_the_po():
    with MO.open("rb") as handle:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(handle) if m.id}
    source = {_key(m.id): _key(m.string) for m in _po() if m.id}
    assert compiled == source, "run `make i18n` to compile translations/en/.../messages.mo"


def test_every_marked_string_is_in_the_catalogue():
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    extracted = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords={"_": None, "N_": None, "gettext": None, "_l": None, "ngettext": (1, 2)},
    ):
        extracted.add(_key(message))
    catalogue = {_key(m.id) for m in _po() if m.id}
    missing = sorted(map(str, extracted - catalogue))
    assert missing == [], "run `make i18n` and translate the new strings"


def test_a_lazy_text_is_swedish_outside_a_request_and_english_in_an_english_one(app):
    """What goes into the database, the audit log or a PDF is str()'d outside the person's
    language: without a request (the CLI, the worker, the PDF made there) it is Swedish."""
    from attest.i18n import _l
    from attest.workflow.definition import State

    text = _l("Tjänsteutlåtandet %(dnr)s är skapat (version 1).", dnr="EÅV 2024/1")
    assert str(text) == "Tjänsteutlåtandet EÅV 2024/1 är skapat (version 1)."
    with app.app_context():
        assert str(State.ATTESTERAD.label) == "Attesterad"
        assert str(text).startswith("Tjänsteutlåtandet")
    with app.test_request_context("/", headers={"Cookie": f"{i18n.COOKIE}=en"}):
        assert str(State.ATTESTERAD.label) == "Attested"
        assert str(text) == "Memo EÅV 2024/1 has been created (version 1)."
        assert i18n.swedish(State.ATTESTERAD.label) == "Attesterad"  # as it is stored
        assert str(State.ATTESTERAD.label) == "Attested"
    with app.test_request_context("/"):
        assert str(State.ATTESTERAD.label) == "Attesterad"


def test_a_template_in_a_forced_locale_is_in_that_language_and_then_the_pages_again(app):
    """The templates keep the catalogue for the request's language; force_locale (Swedish
    for what is stored) gets its own, and the page's language is back after it."""
    from flask import render_template_string
    from flask_babel import force_locale

    page = "{{ _('Logga ut') }} {% trans %}Byt lösenord{% endtrans %}"
    with app.test_request_context("/", headers={"Cookie": f"{i18n.COOKIE}=en"}):
        assert render_template_string(page) == "Log out Change password"
        with force_locale("sv"):
            assert render_template_string(page) == "Logga ut Byt lösenord"
        assert render_template_string(page) == "Log out Change password"
    with app.test_request_context("/"):
        assert render_template_string(page) == "Logga ut Byt lösenord"


def test_a_macro_of_an_imported_template_speaks_each_requests_language(app):
    # Jinja keeps an imported template's module (and its macros) across requests: what a
    # macro translates must follow each request's language, not the first one's.
    from flask import render_template_string

    from attest.workflow.worklists import Page

    source = '{% from "workflow/_pager.html" import pager %}{{ pager(p, "start.index", "s", "x") }}'
    page = Page([], 1, 25, 60, False, True)
    for language, shown in (("sv", "Nästa"), ("en", "Next"), ("sv", "Nästa"), ("en", "Next")):
        with app.test_request_context("/", headers={"Cookie": f"{i18n.COOKIE}={language}"}):
            assert shown in render_template_string(source, p=page)


def test_translated_texts_escape_their_values_and_keep_their_own_markup(app):
    from flask import render_template_string

    source = "{% trans name=who %}Välkommen, {{ name }}{% endtrans %} {{ _('Nästa') }}"
    with app.test_request_context("/", headers={"Cookie": f"{i18n.COOKIE}=en"}):
        shown = render_template_string(source, who="<script>x</script>")
    assert shown == "Welcome, &lt;script&gt;x&lt;/script&gt; Next"


def test_a_lazy_text_with_a_value_is_escaped_on_a_page(app):
    from markupsafe import escape

    from attest.i18n import _l

    with app.test_request_context("/"):
        added = _l("%(name)s är tillagd.", name="<script>x</script>")
        assert "<script>" not in str(escape(added))
        assert "&lt;script&gt;" in str(escape(added))


def test_the_verification_texts_are_translated_without_flask():
    """The offline verifier (attest verify --lang en) needs no app: Babel alone, same .mo."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from attest.verify import report\n"
        "print(report.text('file_is_pdf.empty', 'en'))\n"
        "print(report.text('file_is_pdf.empty', 'sv'))\n"
        "print(report.check_title('records', 'en'))\n"
        "print('flask_babel' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.splitlines()
    assert out == ["The file is empty.", "Filen är tom.", "Compared with records and log", "False"]


def test_no_template_looks_finished_texts_up_any_more():
    """Every text is translated where it is defined (_l, gettext); the old `tr` lookup of
    finished Swedish strings is gone, and so is the hand-kept list behind it."""
    assert not hasattr(i18n, "FROM_PYTHON") and not hasattr(i18n, "translate")
    for path in (ROOT / "templates").rglob("*.html"):
        assert not re.search(r"\|\s*tr\b", path.read_text(encoding="utf-8")), path


def test_the_catalogue_is_shipped_in_the_package_data():
    import configparser

    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    assert "attest.translations" in parser["options"]["packages"].split()
    assert "*/LC_MESSAGES/*.mo" in parser["options.package_data"]["attest.translations"]
    assert MO.exists()
    assert io.BytesIO(MO.read_bytes()).read(4) in (b"\xde\x12\x04\x95", b"\x95\x04\x12\xde")
