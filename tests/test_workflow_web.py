"""The attestation workflow in the browser: the pages and forms a person uses, through the client.

Each test reads the page the way a person does: it finds a form by its button ("Skicka för
attest"), a field by its label ("Kommentar"), and submits what the page filled in.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Iterator

import pytest
import sqlalchemy as sa

from attest import db
from attest.memos.models import Memo
from attest.memos.operations import STALE_MEMO, DraftContent, create_memo
from attest.users import roles
from attest.users.operations import get_user
from attest.workflow.definition import TRANSITIONS, Action
from attest.workflow.models import HistoryEntry, OutboxMail
from attest.workflow.operations import attest_memo, submit_memo
from attest.workflow.substitutes import add_substitution
from tests import factories

ACTION_TITLES = {t.title for t in TRANSITIONS.values()}
WORKFLOW_URLS = ("skicka", "attestera", "returnera", "aterkalla")
RETURN_COMMENT = "Beskriv kostnaden för läxhjälpen\noch vem som betalar den."

# --- reading pages ----------------------------------------------------------------------

VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    children: list[Element | str] = field(default_factory=list)

    def iter(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list:
        return [
            e
            for e in self.iter()
            if (tag is None or e.tag == tag)
            and (cls is None or cls in (e.attrs.get("class") or "").split())
            and all(e.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Element:
        found = self.find_all(tag, cls, **attrs)
        assert found, f"no <{tag} class={cls} {attrs}> on the page"
        return found[0]

    @property
    def raw_text(self) -> str:
        return "".join(c if isinstance(c, str) else c.raw_text for c in self.children)

    @property
    def text(self) -> str:
        """What a reader sees, whitespace collapsed."""
        return " ".join(self.raw_text.split())


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in VOID_TAGS:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        for n in range(len(self.stack) - 1, 0, -1):
            if self.stack[n].tag == tag:
                del self.stack[n:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


class Page:
    def __init__(self, response) -> None:
        self.status = response.status_code
        self.url = response.request.path  # where a form without an action posts
        self.html = response.get_data(as_text=True)
        builder = _Builder()
        builder.feed(self.html)
        self.root = builder.root
        self.main = self.root.find("main")

    @property
    def text(self) -> str:
        return self.main.text

    def buttons(self) -> list[str]:
        """The labels of the buttons in the page's content."""
        return [
            e.attrs.get("value") or "" if e.tag == "input" else e.text
            for e in self.main.iter()
            if (e.tag == "input" and e.attrs.get("type") == "submit") or e.tag == "button"
        ]

    def form(self, button: str) -> Element:
        """The form submitted by the button labelled ``button``."""
        for form in self.main.find_all("form"):
            if button in Page._form_buttons(form):
                return form
        raise AssertionError(f"no form with the button {button!r}; buttons: {self.buttons()}")

    @staticmethod
    def _form_buttons(form: Element) -> list[str]:
        return [e.attrs.get("value") for e in form.find_all("input", type="submit")]

    def field(self, form: Element, label: str) -> Element:
        """The form's control labelled ``label`` (by <label for>)."""
        for element in form.find_all("label"):
            if element.text == label:
                return form.find(id=element.attrs["for"])
        raise AssertionError(f"no field labelled {label!r}")

    def table(self, cls: str) -> list[list[str]]:
        """The body rows of the table with this class, as the cells' texts."""
        table = self.main.find("table", cls)
        return [
            [cell.text for cell in row.find_all("td")] for row in table.find("tbody").find_all("tr")
        ]

    def flashes(self) -> list[str]:
        return [p.text for p in self.root.find_all("p", "flash")]


def form_values(form: Element) -> dict[str, str]:
    """What a browser would send for this form as it stands (without files or buttons)."""
    data: dict[str, str] = {}
    for element in form.iter():
        name = element.attrs.get("name")
        if not name:
            continue
        if element.tag == "input":
            kind = element.attrs.get("type") or "text"
            if kind in ("submit", "button", "file", "reset", "image"):
                continue
            if kind in ("checkbox", "radio") and "checked" not in element.attrs:
                continue
            data[name] = element.attrs.get("value") or ("on" if kind == "checkbox" else "")
        elif element.tag == "textarea":
            text = element.raw_text
            data[name] = text[2:] if text.startswith("\r\n") else text.removeprefix("\n")
        elif element.tag == "select":
            options = element.find_all("option")
            chosen = [o for o in options if "selected" in o.attrs] or options[:1]
            data[name] = chosen[0].attrs.get("value") or "" if chosen else ""
    return data


