"""The verify pages in the browser's terms: upload a genuine or a tampered attested PDF and read
the report; the /v/<code> link; who may see what; refusals that keep nothing."""

from __future__ import annotations

import hashlib
import io
import json
import re
from html import unescape

import pytest
import sqlalchemy as sa

from attest import db
from attest.audit.models import AuditEvent
from attest.blobs import Blob
from attest.workflow.models import Attestation
from tests.support import factories, forgeries, tamper
from tests.support.passes import sampled_params
from tests.support.worlds import attest_one


def upload(auth, data: bytes, filename: str = "tjansteutlatande.pdf", **fields):
    return auth.post(
        "/verifiera",
        {"pdf": (io.BytesIO(data), filename), **fields},
        page="/verifiera",
        content_type="multipart/form-data",
    )


def text_of(response) -> str:
    """The page's text without tags, whitespace collapsed: what a reader reads."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = unescape(re.sub(r"<[^>]+>", " ", html)).replace("\u2060", "")  # word joiners
    return " ".join(text.split())


def blob_count(app) -> int:
    with app.app_context():
        return db.session().scalar(sa.select(sa.func.count()).select_from(Blob))


def events(app, name: str) -> list[dict]:
    with app.app_context():
        rows = db.session().scalars(
            sa.select(AuditEvent).where(AuditEvent.event == name).order_by(AuditEvent.seq)
        )
        return [json.loads(row.data) for row in rows]


@pytest.fixture
def registrator(request, auth, signed_people):
    """Logged in as the registrator, after the test's memo is attested: attesting moves the
    clock past the session's idle limit."""
    if "attested" in request.fixturenames:
        request.getfixturevalue("attested")
    auth.login(signed_people.registrator.username)
    return auth


# --- The form ---------------------------------------------------------------------------------


def test_the_form_has_a_labelled_pdf_input_the_button_and_the_pki_downloads(registrator, client):
    page = client.get("/verifiera")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r'<label for="pdf">PDF-fil</label>', html)
    assert re.search(
        r'<input[^>]*accept="application/pdf[^"]*"[^>]*type="file"', html
    ) or re.search(r'<input[^>]*type="file"[^>]*accept="application/pdf', html)
    assert '<button type="submit" class="button primary">Verifiera</button>' in html
    assert "Spara en kopia av filen" in html
    [keep_copy] = re.findall(r'<input[^>]*name="keep_copy"[^>]*>', html)
    assert "checked" not in keep_copy  # unticked by default: uploads are not stored
    assert 'href="/pki/E%C3%85V/ca.pem"' in html and 'href="/pki/E%C3%85V/crl.pem"' in html
    assert 'href="/verifiera/alla"' in html


def test_only_registrators_may_upload(auth, client, signed_people):
    assert client.get("/verifiera").status_code == 302  # to the login page
    auth.login(signed_people.handlaggare.username)
    assert client.get("/verifiera").status_code == 403
    response = auth.post("/verifiera", {"pdf": (io.BytesIO(b"%PDF-1.7"), "x.pdf")})
    assert response.status_code == 403
    assert client.get("/verifiera/alla").status_code == 403


def test_the_ca_and_crl_links_download_the_organisations_material(registrator, client):
    ca = client.get("/pki/EÅV/ca.pem")
    crl = client.get("/pki/EÅV/crl.pem")
    assert ca.status_code == crl.status_code == 200
    assert ca.data.startswith(b"-----BEGIN CERTIFICATE") and b"BEGIN X509 CRL" in crl.data


# --- Reports ----------------------------------------------------------------------------------


