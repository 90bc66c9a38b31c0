"""axe-core on every page in every state the other e2e tests do not walk through.

Each page is screenshot to tests/screenshots/ at 1280 and at 390 px wide and must have no
serious or critical axe violation (WCAG 2.1 AA and axe's best practices) at either width,
nor scroll sideways on the phone; the lesser ones are listed in
tests/screenshots/axe-report.json.
"""

from __future__ import annotations

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from attest.security import CONTENT_SECURITY_POLICY
from tests.support.browser import (
    PHONE,
    POST_FORM,
    ROLES,
    SCREENSHOTS,
    Live,
    csrf_token,
    memo_in_state,
)

STATES = ("utkast", "returnerad", "hos_avdelningschef", "hos_stadsdelsdirektor", "attesterad")


def test_login_logout_and_their_errors(visit, live: Live):
    window = visit()
    window.goto("/")
    expect(window.page).to_have_url(f"{live.url}/auth/login?next=%2F")
    expect(window.page.get_by_role("status")).to_have_text("Logga in för att fortsätta.")
    window.look("login-required")

    # Empty fields: each error tied to its field.
    window.page.get_by_role("button", name="Logga in").click()
    username = window.page.get_by_label("Användarnamn")
    expect(username).to_have_attribute("aria-invalid", "true")
    expect(username).to_have_accessible_description("Ange ditt användarnamn.")
    expect(window.page.get_by_label("Lösenord")).to_have_accessible_description(
        "Ange ditt lösenord."
    )
    window.look("login-empty")

    # A wrong password: one message, announced, for both fields.
    username.fill(live.handlaggare.username)
    window.page.get_by_label("Lösenord").fill("fel lösenord")
    window.page.get_by_role("button", name="Logga in").click()
    expect(window.page.get_by_role("alert")).to_have_text("Fel användarnamn eller lösenord.")
    expect(window.page.get_by_label("Lösenord")).to_have_attribute("aria-invalid", "true")
    expect(window.page.get_by_label("Lösenord")).to_have_accessible_description(
        "Fel användarnamn eller lösenord."
    )
    window.look("login-failed")

    window.login(live.handlaggare)
    window.logout()
    expect(window.page.get_by_role("status")).to_have_text("Du är utloggad.")
    window.look("logged-out")


def test_the_memo_page_in_every_state_for_every_role(visit, live: Live):
    memos = {state: memo_in_state(live, state, f"Ärende i läget {state}") for state in STATES}
    for role in ROLES:
        window = visit(getattr(live, role))
        for state, memo_id in memos.items():
            response = window.goto(f"/memos/{memo_id}")
            assert response.status in (200, 403, 404), (role, state, response.status)
            window.look(f"memo-{state}-{role}")


def test_the_memo_forms_pages_and_their_errors(visit, live: Live):
    memo_id = memo_in_state(live, "utkast", "Ett utkast att ändra")
    hl = visit(live.handlaggare)
    hl.goto(f"/memos/{memo_id}/edit")
    hl.look("edit-draft")
    hl.page.get_by_label("Rubrik", exact=True).fill("")
    hl.page.get_by_label("Delavsnittets text").first.fill("Text utan rubrik.")
    hl.page.get_by_role("button", name="Spara utkast").click()
    summary = hl.page.get_by_role("alert")
    expect(summary).to_contain_text("Ange en rubrik.")
    expect(summary).to_contain_text("Ett delavsnitt med text måste ha en rubrik.")
    expect(hl.page.get_by_label("Rubrik", exact=True)).to_have_accessible_description(
        "Ange en rubrik."
    )
    hl.look("edit-errors")

    # The error summary's links take the focus to the field.
    summary.get_by_role("link", name="Ange en rubrik.").click()
    expect(hl.page.get_by_label("Rubrik", exact=True)).to_be_focused()

    hl.goto(f"/memos/{memo_id}/versions/1")
    hl.look("version")
    hl.goto("/")
    hl.page.get_by_role("link", name="Enskede-Årsta-Vantörs stadsdelsförvaltning").click()
    expect(hl.page.get_by_role("heading", level=2)).to_have_text("Medarbetare")
    hl.look("organisation")


def test_the_register_and_the_outbox(visit, live: Live):
    memo_in_state(live, "attesterad", "Registret har ett")
    reg = visit(live.registrator)
    reg.goto("/attesterade")
    expect(reg.page.get_by_role("table")).to_contain_text("Registret har ett")
    reg.look("register")
    reg.goto("/attesterade?q=Ingenting+matchar+detta")
    expect(reg.page.get_by_role("main")).to_contain_text("0 tjänsteutlåtanden matchar")
    reg.look("register-no-match")
    adm = visit(live.administrator)
    adm.goto("/utkorg")
    adm.look("outbox")


