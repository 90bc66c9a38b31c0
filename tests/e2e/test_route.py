"""The whole route in Chromium, as the people do it: draft with a bilaga, send, return with a
comment, revise, send, attest twice with personal signatures, download, verify.

Every page state on the way is screenshot to tests/screenshots/ and checked with axe-core.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from attest.pki.ca import load_certificate
from attest.verify import verify_pdf
from tests.support.browser import Live, memo_in_state, small_pdf

RETURN_COMMENT = "Beskriv kostnaden för läxhjälpen\noch vem som betalar den."

# The attested PDF the route downloaded, for the verify page's test.
DOWNLOADED: dict[str, bytes] = {}


def memo_id_of(page) -> int:
    match = re.search(r"/memos/(\d+)", page.url)
    assert match, page.url
    return int(match.group(1))


def workflow(page):
    """The memo page's "Attest" section."""
    return page.get_by_role("region", name="Attest")


def test_the_whole_route_in_the_browser(visit, live: Live, tmp_path: Path):
    # --- the handläggare drafts a memo with a bilaga --------------------------------------
    hl = visit(live.handlaggare, look_at_login=True)
    hl.look("start-handlaggare")
    hl.page.get_by_role("link", name="Nytt tjänsteutlåtande").click()
    expect(hl.page.get_by_role("heading", level=1)).to_have_text("Nytt tjänsteutlåtande")
    hl.look("new-memo")

    # Sent without a rubrik, the form comes back with the error tied to its field.
    hl.page.get_by_role("button", name="Spara utkast").click()
    rubrik = hl.page.get_by_label("Rubrik", exact=True)
    expect(rubrik).to_have_attribute("aria-invalid", "true")
    expect(hl.page.get_by_role("alert")).to_contain_text("Ange en rubrik.")
    error_id = rubrik.get_attribute("aria-describedby").split()[-1]
    expect(hl.page.locator(f"#{error_id}")).to_have_text("Ange en rubrik.")
    hl.look("new-memo-errors")

    rubrik.fill("Läxhjälp i Rågsved")
    hl.page.get_by_label("Förvaltningens förslag till beslut").fill("Nämnden godkänner avtalet.")
    hl.page.get_by_label("Sammanträdesdatum").fill("2024-09-19")
    hl.page.get_by_label("Sammanfattning").fill("Läxhjälpen kostar 200 000 kronor per år.")
    hl.page.get_by_label("Bilagor", exact=True).set_input_files(
        files=[
            {
                "name": "Budget-laxhjalp.pdf",
                "mimeType": "application/pdf",
                "buffer": small_pdf("Budget för läxhjälpen"),
            }
        ]
    )
    hl.page.get_by_role("button", name="Spara utkast").click()
    expect(hl.page.get_by_role("status")).to_contain_text("är skapat (version 1)")
    memo_id = memo_id_of(hl.page)
    memo_url = f"/memos/{memo_id}"
    dnr = re.search(r"Tjänsteutlåtande (.+)", hl.page.locator("main p.hint").first.inner_text())[1]
    bilagor = hl.page.get_by_role("list").filter(has_text="Budget-laxhjalp.pdf")
    expect(bilagor).to_contain_text("2 sidor")
    hl.look("memo-draft")

    # --- send -----------------------------------------------------------------------------
    expect(hl.page.get_by_label("Avdelningschef")).to_have_value(re.compile(r"\d+"))
    hl.page.get_by_role("button", name="Skicka för attest").click()
    expect(hl.page.get_by_role("status")).to_have_text("Tjänsteutlåtandet är skickat för attest.")
    expect(workflow(hl.page)).to_contain_text("Status: Hos avdelningschef (version 1)")
    expect(hl.page.get_by_role("link", name="Redigera")).to_have_count(0)
    hl.look("memo-sent")

    # --- the avdelningschef returns it with a comment -------------------------------------
    ac = visit(live.avdelningschef)
    worklist = ac.page.get_by_role("region", name="Att attestera")
    expect(worklist).to_contain_text("Läxhjälp i Rågsved")
    ac.look("start-avdelningschef")
    worklist.get_by_role("link", name=dnr).click()
    expect(ac.page.get_by_role("button", name="Attestera")).to_be_visible()
    ac.look("memo-to-attest")

    # Returning without a comment shows the form again with why, tied to the field.
    ac.page.get_by_label("Kommentar").fill("  ")
    ac.page.get_by_role("button", name="Returnera").click()
    comment = ac.page.get_by_label("Kommentar")
    expect(comment).to_have_attribute("aria-invalid", "true")
    expect(ac.page.get_by_role("alert")).to_contain_text("Skriv en kommentar")
    ac.look("return-without-comment")
    comment.fill(RETURN_COMMENT)
    ac.page.get_by_role("button", name="Returnera").click()
    expect(ac.page.get_by_role("status")).to_have_text(
        "Tjänsteutlåtandet är returnerat till handläggaren."
    )
    ac.look("memo-returned-avdelningschef")

    # --- the handläggare revises and sends again ------------------------------------------
    hl.goto(memo_url)
    notice = hl.page.get_by_role("note").filter(has_text="Returnerat av Jenny Johansson")
    expect(notice).to_contain_text("vem som betalar den")
    hl.look("memo-returned")
    hl.page.get_by_role("link", name="Redigera").click()
    hl.look("edit")
    hl.page.get_by_label("Sammanfattning").fill(
        "Läxhjälpen kostar 150 000 kronor per år. Nämnden betalar."
    )
    hl.page.get_by_role("button", name="Spara utkast").click()
    expect(hl.page.get_by_role("status")).to_have_text("Utkastet är sparat (version 2).")
    hl.page.get_by_role("button", name="Skicka för attest").click()
    expect(workflow(hl.page)).to_contain_text("Status: Hos avdelningschef (version 2)")

    # --- the avdelningschef sees what changed and attests with her password ---------------
    ac.goto(memo_url)
    changes = ac.page.get_by_role("region", name=re.compile("Ändrat sedan version 1"))
    expect(changes.locator(".diff ins").first).to_have_text("150")
    ac.look("memo-changes")
    password = ac.page.get_by_label("Lösenord")
    expect(password).to_have_attribute("type", "password")
    password.fill(live.avdelningschef.password)
    ac.page.get_by_role("button", name="Attestera").click()
    expect(ac.page.get_by_role("status")).to_have_text("Du har attesterat tjänsteutlåtandet.")
    expect(workflow(ac.page)).to_contain_text("Status: Hos stadsdelsdirektör (version 2)")
    ac.look("memo-attested-once")

    # --- the stadsdelsdirektör attests last -----------------------------------------------
    sd = visit(live.stadsdelsdirektor)
    sd.look("start-stadsdelsdirektor")
    sd.page.get_by_role("region", name="Att attestera").get_by_role("link", name=dnr).click()
    sd.page.get_by_label("Lösenord").fill(live.stadsdelsdirektor.password)
    sd.page.get_by_role("button", name="Attestera").click()
    expect(workflow(sd.page)).to_contain_text("Status: Attesterad")
    route = sd.page.get_by_role("table", name="Attestordning")
    expect(route.get_by_role("row")).to_have_count(3)
    expect(route).to_contain_text("av Jenny Johansson")
    expect(route).to_contain_text("av Anders Carstorp")
    sd.look("memo-attested")

    # --- download the attested PDF and check its signatures -------------------------------
    with sd.page.expect_download() as download_info:
        sd.page.get_by_role("link", name="Ladda ner attesterad PDF").click()
    download = download_info.value
    assert download.suggested_filename.endswith("-attesterad.pdf")
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    result = verify_pdf(pdf, trust=[load_certificate(live.ca_pem)])
    assert result.verdict == "valid", [c.message for c in result.failed]
    signers = [(a.signer_name, a.title) for a in result.attestations]
    assert signers == [
        ("Jenny Johansson", "Avdelningschef"),
        ("Anders Carstorp", "Stadsdelsdirektör"),
    ]
    DOWNLOADED["pdf"] = pdf

    # --- the handläggare and the registrator find it ---------------------------------------
    hl.goto("/")
    expect(hl.page.get_by_role("table").filter(has_text=dnr)).to_contain_text("Attesterad")
    hl.look("start-handlaggare-attested")
    reg = visit(live.registrator)
    reg.look("start-registrator")
    reg.page.get_by_role("navigation", name="Huvudmeny").get_by_role(
        "link", name="Attesterade"
    ).click()
    reg.page.get_by_label("Sök på Dnr eller text").fill("Rågsved")
    reg.page.get_by_role("button", name="Sök").click()
    expect(reg.page.get_by_role("table")).to_contain_text(dnr)
    reg.look("register-search")
    reg.page.get_by_role("link", name=dnr).click()
    reg.look("memo-attested-registrator")

    adm = visit(live.administrator)
    adm.look("start-administrator")
    adm.page.get_by_role("link", name="Utkorg").click()
    expect(adm.page.get_by_role("table")).to_contain_text(f"Attesterat: {dnr}")
    adm.look("outbox")


def test_the_downloaded_pdf_verifies_on_the_verify_page(visit, live: Live, tmp_path: Path):
    pdf = DOWNLOADED.get("pdf")
    reg = visit(live.registrator)
    if pdf is None:  # run alone: an attested memo made through the domain, downloaded here
        memo_id = memo_in_state(live, "attesterad", "Verifieras ensam")
        reg.goto(f"/memos/{memo_id}")
        with reg.page.expect_download() as download_info:
            reg.page.get_by_role("link", name="Ladda ner attesterad PDF").click()
        pdf = Path(download_info.value.path()).read_bytes()
    path = tmp_path / "attesterad.pdf"
    path.write_bytes(pdf)
    reg.goto("/verifiera")
    reg.look("verify")
    reg.page.get_by_label("PDF-fil").set_input_files(str(path))
    reg.page.get_by_role("button", name="Verifiera").click()
    expect(reg.page.get_by_role("main")).to_contain_text("Giltig")
    expect(reg.page.get_by_role("main")).to_contain_text("Jenny Johansson")
    expect(reg.page.get_by_role("main")).to_contain_text("Anders Carstorp")
    reg.look("verify-valid")
