"""A real server and a real Chromium for the end-to-end tests.

The server is the production app (``SIGNING = "pades"``: every attestation is a personal
PAdES signature) served by werkzeug on 127.0.0.1 in a thread, with its own SQLite file and
keys folder. The browser is Debian's Chromium (``/usr/bin/chromium``, installed by
``make e2e-deps``) driven by Playwright; Playwright never downloads a browser here.
axe-core comes from the npm registry (``npm ci``, pinned in package-lock.json).

A missing Chromium or axe-core fails these tests with what to run; they never skip.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from attest import create_app, db, migrate
from tests import factories
from tests.conftest import FAST_HASHING, POSTGRES_URL

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "tests" / "screenshots"

# As the machine notes say: headless, no sandbox (root), and nothing that phones home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    # The browser walk runs once, in the SQLite pass of `make test`: the PostgreSQL pass
    # runs the same pages through the test client (tests/test_workflow_web.py).
    if not POSTGRES_URL:
        return
    skip = pytest.mark.skip(reason="the Chromium suite runs in the SQLite pass of make test")
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).parents:
            item.add_marker(skip)


# --- the server -------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    username: str
    full_name: str
    password: str = factories.PASSWORD


@dataclass
class Live:
    """The running server and the people in it."""

    url: str
    app: Any
    people: dict[str, Person]
    other_org_memo_id: int
    ca_pem: bytes

    def __getattr__(self, role: str) -> Person:
        try:
            return self.people[role]
        except KeyError:
            raise AttributeError(role) from None


ROLES = ("handlaggare", "avdelningschef", "stadsdelsdirektor", "registrator", "administrator")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass  # a line per request would bury a failure's output


@pytest.fixture(scope="package")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    instance = tmp_path_factory.mktemp("e2e-instance")
    config = {
        "SECRET_KEY": "e2e-secret-key",
        "KEY_PASSPHRASE": "e2e-key-passphrase",
        "DATABASE_URL": f"sqlite:///{instance / 'attest.sqlite'}",
        "SIGNING": "pades",
        "KEYS_DIR": str(instance / "keys"),
        "KEY_KDF_ROUNDS": 1000,
        **FAST_HASHING,
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ATTEST_INSTANCE_PATH", str(instance))
        app = create_app(config)
    with app.app_context():
        from attest.attestation import keystore
        from attest.users.operations import ensure_builtin_roles

        migrate.upgrade(app)
        ensure_builtin_roles()
        db.session().commit()
        org = factories.organisation()
        keystore.init_org_keys(org)  # before the people: each gets a personal key
        people = factories.people(org)
        persons = {
            role: Person(getattr(people, role).username, getattr(people, role).full_name)
            for role in ROLES
        }
        ca_pem = keystore.ca_path(org.code).read_bytes()
        other = factories.organisation("FAR", name="Farsta stadsdelsförvaltning", board="Farsta")
        other_author = factories.user(other, "handlaggare", username="hl-FAR")
        other_memo_id = factories.memo(other_author, rubrik="Farstas eget ärende").id

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield Live(
            url=f"http://127.0.0.1:{server.server_port}",
            app=app,
            people=persons,
            other_org_memo_id=other_memo_id,
            ca_pem=ca_pem,
        )
    finally:
        server.shutdown()
        thread.join(10)
        db.engine_of(app).dispose()


# --- the browser ------------------------------------------------------------------------


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: run `make e2e-deps` "
            "(apt-get install chromium). The end-to-end tests need it and never skip.",
            pytrace=False,
        )
    if not AXE_JS.exists():
        pytest.fail(
            f"axe-core is missing ({AXE_JS.relative_to(ROOT)}): run `npm ci` or `make e2e-deps`.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


# --- accessibility ----------------------------------------------------------------------

AXE_RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations", "incomplete"]});
  const incomplete = results.incomplete.map(v => `${v.id} (${v.nodes.length})`);
  return [incomplete, results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, tags: v.tags,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html,
                               summary: n.failureSummary, impact: n.impact})),
  }))];
}"""

BLOCKING = {"serious", "critical"}
AUDITS: list[dict[str, Any]] = []  # every page audited in this run, for the report


def axe_audit(page: Any, where: str) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; fail on serious or critical violations.

    axe is injected with page.evaluate: the app's Content-Security-Policy blocks an
    injected <script> (as it should), but evaluate runs in the page without one.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    incomplete, violations = page.evaluate(AXE_RUN)
    AUDITS.append(
        {"page": where, "url": page.url, "violations": violations, "to_review": incomplete}
    )
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"axe on {where} ({page.url}):\n" + format_violations(blocking)
    return violations


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
        for node in v["nodes"][:8]:
            lines.append(f"      {node['target']}: {node['html'][:160]}")
            for reason in (node["summary"] or "").splitlines()[:3]:
                lines.append(f"        {reason.strip()}")
    return "\n".join(lines)