def selected_option(select: Element) -> str:
    chosen = [o.text for o in select.find_all("option") if "selected" in o.attrs]
    return chosen[0] if chosen else ""


class Browser:
    """A person at the browser: opens pages, fills in forms by label, presses buttons."""

    def __init__(self, client, auth) -> None:
        self.client = client
        self.auth = auth
        self.logged_in = False

    def login(self, person) -> None:
        self.logout()
        response = self.auth.login(person.username)
        assert response.status_code == 302, "login failed"
        self.logged_in = True

    def logout(self) -> None:
        if self.logged_in:
            self.auth.logout()
            self.logged_in = False

    def open(self, url: str, status: int = 200) -> Page:
        page = Page(self.client.get(url))
        assert page.status == status, (url, page.status, page.text[:300])
        return page

    def press(self, page: Page, button: str, fill: dict[str, str] | None = None, **overrides):
        """Fill in the form of ``button`` by label and submit it; return the response."""
        form = page.form(button)
        data = form_values(form)
        for label, value in (fill or {}).items():
            data[page.field(form, label).attrs["name"]] = value
        data.update(overrides)
        submit = form.find("input", type="submit")
        if submit.attrs.get("name"):
            data[submit.attrs["name"]] = submit.attrs["value"]
        kwargs: dict[str, Any] = {}
        if form.attrs.get("enctype") == "multipart/form-data":
            kwargs["content_type"] = "multipart/form-data"
        return self.client.post(form.attrs.get("action") or page.url, data=data, **kwargs)

    def press_and_follow(self, page: Page, button: str, fill=None, **overrides) -> Page:
        response = self.press(page, button, fill, **overrides)
        assert response.status_code == 302, (button, response.status_code)
        return self.open(response.headers["Location"])


def memo_id_from(location: str) -> int:
    match = re.fullmatch(r"/memos/(\d+)", location)
    assert match, location
    return int(match.group(1))


# --- fixtures and facts -----------------------------------------------------------------


@pytest.fixture
def browser(client, auth) -> Browser:
    return Browser(client, auth)


@dataclass(frozen=True)
class Facts:
    state: str
    lock_version: int
    history: list[tuple[str, str, int, str]]  # action, actor username, version, comment
    dnr: str


def facts(app, memo_id: int) -> Facts:
    with app.app_context():
        memo = db.session().get(Memo, memo_id)
        entries = db.session().scalars(
            sa.select(HistoryEntry).where(HistoryEntry.memo_id == memo_id).order_by(HistoryEntry.id)
        )
        return Facts(
            memo.state,
            memo.lock_version,
            [(e.action, e.actor.username, e.version_number, e.comment) for e in entries],
            memo.dnr,
        )


