"""The administrator's API pages and the API's documentation page, in Chromium: a token
made and shown once, the delivery log, the OpenAPI page under the strict CSP."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.browser import Live


def test_the_administrator_makes_a_token_and_reads_the_delivery_log(visit, live: Live):
    adm = visit(live.administrator)
    adm.goto("/")
    adm.page.get_by_role("link", name="API och webhooks").click()
    expect(adm.page.get_by_role("heading", level=1)).to_have_text("API och webhooks")
    adm.look("api-admin")
    adm.page.get_by_label("Namn").fill("Diariet")
    adm.page.get_by_label("memos:read", exact=False).check()
    adm.page.get_by_role("button", name="Skapa token").click()
    expect(adm.page.get_by_role("status")).to_contain_text("Token Diariet är skapad")
    secret = adm.page.locator("code.secret").inner_text()
    assert secret.startswith("attest_")
    adm.look("api-token-created")
    adm.goto("/admin/api/")
    expect(adm.page.get_by_role("table").first).to_contain_text("Diariet")
    assert secret not in adm.page.content()
    adm.goto("/admin/api/leveranser")
    expect(adm.page.get_by_role("heading", level=1)).to_have_text("Leveranslogg")
    adm.look("api-deliveries")


def test_the_api_documentation_page_needs_no_script(visit, live: Live):
    reader = visit()
    errors: list[str] = []
    reader.page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    assert reader.goto("/api/v1/docs").status == 200
    expect(reader.page.get_by_role("heading", level=1)).to_contain_text("attest API")
    expect(reader.page.get_by_role("heading", name="POST /api/v1/memos/")).to_have_count(1)
    # No script of its own: only attest.js, every page's (it labels table cells on a phone;
    # the page reads the same without it).
    assert reader.page.locator("script:not([src='/static/attest.js'])").count() == 0
    assert errors == []  # nothing the CSP had to block
    reader.look("api-docs")
