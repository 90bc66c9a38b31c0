"""English mode, every page: no Swedish in the interface, only in what people wrote.

Each person walks the pages their role reaches, in Chromium with the language cookie set to
English: the start page and lists, a memo in each state, the forms and their validation
errors, a verification and its report, the public /v/<code> page, the administration, and
the 403 and 404 pages. On each, every text node and every text a screen reader or a button
shows (aria-label, title, placeholder, alt, input values) is read, and a Swedish word there
fails the test, unless it is one of the words of the data itself: names, the organisation,
the memos' text, comments, memo types, Dnr, e-mails in the outbox and audit event names.
What is marked lang="sv" (the memo's own content, the language switch) is the memo's or
Swedish by intent and is not read.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.support.browser import Live, memo_in_state
from tests.support.english import Walk, english, login, stored_pdf


def test_english_mode_has_no_swedish_interface_text(visit, live: Live, tmp_path: Path):
    draft = memo_in_state(live, "utkast", "Läxhjälp i biblioteket")
    waiting = memo_in_state(live, "hos_avdelningschef", "Fritidsgård på lördagar")
    returned = memo_in_state(live, "returnerad", "Utökad städning i parkerna")
    attested = memo_in_state(live, "attesterad", "Kolloverksamhet sommaren 2025")
    walk = Walk(live)

    # Nobody logged in: the login page, its errors, the public verification link.
    anyone = english(visit())
    walk.visit(anyone, "/auth/login", "login")
    anyone.page.get_by_role("button", name="Log in").click()
    walk.read(anyone, "login, nothing filled in")
    anyone.page.get_by_label("Username").fill(live.handlaggare.username)
    anyone.page.get_by_label("Password").fill("not the password")
    anyone.page.get_by_role("button", name="Log in").click()
    walk.read(anyone, "login, wrong password")
    pdf, code = stored_pdf(live, attested)
    walk.visit(anyone, f"/v/{code}", "public verification")
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(pdf)
    anyone.page.get_by_label("Your PDF file").set_input_files(str(copy))
    anyone.page.get_by_role("button", name="Compare").click()
    walk.read(anyone, "public verification, a copy compared")
    walk.visit(anyone, "/v", "verification code form")
    walk.visit(anyone, "/tillganglighet", "accessibility statement")
    walk.visit(anyone, "/finns-inte", "404")

    # The handläggare: lists, every state of a memo, the forms and their errors.
    author = english(visit())
    login(author, live.handlaggare)
    walk.read(author, "start page")
    for memo_id in (draft, waiting, returned, attested):
        walk.visit(author, f"/memos/{memo_id}")
    walk.visit(author, f"/memos/{draft}/edit", "edit a draft")
    walk.visit(author, f"/memos/{draft}/versions/1", "a version")
    walk.visit(author, "/memos/new", "new memo")
    author.page.get_by_role("button", name="Save draft").click()
    walk.read(author, "new memo, nothing filled in")
    walk.visit(author, "/memos/sok?q=sommaren", "search")
    walk.visit(author, f"/organisation/{live_org_code(live)}", "the organisation's people")
    walk.visit(author, "/konto/losenord", "change password")
    author.page.get_by_role("button", name="Change password").click()
    walk.read(author, "change password, nothing filled in")
    walk.visit(author, "/attesterade", "403")

    # The avdelningschef: the memo to attest, a wrong password, a return without a comment.
    chef = english(visit())
    login(chef, live.avdelningschef)
    walk.read(chef, "start page with a memo to attest")
    walk.visit(chef, f"/memos/{waiting}", "memo to attest")
    chef.page.get_by_label("Password").fill("not my password")
    chef.page.get_by_role("button", name="Attest").click()
    walk.read(chef, "attest, wrong password")
    walk.visit(chef, f"/memos/{waiting}", "memo to attest")
    chef.page.get_by_role("button", name="Return").click()
    walk.read(chef, "return without a comment")

    # The registrator: the register, a verification and its report, the bulk check.
    registrator = english(visit())
    login(registrator, live.registrator)
    walk.visit(registrator, "/attesterade", "register")
    walk.visit(registrator, "/verifiera", "verify")
    registrator.page.get_by_role("button", name="Verify", exact=True).click()
    walk.read(registrator, "verify, no file")
    registrator.page.get_by_label("PDF file").set_input_files(str(copy))
    registrator.page.get_by_role("button", name="Verify", exact=True).click()
    expect(registrator.page.get_by_role("main")).to_contain_text("Valid")
    walk.read(registrator, "verification report")
    walk.visit(registrator, "/verifiera/alla", "verify all")
    registrator.page.get_by_role("button", name="Verify all").click()
    walk.read(registrator, "verify all, no date")
    registrator.page.get_by_label("From").fill("2024-01-01")
    registrator.page.get_by_role("button", name="Verify all").click()
    walk.read(registrator, "verify all, the report")

    # The administrator: every page of the administration.
    admin = english(visit())
    login(admin, live.administrator)
    for path in (
        "/admin/",
        "/admin/anvandare",
        "/admin/anvandare/ny",
        f"/admin/anvandare/{person_id(live, live.handlaggare.username)}",
        "/admin/roller",
        "/admin/tf",
        "/admin/organisation/",
        "/admin/memotyper/",
        "/admin/granskningslogg/",
        "/admin/api/",
        "/admin/api/leveranser",
        "/utkorg",
    ):
        walk.visit(admin, path)
    walk.visit(admin, "/admin/anvandare/ny", "new person")
    admin.page.get_by_role("button", name="Add user").click()
    walk.read(admin, "new person, nothing filled in")
    walk.visit(admin, "/admin/roller", "roles")
    admin.page.get_by_role("button", name="Add role").click()
    walk.read(admin, "add a role, nothing filled in")

    assert walk.pages >= 45
    report = "\n".join(f"  {page}: {', '.join(words)}" for page, words in walk.found.items())
    assert not walk.found, f"Swedish in English mode:\n{report}"


def live_org_code(live: Live) -> str:
    from attest.users.operations import get_user

    with live.app.app_context():
        return get_user(live.handlaggare.username).organisation.code


def person_id(live: Live, username: str) -> int:
    from attest.users.operations import get_user

    with live.app.app_context():
        return get_user(username).id
