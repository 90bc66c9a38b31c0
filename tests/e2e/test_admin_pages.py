"""The administrator's pages in Chromium: a memo type with an extra step that a handläggare
picks and that gives a three-row "Attesterat av" table, verified Giltig; a memo missing a
required section is not sent; the organisation settings and the audit log. Every page is
screenshot at 1280 and 390 px wide and checked with axe-core."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from playwright.sync_api import expect

from attest import db
from attest.attestation import personal
from attest.orgs.operations import get_organisation
from attest.pki.ca import load_certificate
from attest.users.operations import add_role
from attest.verify import verify_pdf
from tests.support import factories
from tests.support.browser import SCREENSHOTS, Live, Person
from tests.support.signing import pooled_key

MARIA = Person("maria-e2e", "Maria Lind")


def _ekonomichef(live: Live, monkeypatch) -> None:
    """A role beyond the built-in ones and a person holding it (with a pooled key)."""
    monkeypatch.setattr(personal, "generate_personal_key", pooled_key)
    with live.app.app_context():
        add_role("ekonomichef", "Ekonomichef")
        factories.user(
            get_organisation("EÅV"),
            "ekonomichef",
            username=MARIA.username,
            full_name=MARIA.full_name,
        )
        db.session().commit()


def _attest(window, password: str) -> None:
    window.page.get_by_label("Lösenord").fill(password)
    window.page.get_by_role("button", name="Attestera").click()
    expect(window.page.get_by_role("status")).to_have_text("Du har attesterat tjänsteutlåtandet.")


def test_a_three_step_type_made_by_the_administrator_is_picked_sent_and_attested(
    visit, live: Live, monkeypatch, tmp_path: Path
):
    _ekonomichef(live, monkeypatch)

    # --- the administrator makes the type ---------------------------------------------------
    adm = visit(live.administrator)
    adm.page.get_by_role("link", name="Typer av ärenden").click()
    expect(adm.page.get_by_role("heading", level=1)).to_have_text("Typer av ärenden")
    adm.look("memo-types")
    adm.page.get_by_role("button", name="Skapa typen").click()  # without a name
    expect(adm.page.get_by_role("alert")).to_contain_text("Ange typens namn.")
    adm.look("memo-types-error")
    adm.page.get_by_label("Namn", exact=True).fill("Delegationsbeslut")
    adm.page.get_by_label("Steg 1").select_option(label="Avdelningschef")
    adm.page.get_by_label("Steg 2").select_option(label="Ekonomichef")
    adm.page.get_by_label("Steg 3").select_option(label="Stadsdelsdirektör")
    expect(adm.page.get_by_label("Förvaltningens förslag till beslut")).to_be_checked()
    expect(adm.page.get_by_label("Sammanträdesdatum")).to_be_checked()
    adm.page.get_by_role("button", name="Skapa typen").click()
    expect(adm.page.get_by_role("status")).to_have_text("Typen Delegationsbeslut är skapad.")
    row = adm.page.get_by_role("row").filter(has_text="Delegationsbeslut")
    expect(row).to_contain_text("Ekonomichef")
    adm.look("memo-types-created")
    adm.page.get_by_role("link", name="Delegationsbeslut").click()
    expect(adm.page.get_by_label("Steg 2")).to_have_value("ekonomichef")
    adm.look("memo-type-edit")

    # --- the handläggare picks it; without the required sections it is not sent ------------
    hl = visit(live.handlaggare)
    hl.page.get_by_role("link", name="Nytt tjänsteutlåtande").click()
    kind = hl.page.get_by_label("Typ av ärende")
    expect(kind).to_have_value("tjansteutlatande")  # preselected: the first
    kind.select_option(label="Delegationsbeslut")
    hl.page.get_by_label("Rubrik", exact=True).fill("Inköp av läromedel till Rågsvedsskolan")
    hl.page.get_by_label("Sammanfattning").fill("Läromedlen kostar 80 000 kronor.")
    hl.look("new-memo-with-type")
    hl.page.get_by_role("button", name="Spara utkast").click()
    expect(hl.page.get_by_role("status")).to_contain_text("är skapat (version 1)")
    memo_url = re.search(r"/memos/\d+", hl.page.url)[0]
    route = hl.page.get_by_role("table", name="Attestordning")
    expect(route).to_contain_text("Ekonomichef")
    hl.page.get_by_role("button", name="Skicka för attest").click()
    expect(hl.page.get_by_role("main")).to_contain_text(
        "Fyll i det som krävs innan tjänsteutlåtandet skickas för attest: "
        "Sammanträdesdatum, Förvaltningens förslag till beslut."
    )
    hl.look("send-refused-missing-sections")
    hl.goto(memo_url)
    expect(hl.page.get_by_role("main")).to_contain_text("Läromedlen kostar 80 000 kronor.")
    hl.page.get_by_role("link", name="Redigera").click()
    hl.page.get_by_label("Förvaltningens förslag till beslut").fill(
        "Stadsdelsdirektören beslutar att köpa läromedlen."
    )
    hl.page.get_by_label("Sammanträdesdatum").fill("2024-09-19")
    hl.page.get_by_role("button", name="Spara utkast").click()
    expect(hl.page.get_by_role("status")).to_have_text("Utkastet är sparat (version 2).")
    hl.page.get_by_role("button", name="Skicka för attest").click()
    expect(hl.page.get_by_role("status")).to_have_text("Tjänsteutlåtandet är skickat för attest.")

    # --- three attesters, in the type's order -----------------------------------------------
    for person in (live.avdelningschef, MARIA, live.stadsdelsdirektor):
        window = visit(person)
        window.goto(memo_url)
        _attest(window, person.password)
    sd = window
    expect(sd.page.get_by_role("region", name="Attest")).to_contain_text("Status: Attesterad")
    with sd.page.expect_download() as download_info:
        sd.page.get_by_role("link", name="Ladda ner attesterad PDF").click()
    pdf = Path(download_info.value.path()).read_bytes()
    result = verify_pdf(pdf, trust=[load_certificate(live.ca_pem)])
    assert result.verdict == "valid", [c.message for c in result.failed]
    assert [(a.signer_name, a.title) for a in result.attestations] == [
        ("Jenny Johansson", "Avdelningschef"),
        ("Maria Lind", "Ekonomichef"),
        ("Anders Carstorp", "Stadsdelsdirektör"),
    ]
    # The page with the table, as a viewer draws it (looked at: tests/screenshots/).
    path = tmp_path / "delegationsbeslut.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert text.startswith("") and "Delegationsbeslut" in text
    table = text[text.rindex("Attesterat av") :]
    assert [name in table for name in ("Jenny Johansson", "Maria Lind", "Anders Carstorp")] == [
        True
    ] * 3
    pages = text.count("\f")
    last_memo_page = next(
        n for n in range(1, pages + 1) if "Attesterat av" in text.split("\f")[n - 1]
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            str(last_memo_page),
            "-l",
            str(last_memo_page),
            "-singlefile",
            str(path),
            str(SCREENSHOTS / "admin-three-step-attesterat-av"),
        ],
        check=True,
    )


def test_the_settings_and_the_audit_log_pages(visit, live: Live):
    adm = visit(live.administrator)
    adm.page.get_by_role("link", name="Organisationens inställningar").click()
    expect(adm.page.get_by_role("heading", level=1)).to_have_text("Organisationens inställningar")
    adm.look("org-settings")
    adm.page.get_by_label("Publik adress för verifiering").fill("inte en adress")
    adm.page.get_by_role("button", name="Spara inställningarna").click()
    expect(adm.page.get_by_role("alert")).to_contain_text("Ange den publika adressen")
    adm.look("org-settings-error")
    adm.page.get_by_label("Publik adress för verifiering").fill("")
    adm.page.get_by_label("Rader i brevhuvudet").fill("Avdelningen för förskola och fritid")
    adm.page.get_by_role("button", name="Spara inställningarna").click()
    expect(adm.page.get_by_role("status")).to_contain_text("Inställningarna är sparade.")

    adm.goto("/")
    adm.page.get_by_role("link", name="Granskningslogg").click()
    expect(adm.page.get_by_role("main")).to_contain_text("Posterna på sidan hänger ihop")
    adm.look("audit-log")
    adm.page.get_by_label("Händelse", exact=True).select_option("organisation:changed")
    adm.page.get_by_role("button", name="Sök").click()
    expect(adm.page.get_by_role("table", name="Händelser")).to_contain_text("letterhead")
    adm.page.get_by_role("link", name="Kontrollera hela kedjan").click()
    expect(adm.page.get_by_role("status")).to_contain_text("Granskningsloggen är hel:")
    adm.look("audit-log-whole-chain")
    # The server is shared with the other e2e tests: their PDFs keep the letterhead they had.
    with live.app.app_context():
        from attest.orgs.operations import Settings, update_settings

        org = get_organisation("EÅV")
        update_settings(org, Settings(**{**vars(Settings.of(org)), "letterhead": ""}), actor=None)
        db.session().commit()
