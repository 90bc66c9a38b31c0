"""Lists that can grow come a page at a time and count only up to a limit.

The register, the worklist, "Mina tjänsteutlåtanden" and the outbox: each shows a page,
links to the next, and counts at most LIST_COUNT_LIMIT rows; past it the page says "fler
än" (more than) in Swedish and English. The indexes that read these pages in order exist
after the migrations (bench/bench_scale.py measures the pages at 100 000 memos).
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from attest import db, migrate
from attest.memos.models import SEARCHED_TEXT, Memo, MemoVersion
from attest.memos.operations import create_memo
from attest.users.operations import get_user
from attest.workflow import worklists
from attest.workflow.models import OutboxMail
from attest.workflow.operations import submit_memo
from attest.workflow.worklists import PER_PAGE
from tests.support import factories
from tests.support.memos import attested_memo
from tests.support.web import Browser, Page, choose

UTC = dt.timezone.utc


@pytest.fixture
def browser(client, auth) -> Browser:
    return Browser(client, auth)


@pytest.fixture
def register(app, people):
    """Five attested memos; the register shows two a page and counts at most four."""
    app.config.update(REGISTER_PAGE_SIZE=2, LIST_COUNT_LIMIT=4)
    return [attested_memo(app, people, f"Ärende nummer {n}") for n in range(1, 6)]


def pager(page: Page) -> tuple[str, list[str]]:
    """The pager's "Sida ..." text and its links' texts."""
    nav = page.main.find("nav", "pagination")
    return nav.find("span").text.strip(), [a.text for a in nav.find_all("a")]


def link(page: Page, text: str) -> str:
    nav = page.main.find("nav", "pagination")
    return next(a.attrs["href"] for a in nav.find_all("a") if a.text == text)


def test_the_register_counts_up_to_the_limit_and_says_more_than(app, browser, people, register):
    browser.login(people.registrator)
    first = browser.open("/attesterade")
    assert "Fler än 4 attesterade tjänsteutlåtanden." in first.text
    assert [row[1] for row in first.table("register")] == ["Ärende nummer 5", "Ärende nummer 4"]
    assert pager(first) == ("Sida 1 av fler än 2", ["Nästa"])

    second = browser.open(link(first, "Nästa"))
    assert pager(second) == ("Sida 2 av fler än 2", ["Föregående", "Nästa"])
    # "Nästa" leads on past the limit; the last page has counted them all on its way.
    third = browser.open(link(second, "Nästa"))
    assert [row[1] for row in third.table("register")] == ["Ärende nummer 1"]
    assert "5 attesterade tjänsteutlåtanden." in third.text
    assert pager(third) == ("Sida 3 av 3", ["Föregående"])
    assert link(third, "Föregående") == "/attesterade?sida=2"
    # A page past the counted ones, with more after it, knows only its own number.
    app.config["LIST_COUNT_LIMIT"] = 2
    assert pager(browser.open("/attesterade?sida=2")) == ("Sida 2", ["Föregående", "Nästa"])


def test_a_search_past_the_limit_says_more_than_and_keeps_the_query(browser, people, register):
    browser.login(people.registrator)
    page = browser.open("/attesterade?q=nummer")
    assert "Fler än 4 tjänsteutlåtanden matchar ”nummer”." in page.text
    assert link(page, "Nästa") == "/attesterade?q=nummer&sida=2"
    # Under the limit the count is exact, as before.
    few = browser.open("/attesterade?q=nummer+3")
    assert "1 tjänsteutlåtande matchar ”nummer 3”." in few.text
    assert few.main.find_all("nav", "pagination") == []


def test_under_the_limit_the_register_counts_them_all(app, browser, people, register):
    app.config["LIST_COUNT_LIMIT"] = 5
    browser.login(people.registrator)
    page = browser.open("/attesterade")
    assert "5 attesterade tjänsteutlåtanden." in page.text and "Fler än" not in page.text
    assert pager(page) == ("Sida 1 av 3", ["Nästa"])
    # A page number past the end, or made up, shows the last page or the first.
    assert pager(browser.open("/attesterade?sida=99"))[0] == "Sida 3 av 3"
    assert pager(browser.open("/attesterade?sida=-4"))[0] == "Sida 1 av 3"
    # Past the limit the last page is not known: a made-up number is bounded, not an error.
    app.config["LIST_COUNT_LIMIT"] = 4
    huge = browser.open("/attesterade?sida=99999999999999999999999")
    assert pager(huge) == ("Sida 10000", ["Föregående"])
    assert huge.main.find_all("table") == []


def test_the_register_in_english_says_more_than(app, client, auth, people, register):
    choose(client, "en")
    auth.login(people.registrator.username)
    first = Page(client.get("/attesterade"))
    assert "More than 4 attested memos." in first.text
    assert pager(first) == ("Page 1 of more than 2", ["Next"])
    third = Page(client.get("/attesterade?sida=3"))
    assert "5 attested memos." in third.text
    assert pager(third) == ("Page 3 of 3", ["Previous"])
    search = Page(client.get("/attesterade?q=nummer"))
    assert "More than 4 memos match “nummer”." in search.text
    app.config["LIST_COUNT_LIMIT"] = 2
    assert pager(Page(client.get("/attesterade?sida=2"))) == ("Page 2", ["Previous", "Next"])


def test_the_worklist_comes_a_page_at_a_time(app, browser, people):
    with app.app_context():
        author = get_user(people.handlaggare.username)
        for n in range(PER_PAGE + 1):
            submit_memo(create_memo(author, factories.content(rubrik=f"Väntar {n:02d}")), author)
        db.session().commit()
    browser.login(people.avdelningschef)
    start = browser.open("/")
    first = [row[1] for row in start.table("worklist")]
    assert len(first) == PER_PAGE and first[0] == "Väntar 00"
    nav = start.main.find("nav", "pagination")
    assert nav.attrs["aria-label"] == "Sidor i Att attestera"
    assert pager(start) == ("Sida 1 av 2", ["Nästa"])
    assert link(start, "Nästa") == "/?vantar=2"
    second = browser.open(link(start, "Nästa"))
    assert [row[1] for row in second.table("worklist")] == [f"Väntar {PER_PAGE:02d}"]
    assert pager(second) == ("Sida 2 av 2", ["Föregående"])


def test_my_memos_come_a_page_at_a_time(app, browser, people):
    with app.app_context():
        author = get_user(people.handlaggare.username)
        for n in range(PER_PAGE + 1):
            create_memo(author, factories.content(rubrik=f"Utkast {n:02d}"))
        db.session().commit()
    app.config["LIST_COUNT_LIMIT"] = PER_PAGE
    browser.login(people.handlaggare)
    start = browser.open("/?vantar=1")
    assert len(start.main.find("table", "list").find("tbody").find_all("tr")) == PER_PAGE
    assert pager(start) == ("Sida 1 av fler än 1", ["Nästa"])
    # The other list's page is carried along.
    assert link(start, "Nästa") == "/?vantar=1&mina=2"
    second = browser.open(link(start, "Nästa"))
    rows = second.main.find("table", "list").find("tbody").find_all("tr")
    assert len(rows) == 1 and pager(second) == ("Sida 2 av 2", ["Föregående"])


def test_the_outbox_comes_a_page_at_a_time(app, browser, people, org):
    with app.app_context():
        recipient = get_user(people.handlaggare.username)
        for n in range(51):
            db.session().add(
                OutboxMail(
                    created_at=dt.datetime(2024, 8, 1, tzinfo=UTC) + dt.timedelta(minutes=n),
                    organisation_id=recipient.organisation_id,
                    recipient_id=recipient.id,
                    to_address=recipient.email,
                    subject=f"Avisering {n:02d}",
                    body="",
                )
            )
        db.session().commit()
    browser.login(people.administrator)
    first = browser.open("/utkorg")
    subjects = [row[2] for row in first.table("outbox")]
    assert len(subjects) == 50 and subjects[0] == "Avisering 50"
    assert pager(first) == ("Sida 1 av 2", ["Nästa"])
    second = browser.open(link(first, "Nästa"))
    assert [row[2] for row in second.table("outbox")] == ["Avisering 00"]


LIST_INDEXES = {
    "memos": {
        "ix_memos_register": ["organisation_id", "state", "updated_at", "id"],
        "ix_memos_author_updated": ["author_id", "updated_at", "id"],
    },
    "submissions": {
        "ix_submissions_waiting": ["current_assignee_id", "status", "step_waiting_since", "id"],
    },
    "outbox": {"ix_outbox_organisation_newest": ["organisation_id", "id"]},
}


def test_the_list_indexes_exist_after_upgrade_head(app):
    with app.app_context():
        migrate.upgrade(app)  # a no-op on the test database, which is at head already
        inspector = sa.inspect(db.engine())
        for table, expected in LIST_INDEXES.items():
            found = {i["name"]: i["column_names"] for i in inspector.get_indexes(table)}
            for name, columns in expected.items():
                assert found.get(name) == columns, (table, name, found)
        search = [i for i in inspector.get_indexes("memo_versions") if "search" in i["name"]]
        if db.engine().dialect.name == "postgresql":
            assert [i["name"] for i in search] == ["ix_memo_versions_search"]
            assert search[0]["dialect_options"]["postgresql_using"] == "gin"
        else:
            assert search == []  # SQLite has no trigrams: its search reads the versions


@pytest.mark.postgres
def test_the_register_search_can_use_the_trigram_index(app, people):
    """The search asks for the index's own expression, which the index answers.

    (On a table this small the planner would rather scan; on 100 000 memos it takes the
    index by itself, which bench/bench_scale.py measures.)
    """
    attested_memo(app, people, "Kvarteret Drömstorp")
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        registrator = get_user(people.registrator.username)
        engine = db.engine()
        sa.event.listen(engine, "before_cursor_execute", capture)
        try:
            page = worklists.attested_register(registrator, "drömstorp")
        finally:
            sa.event.remove(engine, "before_cursor_execute", capture)
        assert [m.latest_version.rubrik for m in page.items] == ["Kvarteret Drömstorp"]
        searched = str(SEARCHED_TEXT.compile(engine))
        searches = [s for s in statements if "LIKE" in s]  # the probe; the page reads by key
        assert len(searches) == 1 and searched in searches[0]

        session = db.session()
        session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        query = sa.select(MemoVersion.id).where(SEARCHED_TEXT.like("%drömstorp%"))
        plan = session.scalars(
            sa.text("EXPLAIN " + str(query.compile(engine, compile_kwargs={"literal_binds": True})))
        ).all()
        assert any("ix_memo_versions_search" in line for line in plan), "\n".join(plan)
        assert session.scalars(query).all() != []


def test_the_worklists_statement_names_the_status_it_reads(app, people):
    """The worklist's statement carries 'active' in its text, not as a bound value. The
    connection prepares it, and PostgreSQL plans a prepared
    statement once for any values (a generic plan): knowing only "some status", that plan
    read all of a person's waiting rows and sorted them; knowing 'active', it reads the
    page off the index in its order. (On a test database this small the planner would
    rather start from the memos; bench/bench_scale.py measures it on 100 000.)"""
    with app.app_context():
        author = get_user(people.handlaggare.username)
        submit_memo(create_memo(author, factories.content(rubrik="Väntar")), author)
        db.session().commit()
        sent = []

        def capture(conn, cursor, statement, parameters, context, executemany):
            sent.append((statement, parameters))

        engine = db.engine()
        sa.event.listen(engine, "before_cursor_execute", capture)
        try:
            page = worklists.worklist(get_user(people.avdelningschef.username))
        finally:
            sa.event.remove(engine, "before_cursor_execute", capture)
        assert [item.rubrik for item in page.items] == ["Väntar"]
        [(statement, parameters)] = [(s, p) for s, p in sent if "step_waiting_since" in s]
        assert "submissions.status = 'active'" in statement
        bound = parameters.values() if isinstance(parameters, dict) else parameters
        assert "active" not in list(bound)


def _generic_plans(app, client, fragment: str) -> int:
    """Open the start page a dozen times on one connection; how many times PostgreSQL ran
    the statement with ``fragment`` on a generic plan (planned once, for any values)."""
    db.engine_of(app).dispose()  # one connection from here on, used by each request in turn
    for _ in range(12):
        assert client.get("/").status_code == 200
    with app.app_context():
        counts = db.session().scalars(
            sa.text("SELECT generic_plans FROM pg_prepared_statements WHERE statement LIKE :s"),
            {"s": f"%{fragment}%"},
        )
        return sum(counts)


@pytest.mark.postgres
def test_the_worklist_is_planned_once_not_on_every_page(app, people, auth, client, monkeypatch):
    """LIMIT and OFFSET are written into the statement as numbers. As parameters,
    PostgreSQL costs a generic plan for any offset, dearer than the plan for the first page,
    and so plans the six joins afresh on every page; bench/bench_load.py measured that as
    2-3 ms of the database's CPU per start page, against 0.2 ms to run it."""
    with app.app_context():
        author = get_user(people.handlaggare.username)
        submit_memo(create_memo(author, factories.content(rubrik="Väntar")), author)
        db.session().commit()
    auth.login(people.avdelningschef.username)
    assert _generic_plans(app, client, "step_waiting_since") > 0

    # The tamper twin: the same lists with LIMIT and OFFSET bound as parameters.
    def bound(value):
        return sa.bindparam(value, type_=sa.Integer) if isinstance(value, str) else value

    monkeypatch.setattr(worklists, "_number", bound)
    worklists._page_statement.cache_clear()
    worklists._count_statement_of.cache_clear()
    try:
        assert _generic_plans(app, client, "step_waiting_since") == 0
    finally:
        worklists._page_statement.cache_clear()
        worklists._count_statement_of.cache_clear()