def test_a_genuine_pdf_is_reported_valid_with_who_attested_when_and_every_check(
    app, registrator, attested
):
    before = blob_count(app)
    response = upload(registrator, attested.pdf)
    assert response.status_code == 200
    text = text_of(response)
    # The verdict comes first, before who attested and the checks.
    checks = text.index("Kontroller Varje kontroll")
    assert text.index("Resultat: Giltig") < text.index("Attesterat av") < checks
    assert "Alla kontroller är godkända" in text
    assert "Jenny Johansson Avdelningschef Enskede-Årsta-Vantörs stadsdelsförvaltning" in text
    assert "Anders Carstorp Stadsdelsdirektör" in text
    # Attested 09:30 and 11:30 UTC on 14 August 2024: shown in Stockholm time.
    assert "2024-08-14 11:30 (tidsstämplad)" in text and "2024-08-14 13:30 (tidsstämplad)" in text
    assert "Underkänd" not in text
    for heading in (
        "Hela dokumentet",
        "Systemsigillets certifiering (attest-sigill)",
        "Attesten i attest-steg-1 (Jenny Johansson)",
        "Dokumenttidsstämpeln (attest-arkivstampel)",
        "Jämförelse med attests register och granskningslogg",
    ):
        assert heading in text
    assert "✓ Godkänd Signerade byte oförändrade Signaturen i attest-steg-1 är intakt" in text
    assert "Dokumentet finns i attests register: EÅV 2024/1" in text
    assert "Nej, filen har inte sparats." in text
    assert blob_count(app) == before  # nothing stored
    [event] = events(app, "verification:performed")
    assert event["verdict"] == "valid" and event["source"] == "upload"
    assert event["sha256"] == hashlib.sha256(attested.pdf).hexdigest()
    assert event["submission"] == attested.submission_id
    assert "pdf" not in event and len(json.dumps(event)) < 1000  # the hash, never the file


def test_a_tampered_pdf_is_reported_invalid_naming_the_check(app, registrator, attested):
    forged = tamper.flip_byte_in_first_revision(attested.pdf)
    response = upload(registrator, forged)
    assert response.status_code == 200
    text = text_of(response)
    assert "Resultat: Ogiltig" in text
    # The failed checks are listed under the verdict, each linking to its row.
    summary = text[text.index("Resultat: Ogiltig") : text.index("Attesterat av")]
    assert "Signerade byte oförändrade (attest-steg-1)" in summary
    assert "Jämförd med register och logg" in summary
    assert (
        "✗ Underkänd Signerade byte oförändrade Signaturen i attest-steg-1 är inte intakt" in text
    )
    assert "Den fastställda versionen i filen är inte den som registret har" in text
    html = response.get_data(as_text=True)
    number = re.search(r'<a href="#(check-\d+)">Signerade byte oförändrade \(attest-steg-1\)', html)
    assert number and f'id="{number.group(1)}" class="check-failed"' in html
    [event] = events(app, "verification:performed")
    assert event["verdict"] == "invalid"


def test_a_record_edited_in_the_database_makes_the_report_invalid(app, registrator, attested):
    with app.app_context():
        db.session().execute(
            sa.update(Attestation)
            .where(Attestation.position == 2)
            .values(certificate_sha256="cd" * 32)
        )
        db.session().commit()
    text = text_of(upload(registrator, attested.pdf))
    assert "Resultat: Ogiltig" in text
    assert "Attesten i attest-steg-2 stämmer inte med registret" in text


def test_keeping_a_copy_stores_the_file_and_says_so(app, registrator, attested):
    before = blob_count(app)
    forged = tamper.flip_byte_in_first_revision(attested.pdf)
    text = text_of(upload(registrator, forged, keep_copy="y"))
    assert "Ja, en kopia av filen sparades." in text
    assert blob_count(app) == before + 1
    [stored] = events(app, "verification:copy:stored")
    assert stored["size"] == len(forged) and stored["filename"] == "tjansteutlatande.pdf"


def test_the_report_follows_the_chosen_language(app, registrator, attested, client):
    client.set_cookie("attest_lang", "en")
    text = text_of(upload(registrator, attested.pdf))
    assert "Valid" in text and "The signature in attest-steg-1 is intact" in text
    assert "The document is in attest's records: EÅV 2024/1" in text


# --- The link in the footer ---------------------------------------------------------------------


