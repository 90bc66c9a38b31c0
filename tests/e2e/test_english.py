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

import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from playwright.sync_api import expect

from attest import blobs, db
from attest.i18n import COOKIE
from tests.support.browser import Live, Visit, memo_in_state
from tests.support.swedish import swedish_words

# Every text the person sees or hears, but not what is marked Swedish (the memo's content)
# or is code (an audit event's data).
INTERFACE_TEXT = """() => {
  const skip = 'script, style, template, textarea, code, pre, [lang="sv"]';
  const parts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement.closest(skip)) parts.push(node.textContent);
  }
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], [alt]')) {
    if (el.closest(skip)) continue;
    for (const name of ['aria-label', 'title', 'placeholder', 'alt']) {
      if (el.hasAttribute(name)) parts.push(el.getAttribute(name));
    }
  }
  for (const el of document.querySelectorAll('input[type=submit], input[type=button]')) {
    if (!el.closest(skip)) parts.push(el.value);
  }
  parts.push(document.title);
  return parts.join('\\n');
}"""


def data_words(live: Live) -> list[str]:
    """What people and the organisation wrote: it stays as written in any language."""
    from attest.audit.models import AuditEvent
    from attest.memos.models import Memo, MemoType, MemoVersion
    from attest.orgs.models import Organisation
    from attest.users.models import Role, User
    from attest.workflow.models import HistoryEntry, OutboxMail

    words: list[str] = []
    with live.app.app_context():
        session = db.session()
        for user in session.scalars(sa.select(User)):
            words += [user.full_name, user.username, user.title or "", user.department or ""]
            words += [user.email or ""]
        for org in session.scalars(sa.select(Organisation)):
            words += [org.code, org.name, org.short_name or "", org.board or ""]
            words += [org.letterhead or "", org.postal_address or "", org.website or ""]
        for version in session.scalars(sa.select(MemoVersion)):
            words += [version.rubrik, version.underrubrik or ""]
            words += [a.title for a in version.attachments]
        for memo in session.scalars(sa.select(Memo)):
            words += [memo.dnr or "", memo.diarium_dnr or ""]
        for entry in session.scalars(sa.select(HistoryEntry)):
            words.append(entry.comment or "")
        for memo_type in session.scalars(sa.select(MemoType)):
            words.append(memo_type.title)
        for role in session.scalars(sa.select(Role)):  # an organisation's own roles
            words.append(role.code)
        for mail in session.scalars(sa.select(OutboxMail)):  # the mails are Swedish
            words += [mail.subject, mail.to_address]
        words += list(session.scalars(sa.select(AuditEvent.event).distinct()))
    return words


def english(window: Visit) -> Visit:
    window.page.context.add_cookies([{"name": COOKIE, "value": "en", "url": window.live.url}])
    return window


def login(window: Visit, person: Any) -> None:
    page = window.page
    window.goto("/auth/login")
    page.get_by_label("Username").fill(person.username)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(person.full_name)


def stored_pdf(live: Live, memo_id: int) -> tuple[bytes, str]:
    from attest.workflow.models import Submission

    with live.app.app_context():
        submission = db.session().scalar(sa.select(Submission).where(Submission.memo_id == memo_id))
        pdf = blobs.store().get(submission.current_pdf_sha256)
        return pdf, submission.verification_code


class Walk:
    """The pages seen, and the Swedish words found on each."""

    def __init__(self, live: Live, *data: str) -> None:
        self.live = live
        self.data = list(data)  # more words of the data (a provider's configured name)
        self.found: dict[str, list[str]] = {}
        self.pages = 0

    def read(self, window: Visit, name: str) -> None:
        page = window.page
        page.wait_for_load_state()
        assert page.evaluate("document.documentElement.lang") == "en", f"{name}: not English"
        # The PDF's signature fields keep their names (attest-steg-1), and the certificates
        # of the seal and the timestamps theirs ("attest tidsstämpel EÅV"): data, in Swedish.
        text = re.sub(r"\battest-[\w-]+", " ", page.evaluate(INTERFACE_TEXT))
        text = re.sub(r"\battest (systemsigill|tidsstämpel) ", " ", text)
        words = swedish_words(text, data_words(self.live) + self.data)
        self.pages += 1
        if words:
            self.found[f"{name} ({page.url})"] = sorted(set(words))

    def visit(self, window: Visit, path: str, name: str = "") -> None:
        window.goto(path)
        self.read(window, name or path)


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