def test_error_pages(visit, live: Live):
    hl = visit(live.handlaggare)
    assert hl.goto("/attesterade").status == 403
    expect(hl.page.get_by_role("heading", level=1)).to_have_text("Åtkomst nekad")
    hl.look("403")
    assert hl.goto("/finns/inte").status == 404
    expect(hl.page.get_by_role("heading", level=1)).to_have_text("Sidan finns inte")
    hl.look("404")
    memo_id = memo_in_state(live, "hos_avdelningschef", "Fel metod")
    assert hl.goto(f"/memos/{memo_id}/returnera").status == 405
    hl.look("405")

    # A form whose security token is wrong (an old tab after logging in again, say).
    hl.goto(f"/memos/{memo_id}")
    with hl.page.expect_navigation():
        hl.page.evaluate(POST_FORM, [f"/memos/{memo_id}/aterkalla", {"csrf_token": "gammal"}])
    expect(hl.page.get_by_role("alert")).to_contain_text("säkerhetstoken")
    hl.look("400-csrf")
    assert csrf_token(hl.page)  # the error page still lets them log out

    anonymous = visit()
    assert anonymous.goto("/finns/inte").status == 404
    anonymous.look("404-logged-out")


def test_the_accessibility_statement_is_linked_from_every_footer(visit, live: Live):
    anonymous = visit()
    anonymous.goto("/auth/login")
    anonymous.page.get_by_role("contentinfo").get_by_role(
        "link", name="Tillgänglighetsredogörelse"
    ).click()
    statement = anonymous.page.get_by_role("main")
    expect(anonymous.page.get_by_role("heading", level=1)).to_have_text(
        "Tillgänglighetsredogörelse för attest"
    )
    expect(statement).to_contain_text("delvis förenlig")
    expect(statement).to_contain_text("Enskede-Årsta-Vantörs stadsdelsförvaltning")
    expect(statement.get_by_role("link", name=re.compile("Digg"))).to_have_attribute(
        "href", "https://www.digg.se/tdosanmalan"
    )
    anonymous.look("statement-logged-out")

    hl = visit(live.handlaggare)
    hl.page.get_by_role("contentinfo").get_by_role(
        "link", name="Tillgänglighetsredogörelse"
    ).click()
    expect(hl.page.get_by_role("main")).to_contain_text("08-508 14 000")
    expect(hl.page.get_by_role("main")).not_to_contain_text("Farsta")
    hl.look("statement")


def test_the_attester_reads_the_frozen_pdf_itself_and_attests_on_a_phone(visit, live: Live):
    """Every page of the frozen PDF, the bilaga's included, drawn by pdf.js from attest's own
    files under the strict CSP, beside the actions; on a phone they are a link away."""
    memo_id = memo_in_state(live, "hos_avdelningschef", "PDF:en i sidan", bilaga_pages=3)
    chef = visit(live.avdelningschef)
    problems: list[str] = []
    chef.page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    chef.page.on("pageerror", lambda error: problems.append(str(error)))
    frozen = chef.page.request.get(f"{live.url}/memos/{memo_id}/pdf")
    pages = len(PdfReader(io.BytesIO(frozen.body())).pages)
    assert pages >= 4  # the memo's own pages and the bilaga's three

    for width in (1280, PHONE["width"]):
        chef.page.set_viewport_size({"width": width, "height": PHONE["height"]})
        response = chef.goto(f"/memos/{memo_id}")
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        viewer = chef.page.locator(".pdf-pages")
        expect(viewer).to_have_attribute("data-pages", str(pages))
        expect(viewer.get_by_role("img")).to_have_count(pages)
        last = viewer.get_by_role("img", name=f"Sida {pages} av {pages}")
        # Drawn when it comes near the screen, and not blank: the bilaga's line of text.
        last.scroll_into_view_if_needed()
        expect(last).to_have_attribute("data-drawn", "true")
        assert last.locator("canvas").evaluate(INKED) > 100, f"page {pages} blank at {width} px"
        box = last.bounding_box()
        assert box["width"] <= width
    assert not problems, problems  # no CSP violation, no pdf.js error

    # On the phone the header is a menu that says who is logged in and opens from the
    # keyboard to "Logga ut".
    menu = chef.page.locator("summary", has_text="Meny")
    expect(menu).to_contain_text(live.avdelningschef.full_name)
    expect(chef.page.get_by_role("button", name="Logga ut")).to_be_hidden()
    menu.focus()
    chef.page.keyboard.press("Enter")
    expect(chef.page.get_by_role("button", name="Logga ut")).to_be_visible()
    chef.page.screenshot(path=str(SCREENSHOTS / "phone-menu-open.png"))
    chef.page.keyboard.press("Enter")

    # On the phone: from the top to the actions in one step, and attest there.
    chef.page.get_by_role("link", name="Till åtgärderna (Attestera, Returnera)").click()
    expect(chef.page.get_by_role("button", name="Attestera")).to_be_in_viewport()
    chef.page.get_by_label("Lösenord").fill(live.avdelningschef.password)
    chef.page.get_by_role("button", name="Attestera").click()
    expect(chef.page.get_by_role("status")).to_have_text("Du har attesterat tjänsteutlåtandet.")
    # The PDF the next attester signs: the same pages, with this attestation in them.
    expect(chef.page.locator(".pdf-pages")).to_have_attribute("data-pages", str(pages))
    chef.page.set_viewport_size({"width": 1280, "height": 900})
    chef.look("memo-pdf-after-attesting")
    assert not problems, problems


# The count of inked (not white) pixels on a canvas drawn by pdf.js.
INKED = """canvas => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] < 600) inked++;
  return inked;
}"""