def test_the_footer_link_shows_the_report_of_the_stored_pdf(app, auth, client, attested):
    auth.login("hl-EÅV")  # any role of the organisation
    response = client.get(f"/v/{attested.code}")
    assert response.status_code == 200
    text = text_of(response)
    assert "Verifiering av EÅV 2024/1" in text and "Resultat: Giltig" in text
    assert "Den lagrade PDF-filen" in text
    [event] = events(app, "verification:performed")
    assert event["source"] == "link" and event["verdict"] == "valid"
    assert event["submission"] == attested.submission_id
    assert client.get(f"/v/{attested.code.lower()}").status_code == 200  # as typed from paper


def test_another_organisation_gets_the_public_page_and_an_unknown_code_is_404(
    app, auth, client, attested
):
    with app.app_context():
        other = factories.organisation("SÖS", name="Södermalms stadsdelsförvaltning")
        factories.user(other, "registrator", username="reg-SÖS")
    auth.login("reg-SÖS")
    response = client.get(f"/v/{attested.code}")
    assert response.status_code == 200 and "Den lagrade PDF-filen" not in text_of(response)
    auth.logout()
    auth.login("reg-EÅV")
    assert client.get("/v/AAAAAAAAAA").status_code == 404
    assert events(app, "verification:performed") == []


def test_the_footer_link_needs_no_login(client, attested):
    """Whoever holds the paper (tests/test_verify_public.py): no redirect to the login."""
    response = client.get(f"/v/{attested.code}")
    assert response.status_code == 200 and "Jämför en PDF-fil du har" in text_of(response)


# --- Refusals: a Swedish message, 4xx, nothing kept -------------------------------------------


