"""axe-core on every page in every state the other e2e tests do not walk through.

Each page is screenshot to tests/screenshots/ and must have no serious or critical axe
violation (WCAG 2.1 AA and axe's best practices); the lesser ones are listed in
tests/screenshots/axe-report.json.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.browser import POST_FORM, ROLES, Live, csrf_token, memo_in_state

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