@pytest.fixture(scope="package", autouse=True)
def axe_report() -> Iterator[None]:
    """tests/screenshots/axe-report.json: every audited page with what axe said of it."""
    yield
    if AUDITS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        report = SCREENSHOTS / "axe-report.json"
        report.write_text(json.dumps(AUDITS, indent=1, ensure_ascii=False), encoding="utf-8")


# --- a person at the browser ------------------------------------------------------------


@dataclass
class Visit:
    """One person's browser window. ``look`` screenshots and audits each page state."""

    page: Any
    live: Live
    test: str
    shots: list[Path] = field(default_factory=list)

    def goto(self, path: str) -> Any:
        return self.page.goto(self.live.url + path)

    def look(self, name: str, *, audit: bool = True, full_page: bool = True) -> None:
        """Screenshot the page to tests/screenshots/ and check it with axe."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        number = len(self.shots) + 1
        path = SCREENSHOTS / f"{self.test}-{number:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        self.shots.append(path)
        if audit:
            axe_audit(self.page, f"{self.test}: {name}")
            # Every page: its language, and the statement linked from its footer.
            assert self.page.evaluate("document.documentElement.lang") in ("sv", "en")
            statement = self.page.get_by_role("contentinfo").locator("a[href='/tillganglighet']")
            assert statement.count() == 1, f"no link to the statement in the footer of {name}"

    def login(self, person: Person, *, look: bool = False) -> None:
        from playwright.sync_api import expect

        self.goto("/auth/login")
        if look:
            self.look("login")
        self.page.get_by_label("Användarnamn").fill(person.username)
        self.page.get_by_label("Lösenord").fill(person.password)
        self.page.get_by_role("button", name="Logga in").click()
        expect(self.page.get_by_role("heading", level=1)).to_contain_text(person.full_name)

    def logout(self) -> None:
        self.page.get_by_role("button", name="Logga ut").click()


@pytest.fixture
def visit(chromium, live, request) -> Iterator[Any]:
    """``visit(person=None)``: a new browser window (its own cookies), logged in if given."""
    contexts = []
    test = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name.removeprefix("test_"))[:60]

    def open_window(person: Person | None = None, *, look_at_login: bool = False) -> Visit:
        context = chromium.new_context(
            base_url=live.url,
            locale="sv-SE",
            timezone_id="Europe/Stockholm",
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        window = Visit(context.new_page(), live, f"{test}-{len(contexts)}")
        if person is not None:
            window.login(person, look=look_at_login)
        return window

    yield open_window
    for context in contexts:
        context.close()


def small_pdf(text: str = "Bilaga till tjänsteutlåtandet") -> bytes:
    """A small real PDF, as a handläggare would attach."""
    return factories.pdf_bytes(pages=2, text=text, title="Bilaga")


# --- memos made through the domain, for tests that start mid-route ----------------------


def memo_in_state(live: Live, state: str, rubrik: str = "Idéburet offentligt partnerskap") -> int:
    """A memo by the handläggare: "utkast", "hos_avdelningschef", "hos_stadsdelsdirektor",
    "attesterad" or "returnerad" (a draft with a return comment)."""
    from attest.memos.models import Memo
    from attest.memos.operations import DraftContent, create_memo
    from attest.users.operations import get_user
    from attest.workflow.operations import attest_memo, return_memo, submit_memo

    with live.app.app_context():
        session = db.session()
        author = get_user(live.handlaggare.username)
        content = DraftContent(
            rubrik=rubrik,
            sammanfattning="Förvaltningen föreslår ett idéburet offentligt partnerskap.",
            forslag_till_beslut="Nämnden godkänner avtalet.",
        )
        memo = create_memo(author, content)
        session.commit()
        if state != "utkast":
            submit_memo(memo, author)
            session.commit()
        memo = session.get(Memo, memo.id)
        if state == "returnerad":
            chef = get_user(live.avdelningschef.username)
            return_memo(memo, chef, "Beskriv kostnaden.\nVem betalar?")
        if state in ("hos_stadsdelsdirektor", "attesterad"):
            attest_memo(memo, get_user(live.avdelningschef.username), password=factories.PASSWORD)
        if state == "attesterad":
            session.commit()
            memo = session.get(Memo, memo.id)
            director = get_user(live.stadsdelsdirektor.username)
            attest_memo(memo, director, password=factories.PASSWORD)
        session.commit()
        return memo.id


def memo_facts(live: Live, memo_id: int) -> tuple[str, str, int, int]:
    """(state, dnr, lock version, attestations) as the database has them."""
    import sqlalchemy as sa

    from attest.memos.models import Memo
    from attest.workflow.models import Attestation, Submission

    with live.app.app_context():
        session = db.session()
        memo = session.get(Memo, memo_id)
        attestations = session.scalar(
            sa.select(sa.func.count(Attestation.id))
            .join(Submission, Attestation.submission_id == Submission.id)
            .where(Submission.memo_id == memo_id)
        )
        return memo.state, memo.dnr, memo.lock_version, attestations
