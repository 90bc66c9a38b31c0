"""A real server and a real Chromium for the end-to-end tests.

The server is the production app (``SIGNING = "pades"``: every attestation is a personal
PAdES signature) served by werkzeug on 127.0.0.1 in a thread, with its own SQLite file and
keys folder. The browser is Debian's Chromium headless shell
(``/usr/bin/chromium-headless-shell``: Chromium's engine without the desktop browser,
installed by ``make e2e-deps``) driven by Playwright; Playwright never downloads a browser
here. axe-core comes from the npm registry (``npm ci``, pinned in package-lock.json).

A missing Chromium or axe-core fails these tests with what to run; they never skip.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

from attest import db
from attest.attestation import keystore
from attest.users.operations import invite_user
from tests.support import factories
from tests.support.browser import (
    AUDITS,
    AXE_JS,
    CHROMIUM,
    CHROMIUM_ARGS,
    ROLES,
    ROOT,
    SCREENSHOTS,
    Live,
    Person,
    Visit,
    axe_report_path,
)
from tests.support.database import POSTGRES_URL
from tests.support.live import e2e_app, new_organisation, session_keys
from tests.support.saml_idp import CHEF, STRONG_CONTEXT, SamlIdp, make_key_pair
from tests.support.servers import free_port, thread_server

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


@pytest.fixture(scope="package")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    app = e2e_app(tmp_path_factory.mktemp("e2e-instance"))
    with session_keys(), app.app_context():
        org = new_organisation(app)
        people = factories.people(org)
        persons = {
            role: Person(getattr(people, role).username, getattr(people, role).full_name)
            for role in ROLES
        }
        ca_pem = keystore.ca_path(org.code).read_bytes()
        other = factories.organisation("FAR", name="Farsta stadsdelsförvaltning", board="Farsta")
        other_author = factories.user(other, "handlaggare", username="hl-FAR")
        other_memo_id = factories.memo(other_author, rubrik="Farstas eget ärende").id

    with thread_server(app) as url:
        yield Live(
            url=url,
            app=app,
            people=persons,
            other_org_memo_id=other_memo_id,
            ca_pem=ca_pem,
        )
    db.engine_of(app).dispose()


# --- the browser ------------------------------------------------------------------------


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: run `make e2e-deps` (apt-get install "
            "chromium-headless-shell). The end-to-end tests need it and never skip.",
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


@pytest.fixture(scope="package", autouse=True)
def axe_report() -> Iterator[None]:
    """tests/screenshots/axe-report.json: every audited page with what axe said of it."""
    yield
    if AUDITS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        axe_report_path().write_text(
            json.dumps(AUDITS, indent=1, ensure_ascii=False), encoding="utf-8"
        )


# --- a person at the browser ------------------------------------------------------------


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


# A server of its own with SAML configured (the SAML journey and the English walk): the
# person's link to the IdP would change how the shared ``live`` people attest.
@pytest.fixture(scope="module")
def saml_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, SamlIdp]]:
    instance = tmp_path_factory.mktemp("saml-instance")
    files = tmp_path_factory.mktemp("saml-keys")
    sp_key, sp_cert = make_key_pair(files, "sp")
    idp = SamlIdp(files / "idp", base_url=f"http://127.0.0.1:{free_port()}/idp")
    app = e2e_app(
        instance,
        # Only the documented SAML settings.
        SAML_IDP_METADATA=str(idp.metadata_path),
        SAML_SP_KEY=str(sp_key),
        SAML_SP_CERT=str(sp_cert),
        SAML_NAME="Stadens inloggning",
        SAML_AUTHN_CONTEXT=STRONG_CONTEXT,
    )
    with session_keys(), app.app_context():
        org = new_organisation(app)
        author = factories.user(org, "handlaggare", username="hl-saml", full_name="Evelyn Garate")
        factories.user(org, "stadsdelsdirektor", username="sd-saml", full_name="Anders Carstorp")
        # Created by the administrator, never enrolled with a password: signs in at the IdP.
        invite_user(
            CHEF.username,
            full_name=CHEF.full_name,
            organisation_code=org.code,
            roles=["avdelningschef"],
            title="Avdelningschef",
            email="jenny.johansson@example.se",
        )
        db.session().commit()
        people = {"handlaggare": Person(author.username, author.full_name)}
    with session_keys():
        # Keys issued during the journey (the signing PIN) come from the pool as well.
        with thread_server(app) as url:
            app.config["BASE_URL"] = url  # the ACS and the entity id are under it
            with urllib.request.urlopen(url + "/saml/metadata") as answer:  # noqa: S310
                idp.trust_sp(answer.read().decode())
            idp.subject = "jenny-4711"
            idp.attributes = {"mail": ["jenny.johansson@example.se"]}
            with idp.serve():
                yield Live(url, app, people, 0, b""), idp
    db.engine_of(app).dispose()
