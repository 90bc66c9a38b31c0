"""The English walk of the browser tests: what a page shows as interface text, the words
people wrote (which stay as written), and a walk that reads each page and collects the
Swedish words it finds (tests/support/swedish.py)."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from playwright.sync_api import expect

from attest import blobs, db
from attest.i18n import COOKIE
from tests.support.browser import Live, Visit
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