def outbox(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [
            (m.to_address, m.subject)
            for m in db.session().scalars(sa.select(OutboxMail).order_by(OutboxMail.id))
        ]


def sent_memo(app, author, rubrik: str = "Idéburet offentligt partnerskap") -> int:
    """A memo by ``author``, sent for attest with the preselected people."""
    with app.app_context():
        author = get_user(author.username)
        memo = create_memo(author, DraftContent(rubrik=rubrik, sammanfattning="Text."))
        submit_memo(memo, author)
        db.session().commit()
        return memo.id


def draft_memo(app, author, rubrik: str = "Ett utkast") -> int:
    with app.app_context():
        memo = create_memo(get_user(author.username), DraftContent(rubrik=rubrik))
        db.session().commit()
        return memo.id


def attested_memo(app, people, rubrik: str) -> int:
    memo_id = sent_memo(app, people.handlaggare, rubrik)
    with app.app_context():
        memo = db.session().get(Memo, memo_id)
        for person in (people.avdelningschef, people.stadsdelsdirektor):
            attest_memo(memo, get_user(person.username), password=factories.PASSWORD)
        db.session().commit()
    return memo_id


def new_memo_through_the_form(browser: Browser, rubrik: str, sammanfattning: str) -> int:
    page = browser.open("/memos/new")
    response = browser.press(
        page,
        "Spara utkast",
        {
            "Rubrik": rubrik,
            "Sammanfattning": sammanfattning,
            "Förvaltningens förslag till beslut": "Nämnden godkänner avtalet.",
        },
    )
    assert response.status_code == 302, Page(response).text[:500]
    return memo_id_from(response.headers["Location"])


def workflow_actions(page: Page) -> set[str]:
    return ACTION_TITLES & set(page.buttons())


# --- the whole route --------------------------------------------------------------------


def test_the_whole_route_send_return_revise_send_attest_attest(app, browser, people, clock):
    hl, ac, sd = people.handlaggare, people.avdelningschef, people.stadsdelsdirektor

    # The handläggare writes a memo and sends it, choosing who attests.
    browser.login(hl)
    memo_id = new_memo_through_the_form(
        browser, "Läxhjälp i Rågsved", "Läxhjälpen kostar 200 000 kronor per år."
    )
    url = f"/memos/{memo_id}"
    dnr = facts(app, memo_id).dnr
    page = browser.open(url)
    assert workflow_actions(page) == {"Skicka för attest"}
    assert page.table("route") == [
        ["1", "Avdelningschef", "Jenny Johansson"],
        ["2", "Stadsdelsdirektör", "Anders Carstorp"],
    ], "the planned route, without outcomes yet"
    form = page.form("Skicka för attest")
    assert selected_option(page.field(form, "Avdelningschef")) == "Jenny Johansson, Avdelningschef"
    assert (
        selected_option(page.field(form, "Stadsdelsdirektör"))
        == "Anders Carstorp, Stadsdelsdirektör"
    )
    page = browser.press_and_follow(page, "Skicka för attest")
    assert "Tjänsteutlåtandet är skickat för attest." in page.flashes()
    assert "Status: Hos avdelningschef (version 1)" in page.text
    assert workflow_actions(page) == {"Återkalla"}
    assert "Redigera" not in page.text

    # The avdelningschef finds it waiting for her, opens it and returns it with a comment.
    clock.advance(hours=2)
    browser.login(ac)
    start = browser.open("/")
    assert start.main.find("h2", id="att-attestera").text == "Att attestera"
    assert start.table("list")[0] == [
        dnr,
        "Läxhjälp i Rågsved",
        "Evelyn Garate Ormazabal",
        "2024-08-14 09:30",
    ]
    page = browser.open(start.main.find("a", href=url).attrs["href"])
    assert workflow_actions(page) == {"Attestera", "Returnera"}
    assert "Ändrat sedan" not in page.text
    assert page.field(page.form("Returnera"), "Kommentar").tag == "textarea"
    page = browser.press_and_follow(page, "Returnera", {"Kommentar": RETURN_COMMENT})
    assert "Tjänsteutlåtandet är returnerat till handläggaren." in page.flashes()
    assert workflow_actions(page) == set()
    assert "Inget väntar på dig." in browser.open("/").text

    # The handläggare sees the comment on top of the draft, revises it and sends it again.
    clock.advance(days=1)
    browser.login(hl)
    mine = browser.open("/").table("list")
    assert mine == [[dnr, "Läxhjälp i Rågsved", "Utkast", "2024-08-14 11:30"]]
    page = browser.open(url)
    notice = page.main.find("div", "return-notice")
    assert notice.find("h2").text == "Returnerat av Jenny Johansson 2024-08-14 11:30"
    assert notice.find("p").raw_text == RETURN_COMMENT
    assert page.html.index("return-notice") < page.html.index("memo-content")
    edit = browser.open(f"{url}/edit")
    response = browser.press(
        edit,
        "Spara utkast",
        {"Sammanfattning": "Läxhjälpen kostar 150 000 kronor per år. Nämnden betalar."},
    )
    assert response.status_code == 302
    page = browser.open(url)
    assert page.main.find_all("div", "return-notice"), "the comment stays until it is sent"
    page = browser.press_and_follow(page, "Skicka för attest")
    assert "Status: Hos avdelningschef (version 2)" in page.text
    assert not page.main.find_all("div", "return-notice")

    # The avdelningschef sees what changed since the version she returned, and attests.
    clock.advance(hours=1)
    browser.login(ac)
    page = browser.open(url)
    changes = page.main.find("section", "changes")
    assert changes.find("h3").text.startswith("Ändrat sedan version 1")
    assert [h.text for h in changes.find_all("h4")] == ["Sammanfattning"]
    diff = changes.find("p", "diff")
    assert [e.text for e in diff.find_all("del")] == ["200"]
    assert [e.text for e in diff.find_all("ins")] == ["150", "Nämnden betalar."]
    assert diff.text == "Läxhjälpen kostar 200 150 000 kronor per år. Nämnden betalar."
    assert workflow_actions(page) == {"Attestera", "Returnera"}
    page = browser.press_and_follow(page, "Attestera", password=factories.PASSWORD)
    assert "Du har attesterat tjänsteutlåtandet." in page.flashes()
    assert "Status: Hos stadsdelsdirektör (version 2)" in page.text
    assert workflow_actions(page) == set()

    # The stadsdelsdirektör, who never had version 1, attests last.
    clock.advance(hours=1)
    browser.login(sd)
    start = browser.open("/")
    assert [row[0] for row in start.table("list")] == [dnr]
    page = browser.open(url)
    assert not page.main.find_all("section", "changes"), "he saw no earlier version"
    assert workflow_actions(page) == {"Attestera", "Returnera"}
    page = browser.press_and_follow(page, "Attestera", password=factories.PASSWORD)
    assert "Status: Attesterad" in page.text
    assert workflow_actions(page) == set()
    assert page.table("route") == [
        ["1", "Avdelningschef", "Jenny Johansson", "Attesterad 2024-08-15 av Jenny Johansson"],
        ["2", "Stadsdelsdirektör", "Anders Carstorp", "Attesterad 2024-08-15 av Anders Carstorp"],
    ]
    assert page.table("history") == [
        ["2024-08-14 09:30", "Skickade för attest", "Evelyn Garate Ormazabal", "1", ""],
        [
            "2024-08-14 11:30",
            "Returnerade",
            "Jenny Johansson",
            "1",
            " ".join(RETURN_COMMENT.split()),
        ],
        ["2024-08-15 11:30", "Skickade för attest", "Evelyn Garate Ormazabal", "2", ""],
        ["2024-08-15 12:30", "Attesterade", "Jenny Johansson", "2", ""],
        ["2024-08-15 13:30", "Attesterade", "Anders Carstorp", "2", ""],
    ]
    assert facts(app, memo_id).state == "attesterad"

    # The registrator finds it among the attested memos, by Dnr and by a word of the rubrik.
    browser.login(people.registrator)
    assert "Attesterade" in browser.open("/").root.find("nav").text
    for query in ("", dnr, dnr.split()[-1], "rågsved", "LÄXHJÄLP"):
        register = browser.open(f"/attesterade?q={query}")
        assert register.table("list") == [
            [dnr, "Läxhjälp i Rågsved", "Evelyn Garate Ormazabal", "2024-08-15"]
        ], query
        if query:
            assert f"1 tjänsteutlåtande matchar ”{query}”." in register.text
        else:
            assert "1 attesterat tjänsteutlåtande." in register.text
    register = browser.open("/attesterade?q=Farsta")
    assert "0 tjänsteutlåtanden matchar ”Farsta”." in register.text
    assert not register.main.find_all("table")

    # The administrator reads the notifications in the outbox.
    browser.login(people.administrator)
    mails = browser.open("/utkorg").table("list")
    assert [(row[1], row[2]) for row in reversed(mails)] == [
        (ac.email, f"Att attestera: {dnr} Läxhjälp i Rågsved"),
        (hl.email, f"Returnerat: {dnr} Läxhjälp i Rågsved"),
        (ac.email, f"Att attestera: {dnr} Läxhjälp i Rågsved"),
        (sd.email, f"Att attestera: {dnr} Läxhjälp i Rågsved"),
        (hl.email, f"Attesterat: {dnr} Läxhjälp i Rågsved"),
    ]
    assert [row[3] for row in mails] == ["Inte ännu"] * 5, "no SMTP server in the tests"


def test_the_author_withdraws_a_pending_memo(app, browser, people):
    memo_id = sent_memo(app, people.handlaggare)
    url = f"/memos/{memo_id}"
    browser.login(people.handlaggare)
    page = browser.open(url)
    assert workflow_actions(page) == {"Återkalla"}
    page = browser.press_and_follow(page, "Återkalla")
    assert "Tjänsteutlåtandet är återkallat och är ett utkast igen." in page.flashes()
    assert "Status: Utkast" in page.text
    assert workflow_actions(page) == {"Skicka för attest"}
    assert page.table("history")[-1][1:4] == ["Återkallade", "Evelyn Garate Ormazabal", "1"]
    assert not page.main.find_all("div", "return-notice"), "a withdrawal is no return"
    browser.login(people.avdelningschef)
    assert "Inget väntar på dig." in browser.open("/").text
    assert workflow_actions(browser.open(url)) == set()


def test_an_acting_substitute_attests_for_the_assignee(app, browser, people, org):
    with app.app_context():
        deputy = factories.user(
            org, roles.HANDLAGGARE, username="petra", full_name="Petra Ersättare"
        )
        add_substitution(
            "petra",
            roles.AVDELNINGSCHEF,
            dt.date(2024, 8, 1),
            dt.date(2024, 8, 31),
            for_username=people.avdelningschef.username,
        )
        db.session().commit()
    memo_id = sent_memo(app, people.handlaggare, "Idéburet offentligt partnerskap")
    url = f"/memos/{memo_id}"

    browser.login(deputy)
    start = browser.open("/")
    rows = start.main.find("section", **{"aria-labelledby": "att-attestera"}).find("tbody")
    (row,) = rows.find_all("tr")
    assert row.find_all("td")[1].find("span", "tag").text == "t.f. för Jenny Johansson"
    page = browser.open(url)
    assert workflow_actions(page) == {"Attestera", "Returnera"}
    page = browser.press_and_follow(page, "Attestera", password=factories.PASSWORD)
    assert page.table("history")[-1][1:4] == [
        "Attesterade",
        "Petra Ersättare (t.f. för Jenny Johansson)",
        "1",
    ]
    assert page.table("route")[0][3] == (
        "Attesterad 2024-08-14 av Petra Ersättare (t.f. för Jenny Johansson)"
    )
    browser.login(people.avdelningschef)
    assert workflow_actions(browser.open(url)) == set(), "the step is taken"


# --- refusals ---------------------------------------------------------------------------


def test_with_two_holders_of_a_role_the_handlaggare_chooses_one(app, browser, people, org):
    with app.app_context():
        other_chef = factories.user(
            org, roles.AVDELNINGSCHEF, username="bo", full_name="Bo Andersson"
        )
        registrator_id = get_user(people.registrator.username).id
    memo_id = draft_memo(app, people.handlaggare)
    before = facts(app, memo_id)
    browser.login(people.handlaggare)
    page = browser.open(f"/memos/{memo_id}")
    form = page.form("Skicka för attest")
    chef = page.field(form, "Avdelningschef")
    assert [o.text for o in chef.find_all("option")] == [
        "Välj person",
        "Bo Andersson, Avdelningschef",
        "Jenny Johansson, Avdelningschef",
    ]
    assert form_values(form)[chef.attrs["name"]] == ""

    # Not choosing, or choosing someone who cannot attest, brings the form back with why.
    for value, error in (
        ("", "Välj vem som ska attestera som avdelningschef."),
        (str(registrator_id), "Den valda personen kan inte attestera som avdelningschef."),
    ):
        response = browser.press(page, "Skicka för attest", {"Avdelningschef": value})
        assert response.status_code == 400
        refused = Page(response)
        field = refused.field(refused.form("Skicka för attest"), "Avdelningschef")
        assert field.attrs["aria-invalid"] == "true"
        assert refused.main.find(id=field.attrs["aria-describedby"]).text == error
        assert refused.main.find("div", "error-summary").find("a", href="#step_1").text == error
        assert facts(app, memo_id) == before

    page = browser.press_and_follow(
        refused, "Skicka för attest", {"Avdelningschef": str(other_chef.id)}
    )
    assert page.table("route")[0][:3] == ["1", "Avdelningschef", "Bo Andersson"]
    browser.login(other_chef)
    assert [row[0] for row in browser.open("/").table("list")] == [before.dnr]
    browser.login(people.avdelningschef)
    assert "Inget väntar på dig." in browser.open("/").text


def test_returning_without_a_comment_shows_the_form_with_the_error(app, browser, people):
    memo_id = sent_memo(app, people.handlaggare)
    before = facts(app, memo_id)
    browser.login(people.avdelningschef)
    page = browser.open(f"/memos/{memo_id}")
    response = browser.press(page, "Returnera", {"Kommentar": "  \n "})
    assert response.status_code == 400
    refused = Page(response)
    form = refused.form("Returnera")
    comment = refused.field(form, "Kommentar")
    hint, error = [refused.main.find(id=i) for i in comment.attrs["aria-describedby"].split()]
    assert hint.text.startswith("Skriv vad handläggaren behöver ändra.")
    assert error.text == "Skriv en kommentar som förklarar varför tjänsteutlåtandet returneras."
    assert comment.attrs["aria-invalid"] == "true"
    summary = refused.main.find("div", "error-summary")
    assert summary.find("a", href=f"#{comment.attrs['id']}").text == error.text
    assert form_values(form)["lock_version"] == str(before.lock_version)
    assert refused.main.find("a", href=f"/memos/{memo_id}")
    assert facts(app, memo_id) == before


def test_a_stale_form_is_a_conflict_with_a_swedish_message(app, browser, people):
    """Two tabs: attested in one; the other's older form is refused, nothing written."""
    memo_id = sent_memo(app, people.handlaggare)
    browser.login(people.avdelningschef)
    first_tab = browser.open(f"/memos/{memo_id}")
    second_tab = browser.open(f"/memos/{memo_id}")
    browser.press_and_follow(first_tab, "Attestera", password=factories.PASSWORD)
    after_attest = facts(app, memo_id)
    response = browser.press(second_tab, "Returnera", {"Kommentar": "Nej."})
    assert response.status_code == 409
    refused = Page(response)
    assert refused.main.find("h1").text == "Konflikt"
    assert STALE_MEMO in refused.text
    assert facts(app, memo_id) == after_attest
    back = refused.main.find("a", href=f"/memos/{memo_id}")
    assert back.text == f"Öppna {after_attest.dnr} som det ser ut nu"


def test_sending_a_draft_changed_since_the_page_was_opened_is_a_conflict(app, browser, people):
    """Sending must send what the handläggare saw: an edit in another tab makes it stale."""
    memo_id = draft_memo(app, people.handlaggare)
    browser.login(people.handlaggare)
    first_tab = browser.open(f"/memos/{memo_id}")
    edit = browser.open(f"/memos/{memo_id}/edit")
    assert browser.press(edit, "Spara utkast", {"Bakgrund": "Ny text."}).status_code == 302
    before = facts(app, memo_id)
    response = browser.press(first_tab, "Skicka för attest")
    assert response.status_code == 409
    assert STALE_MEMO in Page(response).text
    assert facts(app, memo_id) == before
    page = browser.press_and_follow(browser.open(f"/memos/{memo_id}"), "Skicka för attest")
    assert "Status: Hos avdelningschef (version 2)" in page.text


@pytest.fixture
def other_memo_id(app):
    """A memo of another organisation, waiting at its avdelningschef."""
    with app.app_context():
        other = factories.people(factories.organisation("FAR", name="Farsta stadsdelsförvaltning"))
    return sent_memo(app, other.handlaggare)


@pytest.mark.parametrize("action", WORKFLOW_URLS)
def test_workflow_posts_for_another_organisations_memo_are_not_found(
    app, browser, people, other_memo_id, action
):
    before = facts(app, other_memo_id)
    for person in (people.handlaggare, people.avdelningschef):
        browser.login(person)
        response = browser.auth.post(
            f"/memos/{other_memo_id}/{action}",
            {"comment": "x", "password": factories.PASSWORD},
        )
        assert response.status_code == 404
        assert "Tjänsteutlåtandet finns inte." in Page(response).text
    assert facts(app, other_memo_id) == before


@pytest.mark.parametrize(
    "action, who, reason",
    [
        ("skicka", "avdelningschef", "Bara handläggaren som skrev tjänsteutlåtandet kan göra det."),
        ("attestera", "handlaggare", "Du kan inte attestera ditt eget tjänsteutlåtande."),
        (
            "attestera",
            "stadsdelsdirektor",
            "Det här steget ska attesteras av Jenny Johansson (avdelningschef).",
        ),
        (
            "returnera",
            "registrator",
            "Det här steget ska attesteras av Jenny Johansson (avdelningschef).",
        ),
        (
            "aterkalla",
            "avdelningschef",
            "Bara handläggaren som skrev tjänsteutlåtandet kan göra det.",
        ),
    ],
)
def test_workflow_posts_by_a_person_not_allowed_are_forbidden_with_the_reason(
    app, browser, people, action, who, reason
):
    author = people.handlaggare
    memo_id = draft_memo(app, author) if action == "skicka" else sent_memo(app, author)
    before = facts(app, memo_id)
    browser.login(getattr(people, who))
    page = browser.open(f"/memos/{memo_id}")
    assert TRANSITIONS[Action(action)].title not in page.buttons(), "not offered, refused"
    response = browser.auth.post(
        f"/memos/{memo_id}/{action}",
        {
            "comment": "Synpunkt.",
            "password": factories.PASSWORD,
            "lock_version": str(before.lock_version),
        },
        page=f"/memos/{memo_id}",
    )
    assert response.status_code == 403
    refused = Page(response)
    assert refused.main.find("h1").text == "Åtkomst nekad"
    assert reason in refused.text
    assert facts(app, memo_id) == before


@pytest.mark.parametrize("action", WORKFLOW_URLS)
def test_a_workflow_post_without_csrf_token_is_refused(app, browser, people, action):
    memo_id = draft_memo(app, people.handlaggare) if action == "skicka" else None
    memo_id = memo_id or sent_memo(app, people.handlaggare)
    before = facts(app, memo_id)
    person = people.handlaggare if action in ("skicka", "aterkalla") else people.avdelningschef
    browser.login(person)
    response = browser.client.post(
        f"/memos/{memo_id}/{action}", data={"comment": "x", "password": factories.PASSWORD}
    )
    assert response.status_code == 400
    assert "säkerhetstoken saknas eller är ogiltig" in Page(response).text
    assert facts(app, memo_id) == before


@pytest.mark.parametrize("action", WORKFLOW_URLS)
def test_the_workflow_urls_take_only_post(app, browser, people, action):
    memo_id = sent_memo(app, people.handlaggare)
    browser.login(people.avdelningschef)
    page = browser.open(f"/memos/{memo_id}/{action}", status=405)
    assert page.main.find("h1").text == "Metoden är inte tillåten"


def test_the_register_is_for_the_registrator_and_the_outbox_for_the_administrator(browser, people):
    for person in (people.handlaggare, people.avdelningschef, people.administrator):
        browser.login(person)
        assert browser.open("/attesterade", status=403).main.find("h1").text == "Åtkomst nekad"
        assert "Attesterade" not in browser.open("/").root.find("nav").text
    for person in (people.handlaggare, people.stadsdelsdirektor, people.registrator):
        browser.login(person)
        assert browser.open("/utkorg", status=403).main.find("h1").text == "Åtkomst nekad"
        assert "Utkorg" not in browser.open("/").root.find("nav").text
    browser.login(people.registrator)
    assert "Inga tjänsteutlåtanden är attesterade ännu." in browser.open("/attesterade").text
    browser.logout()
    for url in ("/attesterade", "/utkorg"):
        response = browser.client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_register_pages(app, browser, people):
    app.config["REGISTER_PAGE_SIZE"] = 2
    for n in range(1, 4):
        attested_memo(app, people, f"Ärende nummer {n}")
    browser.login(people.registrator)
    first = browser.open("/attesterade")
    assert "3 attesterade tjänsteutlåtanden." in first.text
    assert len(first.table("list")) == 2
    pages = first.main.find("nav", "pagination")
    assert "Sida 1 av 2" in pages.text
    second = browser.open(pages.find("a").attrs["href"])
    assert [row[1] for row in second.table("list")] == ["Ärende nummer 1"]
    assert second.main.find("nav", "pagination").find("a").text == "Föregående"


@pytest.mark.parametrize("action", WORKFLOW_URLS)
@pytest.mark.parametrize("lock_version", [None, "", "1; DROP", "-1"])
def test_a_workflow_post_must_say_which_version_it_was_taken_on(
    app, browser, people, action, lock_version
):
    """An action is taken on the version the person saw or not at all: a post without that
    version (a hand-made request) is refused, never taken on whatever is current."""
    memo_id = draft_memo(app, people.handlaggare) if action == "skicka" else None
    memo_id = memo_id or sent_memo(app, people.handlaggare)
    before = facts(app, memo_id)
    person = people.handlaggare if action in ("skicka", "aterkalla") else people.avdelningschef
    browser.login(person)
    data = {"comment": "Synpunkt.", "password": factories.PASSWORD}
    if lock_version is not None:
        data["lock_version"] = lock_version
    response = browser.auth.post(f"/memos/{memo_id}/{action}", data, page=f"/memos/{memo_id}")
    assert response.status_code == 400
    assert "Formuläret är ofullständigt; ladda om sidan." in Page(response).text
    assert facts(app, memo_id) == before
