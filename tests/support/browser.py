"""The end-to-end tests' tools: the people of the live server, a browser window that looks
at each page (screenshot and axe-core), and memos made through the domain mid-route.

The fixtures that start the server and Chromium are in tests/e2e/conftest.py.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attest import db
from tests.support import factories

ROOT = Path(__file__).resolve().parents[2]
# Debian's Chromium headless shell (make e2e-deps): Chromium's engine without the desktop
# browser around it, as Playwright runs headless Chromium; CHROMIUM_PATH=/usr/bin/chromium
# runs the tests in the full browser instead (about twice the CPU).
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium-headless-shell"))
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "tests" / "screenshots"
# Screenshots are for people to look at (`make screenshots`); a full-page PNG costs Chromium
# about half a second of CPU, and `make test` looks at every page twice (1280 and 390 px).
TAKE_SCREENSHOTS = os.environ.get("ATTEST_SCREENSHOTS") == "1"
# A phone held upright (an iPhone 12 to 15): every page is looked at this wide as well.
PHONE = {"width": 390, "height": 844}

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


def axe_report_path() -> Path:
    """tests/screenshots/axe-report.json, one per pytest-xdist worker (-gw0, -gw1 ...)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return SCREENSHOTS / (f"axe-report-{worker}.json" if worker else "axe-report.json")


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
        """Check the page with axe as it is (1280 px wide) and on a phone (390 px), where
        nothing may scroll sideways (WCAG 1.4.10); `make screenshots` also saves each to
        tests/screenshots/ to be looked at."""
        self._look(name, audit=audit, full_page=full_page)
        wide = self.page.viewport_size
        self.page.set_viewport_size(PHONE)
        try:
            self._look(f"{name}-390", audit=audit, full_page=full_page)
            width = self.page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{name} is {width} px wide on a phone: {self.page.url}"
        finally:
            self.page.set_viewport_size(wide)

    def _look(self, name: str, *, audit: bool, full_page: bool) -> None:
        from playwright.sync_api import expect

        # A memo page with the frozen PDF: looked at once pdf.js has laid out its pages.
        viewer = self.page.locator(".pdf-pages[data-pdf]")
        if viewer.count():
            expect(viewer).to_have_attribute("data-pages", re.compile(r"^[1-9]\d*$"))
        if TAKE_SCREENSHOTS:
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


# Submits a form built in the page, as a crafted request from the person's own browser would
# (their cookies, the page's CSRF token): what the server does when the button is not there.
POST_FORM = """([action, fields]) => {
  const form = document.createElement("form");
  form.method = "post";
  form.action = action;
  for (const [name, value] of Object.entries(fields)) {
    const input = document.createElement("input");
    input.type = "hidden"; input.name = name; input.value = value;
    form.append(input);
  }
  document.body.append(form);
  form.submit();
}"""


def csrf_token(page) -> str:
    """The CSRF token of the page open in the browser."""
    return page.locator("input[name=csrf_token]").first.get_attribute("value")


def small_pdf(text: str = "Bilaga till tjänsteutlåtandet", *, pages: int = 2) -> bytes:
    """A small real PDF, as a handläggare would attach."""
    return factories.pdf_bytes(pages=pages, text=text, title="Bilaga")


# --- memos made through the domain, for tests that start mid-route ----------------------


def memo_in_state(
    live: Live,
    state: str,
    rubrik: str = "Idéburet offentligt partnerskap",
    *,
    bilaga_pages: int = 0,
) -> int:
    """A memo by the handläggare: "utkast", "hos_avdelningschef", "hos_stadsdelsdirektor",
    "attesterad" or "returnerad" (a draft with a return comment); with a bilaga of
    ``bilaga_pages`` pages if asked."""
    from attest.memos.bilagor import check_pdf
    from attest.memos.models import Memo
    from attest.memos.operations import create_memo
    from attest.users.operations import get_user
    from attest.workflow.operations import attest_memo, return_memo, submit_memo

    with live.app.app_context():
        session = db.session()
        author = get_user(live.handlaggare.username)
        content = factories.content(
            rubrik=rubrik,
            sammanfattning="Förvaltningen föreslår ett idéburet offentligt partnerskap.",
            forslag_till_beslut="Nämnden godkänner avtalet.",
        )
        uploads = []
        if bilaga_pages:
            uploads.append(check_pdf("bilaga.pdf", small_pdf(pages=bilaga_pages)))
        memo = create_memo(author, content, uploads)
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