@pytest.fixture
def searched(app, people):
    """Five attested memos, three with Drömstorp in the rubrik and one whose diarium Dnr
    is "KS 2026/77"; the register shows two a page and counts at most four."""
    app.config.update(REGISTER_PAGE_SIZE=2, LIST_COUNT_LIMIT=4)
    rubriks = ["Drömstorp 1", "Annat", "Kvarteret Drömstorp", "Annat igen", "Drömstorps skola"]
    ids = [attested_memo(app, people, rubrik) for rubrik in rubriks]
    with app.app_context():
        db.session().get(Memo, ids[1]).diarium_dnr = "KS 2026/77"
        db.session().commit()
    return ids


def _register(app, people, query: str) -> list[tuple[list[int], int, bool, bool]]:
    """Each page of the register's search, as (memo ids, total, capped, has_next)."""
    pages = []
    with app.app_context():
        registrator = get_user(people.registrator.username)
        for number in (1, 2, 3):
            page = worklists.attested_register(registrator, query, number, 2, 4)
            pages.append(([m.id for m in page.items], page.total, page.capped, page.has_next))
    return pages


@pytest.mark.parametrize("probe", [worklists.SEARCH_PROBE, 1])
def test_a_text_search_finds_the_same_whether_rare_or_common(
    app, people, searched, probe, monkeypatch
):
    """On PostgreSQL a text in few versions is looked up in the trigram index first and
    one in many memo by memo (a probe of 1 makes every text common); SQLite always goes
    memo by memo. Each way gives the same pages, newest first, and the same count."""
    monkeypatch.setattr(worklists, "SEARCH_PROBE", probe)
    drömstorp = _register(app, people, "drömstorp")
    dnr = _register(app, people, "KS 2026/77")
    nothing = _register(app, people, "finns inte")
    newest_first = [searched[4], searched[2], searched[0]]
    assert drömstorp[0] == (newest_first[:2], 3, False, True)
    assert drömstorp[1] == (newest_first[2:], 3, False, False)
    assert drömstorp[2] == drömstorp[1]  # past the end: the last page
    assert dnr[0] == ([searched[1]], 1, False, False)
    assert nothing[0] == ([], 0, False, False)


