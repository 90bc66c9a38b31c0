"""Finding memos: everyone searches what they may open, and nothing else; attesters find
what they attested or returned ("Hanterade av mig")."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from attest import db
from attest.memos.models import Memo
from attest.users.operations import get_user
from attest.workflow.operations import attest_memo, delete_draft, return_memo
from tests.support import factories
from tests.support.memos import draft_memo, facts, sent_memo
from tests.support.web import Browser, Page


def _found(browser: Browser, **query: str) -> list[str]:
    """The rubriks the search page lists for the query."""
    url = "/memos/sok?" + "&".join(f"{k}={v}" for k, v in query.items())
    page = browser.open(url)
    table = page.main.find_all("table", "search-results")
    return sorted(row[1] for row in page.table("search-results")) if table else []


@pytest.fixture
def memos(app, people, clock):
    """Our organisation's memos in every state, one deleted, and another organisation's."""
    hl = people.handlaggare
    made = {"draft": draft_memo(app, hl, "Läxhjälp 50% rabatt")}
    clock.advance(days=2)
    made["returned"] = sent_memo(app, hl, "Läxhjälp i Rågsved")
    made["sent"] = sent_memo(app, hl, "Läxhjälp 500 kronor")
    made["deleted"] = draft_memo(app, hl, "Läxhjälp som raderades")
    with app.app_context():
        session = db.session()
        chef = get_user(people.avdelningschef.username)
        return_memo(session.get(Memo, made["returned"]), chef, "Mer om kostnaden.")
        attest_memo(session.get(Memo, made["sent"]), chef, password=factories.PASSWORD)
        delete_draft(session.get(Memo, made["deleted"]), get_user(hl.username))
        other = factories.organisation("FAR", name="Farsta stadsdelsförvaltning", board="Farsta")
        stranger = factories.user(other, "handlaggare", username="hl-FAR")
        factories.user(other, "avdelningschef", username="ac-FAR")
        factories.memo(stranger, rubrik="Läxhjälp i Farsta")
        session.commit()
    return made


def test_everyone_finds_what_they_may_open_and_nothing_else(app, client, auth, people, memos):
    browser = Browser(client, auth)
    ours = ["Läxhjälp 50% rabatt", "Läxhjälp 500 kronor", "Läxhjälp i Rågsved"]
    for person in (people.registrator, people.avdelningschef):
        browser.login(person)
        assert _found(browser, q="läxhjälp") == ours, "not Farsta's, not the deleted"
        assert _found(browser, q="RAGSVED") == [], "no accent folding: the text as written"
        # A wildcard is a character: "50%" is not "50 anything" (500 kronor).
        assert _found(browser, q="50%25") == ["Läxhjälp 50% rabatt"]
        assert _found(browser, q="l_xhj") == []
        assert _found(browser, state="attesterad") == []
        assert _found(browser, state="attest") == ["Läxhjälp 500 kronor"]
        assert _found(browser, q="2024/1") == ["Läxhjälp 50% rabatt"]
        # The period is of the last change, in Stockholm days.
        assert _found(browser, start="2024-08-16") == ["Läxhjälp 500 kronor", "Läxhjälp i Rågsved"]
        assert _found(browser, end="2024-08-15") == ["Läxhjälp 50% rabatt"]

    # Another organisation's people see only their own, whatever they search for.
    browser.login(SimpleNamespace(username="ac-FAR"))
    assert _found(browser, q="läxhjälp") == ["Läxhjälp i Farsta"]
    assert _found(browser, q=facts(app, memos["sent"]).dnr.replace(" ", "+")) == []
    assert _found(browser, state="attest") == []
    browser.logout()

    # Without a login: the login page, nothing of any memo.
    response = client.get("/memos/sok?q=läxhjälp")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_attesters_find_what_they_attested_or_returned(app, client, auth, people, memos):
    browser = Browser(client, auth)
    browser.login(people.avdelningschef)
    page = browser.open("/memos/sok?mine=y")
    assert page.field(page.form("Sök"), "Hanterade av mig (attesterade eller returnerade)")
    assert _found(browser, mine="y") == ["Läxhjälp 500 kronor", "Läxhjälp i Rågsved"]
    statuses = {row[1]: row[3] for row in page.table("search-results")}
    assert statuses == {
        "Läxhjälp 500 kronor": "Hos stadsdelsdirektör",
        "Läxhjälp i Rågsved": "Returnerad",
    }

    browser.login(people.stadsdelsdirektor)
    assert _found(browser, mine="y") == [], "nothing handled by him yet"

    # The handläggare attests nothing: no such choice for her, and a crafted one is ignored.
    browser.login(people.handlaggare)
    page = browser.open("/memos/sok?mine=y")
    assert "Hanterade av mig" not in page.text
    assert len(_found(browser, mine="y")) == 3


def test_a_bad_period_is_said_and_searches_nothing(client, auth, people):
    browser = Browser(client, auth)
    browser.login(people.registrator)
    page = Page(client.get("/memos/sok?start=2024-08-20&end=2024-08-10"))
    assert page.status == 400
    assert "Perioden slutar innan den börjar." in page.main.find("div", "error-summary").text
    page = Page(client.get("/memos/sok?start=igår"))
    assert page.status == 400 and "Ange datumet som ÅÅÅÅ-MM-DD." in page.text
    long_query = "x" * 201
    assert client.get(f"/memos/sok?q={long_query}").status_code == 400


def test_the_search_reads_every_text_of_the_memo(app, client, auth, people):
    """A word that stands only in a section, or in a subsection's title or text, finds the
    memo: the search reads the whole memo, not only its rubrik and sammanfattning."""
    with app.app_context():
        author = get_user(people.handlaggare.username)
        org = author.organisation
        for rubrik, fields in {
            "Förslaget": {"forslag_till_beslut": "Nämnden beviljar bidrag till Fotbollsklubben."},
            "Bakgrunden": {"bakgrund": "Föreningen Skridskovänner har sökt medel."},
            "Ärendet": {"arendet": "Samverkan med Kulturhuset Gnistan."},
            "Beredningen": {"arendets_beredning": "Samråd med Pensionärsrådet."},
            "Synpunkterna": {"synpunkter": "Förvaltningen tillstyrker Sommarkollot."},
            "Delavsnittet": {"subsections": [("Barnrättsperspektiv", "Läxcirkeln hjälper.")]},
        }.items():
            factories.memo(author, rubrik=rubrik, **fields)
        other = factories.user(factories.organisation("FAR"), "handlaggare", username="hl-FAR")
        factories.memo(other, rubrik="Farstas", arendet="Samverkan med Kulturhuset Gnistan.")
        assert org is not None
    browser = Browser(client, auth)
    browser.login(people.handlaggare)
    for word, rubrik in {
        "fotbollsklubben": "Förslaget",
        "skridskovänner": "Bakgrunden",
        "kulturhuset gnistan": "Ärendet",
        "pensionärsrådet": "Beredningen",
        "sommarkollot": "Synpunkterna",
        "barnrättsperspektiv": "Delavsnittet",
        "läxcirkeln": "Delavsnittet",
    }.items():
        assert _found(browser, q=word.replace(" ", "+")) == [rubrik], word
    # A match never spans two texts: the rubrik "Förslaget", then the proposal "Nämnden ...".
    assert _found(browser, q="förslaget+nämnden") == []
    assert _found(browser, q="förslaget") == ["Förslaget"]


def test_a_lists_states_cost_the_same_queries_however_many_wait(app, client, auth, people, memos):
    """Each waiting memo's "Hos <roll>" comes from one query for the page, not from a
    query (and its people's roles) per memo."""
    from sqlalchemy import event

    from attest.db import engine_of

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    browser = Browser(client, auth)
    browser.login(people.registrator)

    def queries_for_search() -> tuple[int, dict[str, str]]:
        browser.open("/memos/sok?q=läxhjälp")  # warm: the session's last-seen write
        statements.clear()
        event.listen(engine_of(app), "before_cursor_execute", count)
        try:
            page = browser.open("/memos/sok?q=läxhjälp")
        finally:
            event.remove(engine_of(app), "before_cursor_execute", count)
        return len(statements), {row[1]: row[3] for row in page.table("search-results")}

    before, statuses = queries_for_search()
    assert statuses["Läxhjälp 500 kronor"] == "Hos stadsdelsdirektör"
    for n in range(3):
        sent_memo(app, people.handlaggare, f"Läxhjälp väntar {n}")
    after, statuses = queries_for_search()
    assert statuses["Läxhjälp väntar 2"] == "Hos avdelningschef"
    assert statuses["Läxhjälp i Rågsved"] == "Returnerad"
    assert after == before, f"{before} queries with one memo waiting, {after} with four"
