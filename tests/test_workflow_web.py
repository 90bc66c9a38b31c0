"""The attestation workflow in the browser: the pages and forms a person uses, through the client.

Each test reads the page the way a person does: it finds a form by its button ("Skicka för
attest"), a field by its label ("Kommentar"), and submits what the page filled in.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from attest import db
from attest.memos.operations import STALE_MEMO
from attest.users import roles
from attest.users.operations import get_user
from attest.workflow.definition import TRANSITIONS, Action
from attest.workflow.substitutes import add_substitution, end_substitution
from tests.support import factories
from tests.support.memos import attested_memo, draft_memo, facts, sent_memo
from tests.support.web import Browser, Page, form_values, memo_id_from, selected_option

ACTION_TITLES = {t.title for t in TRANSITIONS.values()}
WORKFLOW_URLS = ("skicka", "attestera", "returnera", "aterkalla")
RETURN_COMMENT = "Beskriv kostnaden för läxhjälpen\noch vem som betalar den."

# --- fixtures and facts -----------------------------------------------------------------


@pytest.fixture
def browser(client, auth) -> Browser:
    return Browser(client, auth)


def new_memo_through_the_form(browser: Browser, rubrik: str, sammanfattning: str) -> int:
    page = browser.open("/memos/new")
    response = browser.press(
        page,
        "Spara utkast",
        {
            "Rubrik": rubrik,
            "Sammanfattning": sammanfattning,
            "Förvaltningens förslag till beslut": "Nämnden godkänner avtalet.",
            "Sammanträdesdatum": "2024-09-19",
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
    assert workflow_actions(page) == set(), "Återkalla asks to confirm on its own page"
    assert page.main.find("a", href=f"{url}/aterkalla").text == "Återkalla …"
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
    assert mine == [[dnr, "Läxhjälp i Rågsved", "Returnerad", "2024-08-14 11:30"]]
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
    assert workflow_actions(page) == set()
    confirm = browser.open(page.main.find("a", href=f"{url}/aterkalla").attrs["href"])
    assert "Vill du återkalla tjänsteutlåtandet?" in confirm.text
    assert "Avbryt" in [a.text for a in confirm.main.find_all("a", href=url)]
    page = browser.press_and_follow(confirm, "Återkalla")
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


def test_a_substitution_given_or_ended_while_logged_in_shows_on_the_next_page(
    app, browser, people, org
):
    """Whether a person holds a substitution is read with each page's session, never kept
    from the login: the worklist shows the t.f. step on the next page once it is given, and
    not once it is ended."""
    from attest import clock

    with app.app_context():
        deputy = factories.user(
            org, roles.HANDLAGGARE, username="petra", full_name="Petra Ersättare"
        )
    sent_memo(app, people.handlaggare, "Idéburet offentligt partnerskap")

    def waiting() -> list[str]:
        page = browser.open("/")
        assert page.main.find("h1").text.startswith("Välkommen"), "still logged in"
        sections = page.main.find_all("section", **{"aria-labelledby": "att-attestera"})
        return [r.text for s in sections for r in s.find_all("tr")[1:]]

    browser.login(deputy)
    assert waiting() == []
    with app.app_context():
        today = clock.today()
        add_substitution(
            "petra",
            roles.AVDELNINGSCHEF,
            today,
            today + dt.timedelta(days=1),
            for_username=people.avdelningschef.username,
        )
        db.session().commit()
    (row,) = waiting()
    assert "t.f. för Jenny Johansson" in row
    with app.app_context():
        end_substitution("petra", roles.AVDELNINGSCHEF)
        db.session().commit()
    assert waiting() == []


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
    assert str(STALE_MEMO) in refused.text
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
    assert str(STALE_MEMO) in Page(response).text
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


# Återkalla answers a GET with the page that asks to confirm it (tests/test_drafts.py).
@pytest.mark.parametrize("action", ("skicka", "attestera", "returnera"))
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


def test_a_person_with_two_roles_has_both_on_every_page(app, browser, org):
    """The session row, the person and all their roles come in one query (a row per role):
    every role is loaded, not only the first row's."""
    with app.app_context():
        both = factories.enrolled_user(
            "registrator-admin",
            organisation_code=org.code,
            roles=["registrator", "administrator"],
            full_name="Två Roller",
        )
    browser.login(both)
    start = browser.open("/")
    assert "Registrator" in start.html and "Administratör" in start.html
    assert 'href="/admin/"' in start.html or 'href="/admin"' in start.html  # administrator
    browser.open("/attesterade")  # the register: a registrator's page


def test_the_start_page_reads_the_session_once_and_its_worklist_in_one_query(
    app, browser, people, clock
):
    """Per-request work on the start page: the session row once (not for the expiry check,
    the user and the idle clock each), with the person, their roles and whether they hold a
    substitution in the same query; the worklist's memos, versions and authors in one,
    however many wait; and no query for substitutions the person does not hold."""
    from sqlalchemy import event

    from attest.db import engine_of

    for n in range(3):
        sent_memo(app, people.handlaggare, f"Väntar {n}")
    browser.login(people.avdelningschef)
    browser.open("/")  # the session's last-seen time is written at most once a minute
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(engine_of(app), "before_cursor_execute", count)
    try:
        start = browser.open("/")
    finally:
        event.remove(engine_of(app), "before_cursor_execute", count)
    assert len(start.table("list")) == 3
    # The table each SELECT reads: its last FROM (the session row's query has an EXISTS on
    # substitutions among its columns, before its own FROM).
    tables = [re.findall(r" FROM (\w+)", s)[-1] for s in statements if s.startswith("SELECT")]
    assert tables.count("login_sessions") == 1, statements
    session_row = next(s for s in statements if " FROM login_sessions " in s)
    assert "EXISTS (SELECT * FROM substitutions" in session_row, session_row
    assert "substitutions" not in tables, "the worklist of one who holds no substitution"
    assert " JOIN users " in session_row and " JOIN user_roles " in session_row, session_row
    assert "users" not in tables, "the person comes with the session row"
    assert "user_roles" not in tables and "memo_versions" not in tables
    assert tables.count("submissions") == 1, "the worklist: one query"