def test_no_file_chosen(app, registrator):
    before = blob_count(app)
    response = registrator.post(
        "/verifiera", {}, page="/verifiera", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "Välj en PDF-fil att verifiera." in text_of(response)
    assert blob_count(app) == before and events(app, "verification:performed") == []


def test_an_empty_file(app, registrator):
    before = blob_count(app)
    response = upload(registrator, b"", keep_copy="y")
    assert response.status_code == 400
    assert "Filen är tom." in text_of(response)
    assert blob_count(app) == before


def test_a_text_file(app, registrator):
    before = blob_count(app)
    response = upload(
        registrator, "Det här är ingen PDF.\n".encode(), "anteckning.pdf", keep_copy="y"
    )
    assert response.status_code == 400
    assert "Filen är inte en PDF (den börjar inte med %PDF-)." in text_of(response)
    assert blob_count(app) == before
    assert events(app, "verification:copy:stored") == []


@pytest.fixture
def small_limit(app):
    app.config["BILAGA_MAX_BYTES"] = 1024 * 1024  # 1 MB: an oversize file stays small in tests


def test_an_oversize_file(app, small_limit, registrator):
    before = blob_count(app)
    big = b"%PDF-1.7\n" + b"0" * (1024 * 1024)
    response = upload(registrator, big, keep_copy="y")
    assert response.status_code == 413
    text = text_of(response)
    assert "Filen är för stor: en PDF att verifiera får vara högst 1 MB." in text
    assert blob_count(app) == before and events(app, "verification:performed") == []


# --- The bulk check ---------------------------------------------------------------------------


def test_the_bulk_page_verifies_the_period_and_lists_the_invalid_ones(
    app, auth, client, signed_people, clock, attested
):
    second = attest_one(app, signed_people, clock, rubrik="Andra ärendet", bilagor=2)
    registrator = auth
    auth.login(signed_people.registrator.username)
    page = client.get("/verifiera/alla")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<label for="since">Från</label>' in html and '<label for="until">Till</label>' in html
    assert 'value="2024-01-01"' in html and 'value="2024-08-14"' in html

    response = registrator.post(
        "/verifiera/alla", {"since": "2024-01-01", "until": "2024-12-31"}, page="/verifiera/alla"
    )
    text = text_of(response)
    assert response.status_code == 200
    assert "2 av 2 är giltiga." in text and "Spara rapporten" in text
    assert "Alla tjänsteutlåtanden under perioden är giltiga." in text

    with app.app_context():
        db.session().execute(
            sa.update(Attestation)
            .where(Attestation.submission_id == second.submission_id, Attestation.position == 1)
            .values(signer_name="Någon Annan")
        )
        db.session().commit()
    response = registrator.post(
        "/verifiera/alla", {"since": "2024-01-01", "until": ""}, page="/verifiera/alla"
    )
    text = text_of(response)
    assert "1 av 2 är giltiga." in text and "Ogiltiga: 1." in text
    table = text[text.index("Ogiltiga eller inte avgjorda") :]
    assert "EÅV 2024/2 Andra ärendet" in table and "EÅV 2024/1" not in table
    assert "namnet är Jenny Johansson i filen men Någon Annan i registret" in table
    [*_, last] = events(app, "verification:bulk:performed")
    assert last["total"] == 2 and last["invalid"] == 1


def test_the_bulk_report_downloads_as_csv(app, registrator, attested):
    response = registrator.post(
        "/verifiera/alla",
        {"since": "2024-08-01", "until": "2024-08-31", "format": "csv"},
        page="/verifiera/alla",
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        'filename="verifiering-EAV-2024-08-01--2024-08-31.csv"'
        in response.headers["Content-Disposition"]
    )
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Dnr;Rubrik;Version;Attesterad;Resultat")
    assert lines[1].startswith(
        "EÅV 2024/1;Idéburet offentligt partnerskap;1;2024-08-14 13:30;Giltig;;;"
    )


def test_the_bulk_form_refuses_a_period_backwards(registrator):
    response = registrator.post(
        "/verifiera/alla", {"since": "2024-08-01", "until": "2024-07-01"}, page="/verifiera/alla"
    )
    assert response.status_code == 400
    assert "Till-datumet får inte vara före från-datumet." in text_of(response)
    response = registrator.post("/verifiera/alla", {"since": "1 augusti"}, page="/verifiera/alla")
    assert response.status_code == 400
    assert "Ange datumet som ÅÅÅÅ-MM-DD." in text_of(response)


# --- The tamper suite on the page ---------------------------------------------------------------


@pytest.fixture
def city_registrator(auth, clock, two_organisations, signed_people):
    """EÅV's registrator, in an installation with a second förvaltning (SKV), after the
    forgeries were made (tests/support/forgeries.py: 14–17 August 2024)."""
    from tests.support.signing import validation_time

    clock.at = validation_time()
    auth.login(signed_people.registrator.username)
    return auth


# (The page trusts the installation's CAs: a signature service's only where one is set up.)
ON_THE_PAGE = [
    name
    for name, case in forgeries.CASES.items()
    if case.expected_steps is None and not case.signservice
]


@pytest.mark.slow
@pytest.mark.parametrize("name", sampled_params(ON_THE_PAGE), ids=ON_THE_PAGE)
def test_every_forgery_is_invalid_on_the_page_naming_the_check(city_registrator, name) -> None:
    """Every forgery of the tamper suite but the one about a route length the clerk gives
    (--expected-steps exists on the command line only)."""
    from attest.verify.report import CHECK_TITLES

    case = forgeries.CASES[name]
    response = upload(city_registrator, forgeries.forgery(name), filename=f"{name}.pdf")
    text = text_of(response)
    if case.unusable:
        assert response.status_code == 400, text
        assert "Filen kunde inte verifieras" in text
        return
    assert response.status_code == 200, text
    assert "Resultat: Ogiltig" in text, text
    summary = text.split("Fil ", 1)[0]  # the verdict and the failed checks, before the file
    assert CHECK_TITLES[case.code] in summary, summary


@pytest.mark.parametrize("name", list(forgeries.GENUINE))
def test_genuine_memos_of_every_kind_are_valid_on_the_page(city_registrator, name) -> None:
    response = upload(city_registrator, forgeries.genuine(name))
    text = text_of(response)
    assert response.status_code == 200
    assert "Resultat: Giltig" in text, text
