"""English chosen in the header: the pages say it (lang="en"), and stay accessible."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.browser import Live, memo_in_state


def test_english_in_the_browser(visit, live: Live):
    memo_id = memo_in_state(live, "hos_avdelningschef", "Läxhjälp på engelska")
    window = visit()
    window.goto("/auth/login")
    page = window.page
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    english = page.get_by_role("button", name="English")
    expect(english).to_have_attribute("lang", "en")
    english.click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    window.look("login-english")
    page.get_by_label("Username").fill(live.avdelningschef.username)
    page.get_by_label("Password").fill(live.avdelningschef.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Jenny Johansson")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    worklist = page.get_by_role("region", name="To attest")
    expect(worklist).to_contain_text("Läxhjälp på engelska")  # the memo's own words stay
    window.look("start-english")

    window.goto(f"/memos/{memo_id}")
    panel = page.get_by_role("region", name="Attestation")
    expect(panel).to_contain_text("Status: With the head of department (version 1)")
    expect(page.get_by_role("table", name="Attestation order")).to_contain_text(
        "Waiting for attestation"
    )
    password = page.get_by_label("Password")
    expect(password).to_have_accessible_description(
        "Your own password. It unlocks your personal key for the signature."
    )
    window.look("memo-english")

    password.fill("not my password")
    page.get_by_role("button", name="Attest").click()
    expect(page.get_by_role("alert")).to_contain_text("“Attest” could not be carried out:")
    window.look("wrong-password-english")

    page.get_by_role("contentinfo").get_by_role("link", name="Accessibility statement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accessibility statement for attest")
    expect(page.get_by_role("main")).to_contain_text("partially compliant")
    window.look("statement-english")

    svenska = page.get_by_role("button", name="Svenska")
    expect(svenska).to_have_attribute("lang", "sv")
    svenska.click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Tillgänglighetsredogörelse för attest"
    )