def _plan_of_common_search(app, people) -> str:
    with app.app_context():
        registrator = get_user(people.registrator.username)
        statement = worklists._matching(
            sa.select(Memo.id).where(Memo.organisation_id == registrator.organisation_id),
            "drömstorp",
        ).order_by(Memo.updated_at.desc())
        compiled = statement.compile(db.engine(), compile_kwargs={"literal_binds": True})
        return "\n".join(db.session().scalars(sa.text(f"EXPLAIN {compiled}")))


@pytest.mark.postgres
def test_a_common_text_is_tested_memo_by_memo_not_gathered_first(
    app, people, searched, monkeypatch
):
    """For a text in many versions the list tests each memo it reads. PostgreSQL would
    rather hash every matching version of every memo before reading the first (130-350 ms
    for a common word at 100 000 memos); ``OFFSET 0`` in the test keeps it from that."""
    monkeypatch.setattr(worklists, "SEARCH_PROBE", 1)
    plan = _plan_of_common_search(app, people)
    assert "SubPlan" in plan and "hashed SubPlan" not in plan, plan

    # The tamper twin: the same test without OFFSET 0 is hashed.
    monkeypatch.setattr(
        worklists,
        "_memo_by_memo",
        lambda versions: versions.where(MemoVersion.memo_id == Memo.id).exists(),
    )
    assert "hashed SubPlan" in _plan_of_common_search(app, people)
