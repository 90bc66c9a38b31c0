"""English mode on the pages the main walk (test_english.py) does not reach with its server.

The enrolment page and its errors, the error pages 400 (NUL), 405, 413 and 429, the pages of
a person who signs in through an OpenID Connect provider (the signing PIN and its errors, the
attest form after the step-up, logged out) or a SAML IdP (the same, and a refused answer),
and of one who signs through the signature service (on the way there, back from it, a
refused answer): each read in Chromium with the language cookie set to English, and a
Swedish word in its interface fails the test (the same reading as test_english.py). The
pages of the test provider, IdP and signature service are theirs, not attest's, and are not
read. The 500 page cannot be reached honestly: tests/test_i18n.py renders it for an English
request.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from attest import db
from attest.attestation import keystore
from attest.i18n import COOKIE
from attest.signservice.operations import set_signing_method
from attest.users.operations import get_user, invite_user
from tests.support import factories
from tests.support import memos as memo_support
from tests.support.browser import Live, Person, Visit
from tests.support.english import Walk, login
from tests.support.live import e2e_app, new_organisation, oidc_world, session_keys
from tests.support.saml_idp import CHEF
from tests.support.servers import thread_server
from tests.support.signservice import Identity, SignService, material, serve

pytestmark = [pytest.mark.system, pytest.mark.slow]

ROLES = ("handlaggare", "avdelningschef", "stadsdelsdirektor", "administrator")
PIN = "583920"
JENNY = Identity("197705232382", "Jenny Johansson")
# Blocks the script that posts the signature service's forms on by itself, so the pages
# on the way are seen (their buttons do the same without it).
SIGNSERVICE_SCRIPT = "**/signservice.js*"


def _persons(people: Any) -> dict[str, Person]:
    return {
        role: Person(getattr(people, role).username, getattr(people, role).full_name)
        for role in ROLES
        if hasattr(people, role)
    }


def _window(chromium: Any, live: Live, name: str) -> Visit:
    context = chromium.new_context(base_url=live.url, locale="en-GB")
    context.set_default_timeout(20_000)
    context.add_cookies([{"name": COOKIE, "value": "en", "url": live.url}])
    return Visit(context.new_page(), live, name)


def _report(walk: Walk) -> None:
    report = "\n".join(f"  {page}: {', '.join(words)}" for page, words in walk.found.items())
    assert not walk.found, f"Swedish in English mode:\n{report}"


# --- enrolment and the error pages: a server of their own (small limits) -----------------


@pytest.fixture(scope="module")
def small_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    instance = tmp_path_factory.mktemp("e2e-english-more")
    app = e2e_app(instance, MAX_CONTENT_LENGTH=256 * 1024, LOGIN_MAX_FAILURES=2)
    with session_keys(), app.app_context():
        org = new_organisation(app)
        people = factories.people(org)
        persons = _persons(people)
        ca_pem = keystore.ca_path(org.code).read_bytes()
    with thread_server(app) as url:
        yield Live(url=url, app=app, people=persons, other_org_memo_id=0, ca_pem=ca_pem)
    db.engine_of(app).dispose()


def test_enrolment_and_error_pages_in_english(chromium, small_live: Live):
    live = small_live
    with live.app.app_context():
        org_code = get_user(live.handlaggare.username).organisation.code
        invitation = invite_user(
            "petra", full_name="Petra Ersättare", organisation_code=org_code, roles=["handlaggare"]
        )
        db.session().commit()
        link = urlsplit(invitation.link.url).path
    walk = Walk(live)
    window = _window(chromium, live, "english-more")
    page = window.page
    try:
        # The enrolment page, its errors, a link that cannot be used.
        walk.visit(window, link, "enrolment")
        page.locator("main form [type=submit]").click()
        walk.read(window, "enrolment, nothing filled in")
        page.locator("input[name=new_password]").fill("korvgubbe tolv")
        page.locator("input[name=new_password_again]").fill("something else entirely")
        page.locator("main form [type=submit]").click()
        walk.read(window, "enrolment, two different passwords")
        page.locator("input[name=new_password]").fill("petra ersättare")
        page.locator("input[name=new_password_again]").fill("petra ersättare")
        page.locator("main form [type=submit]").click()
        walk.read(window, "enrolment, a password too easy to guess")
        walk.visit(window, "/aktivera/no-such-link", "enrolment, an unknown link")

        # 405: an address that only takes a POST.
        response = page.goto(live.url + "/admin/anvandare/1/inaktivera")
        assert response is not None and response.status == 405
        walk.read(window, "405")

        # 413: more than MAX_CONTENT_LENGTH posted (a form made in the page).
        walk.visit(window, "/auth/login", "login")
        with page.expect_navigation():
            page.evaluate("""() => {
              const form = document.createElement('form');
              form.method = 'post';
              form.action = '/auth/login';
              const field = document.createElement('textarea');
              field.name = 'username';
              field.value = 'x'.repeat(300 * 1024);
              form.appendChild(field);
              document.body.appendChild(form);
              form.submit();
            }""")
        assert page.title().startswith("The file is too large"), page.title()
        walk.read(window, "413")

        # 400: a NUL character in a form.
        page.goto(live.url + "/auth/login?q=%00")
        walk.read(window, "400, a NUL character")

        # 429: wrong passwords until the person's counter is full.
        for _ in range(3):
            walk.visit(window, "/auth/login", "login")
            page.get_by_label("Username").fill(live.handlaggare.username)
            page.get_by_label("Password").fill("not the password")
            page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert")).to_contain_text("Too many")
        walk.read(window, "429, login throttled")
    finally:
        page.context.close()
    assert walk.pages >= 11
    _report(walk)


# --- a person who signs in through an OpenID Connect provider ------------------------------


@pytest.fixture(scope="module")
def sso_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, Any, int]]:
    with oidc_world(tmp_path_factory.mktemp("e2e-english-sso")) as world:
        people = _persons(world.people)
        live = Live(
            url=world.url, app=world.app, people=people, other_org_memo_id=0, ca_pem=world.ca_pem
        )
        yield live, world.provider, world.memo_id


def test_sso_pages_in_english(chromium, sso_live: tuple[Live, Any, int]):
    live, provider, memo_id = sso_live
    walk = Walk(live, "Stadens inloggning")
    window = _window(chromium, live, "english-sso")
    page = window.page
    try:
        walk.visit(window, "/auth/login", "login with a provider")
        page.get_by_role("link", name="Log in with Stadens inloggning").click()
        expect(page).to_have_url(f"{live.url}/sso/signerings-pin")
        walk.read(window, "choose a signing PIN")
        page.locator("main form [type=submit]").click()
        walk.read(window, "signing PIN, nothing filled in")
        page.locator("input[name=pin]").fill(PIN)
        page.locator("input[name=confirm]").fill("111111")
        page.locator("main form [type=submit]").click()
        walk.read(window, "signing PIN, two different PINs")
        page.locator("input[name=pin]").fill("123456")
        page.locator("input[name=confirm]").fill("123456")
        page.locator("main form [type=submit]").click()
        walk.read(window, "signing PIN, too easy to guess")
        page.locator("input[name=pin]").fill(PIN)
        page.locator("input[name=confirm]").fill(PIN)
        page.locator("main form [type=submit]").click()
        walk.read(window, "signing PIN saved")

        walk.visit(window, f"/memos/{memo_id}", "memo to attest after a step-up")
        page.locator("#step-up").click()  # to the provider and back: the attest form
        expect(page).to_have_url(f"{live.url}/sso/attestera/{memo_id}")
        walk.read(window, "attest form after the step-up")
        page.locator("input[name=password]").fill("000000")
        page.locator("main form [type=submit]").first.click()
        walk.read(window, "attest, a wrong signing PIN")
        walk.visit(window, f"/sso/attestera/{memo_id}", "attest form, the step-up used")

        page.locator("form[action$='/auth/logout'] [type=submit]").first.click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        walk.read(window, "logged out (the provider's logout offered)")
    finally:
        page.context.close()
    assert walk.pages >= 10
    _report(walk)


# --- a person who signs through the signature service --------------------------------------


@pytest.fixture(scope="module")
def service_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    instance = tmp_path_factory.mktemp("e2e-english-signservice")
    found = material()
    service = SignService(found, JENNY, now=lambda: dt.datetime.now(dt.timezone.utc))
    with serve(service) as service_url:
        app = e2e_app(
            instance, **found.write(instance / "signservice"), SIGNSERVICE_URL=service_url
        )
        with session_keys(), app.app_context():
            org = new_organisation(app)
            people = factories.people(org)
            set_signing_method(people.avdelningschef, "signservice", JENNY.personnummer)
            db.session().commit()
            persons = _persons(people)
            ca_pem = keystore.ca_path(org.code).read_bytes()
        with session_keys():
            with thread_server(app) as url:
                service.return_url = url + "/underskrift/svar"
                yield Live(url=url, app=app, people=persons, other_org_memo_id=0, ca_pem=ca_pem)
        db.engine_of(app).dispose()


def test_signature_service_pages_in_english(chromium, service_live: Live, tmp_path: Path):
    live = service_live
    memo_id = memo_support.sent_memo(live.app, get_user_in(live, live.handlaggare.username))
    walk = Walk(live)
    window = _window(chromium, live, "english-signservice")
    page = window.page
    page.context.route(SIGNSERVICE_SCRIPT, lambda route: route.abort())
    try:
        login(window, live.avdelningschef)
        walk.visit(window, f"/memos/{memo_id}", "memo to attest through the service")
        page.locator("main form [type=submit]").first.click()
        expect(page.locator("#signservice-post")).to_be_visible()
        walk.read(window, "on the way to the signature service")
        page.locator("#signservice-post [type=submit]").click()
        # The test service's own page (not attest's, and in Swedish like the real ones).
        page.get_by_role("button", name="Skriv under").click()
        expect(page.locator("#signservice-post")).to_be_visible()
        walk.read(window, "back from the signature service")
        page.locator("#signservice-post [type=submit]").click()
        expect(page).to_have_url(f"{live.url}/memos/{memo_id}")
        walk.read(window, "attested through the service")

        # A refused answer: nothing signed, and why.
        with page.expect_navigation():
            page.evaluate("""() => {
              const form = document.createElement('form');
              form.method = 'post';
              form.action = '/underskrift/svar';
              for (const [name, value] of [['Binding', 'POST/XML/1.0'],
                                           ['EidSignResponse', 'not base64!'],
                                           ['RelayState', '_nothing']]) {
                const field = document.createElement('input');
                field.type = 'hidden';
                field.name = name;
                field.value = value;
                form.appendChild(field);
              }
              document.body.appendChild(form);
              form.submit();
            }""")
        walk.read(window, "a refused answer of the signature service")
        walk.visit(window, "/underskrift/_no-such-request", "an unknown request (404)")
    finally:
        page.context.close()
    assert walk.pages >= 6
    _report(walk)


def get_user_in(live: Live, username: str) -> Any:
    with live.app.app_context():
        return get_user(username)


# --- a person who signs in through a SAML IdP ------------------------------------------------


def test_saml_pages_in_english(chromium, saml_live: tuple[Live, Any]):

    live, idp = saml_live
    memo_id = memo_support.sent_memo(live.app, live.handlaggare, "Partnerskap")
    walk = Walk(live, "Stadens inloggning", CHEF.full_name)
    window = _window(chromium, live, "english-saml")
    page = window.page
    try:
        walk.visit(window, "/auth/login", "login with a SAML IdP")
        page.get_by_role("link", name="Log in with Stadens inloggning").click()
        # The test IdP's own page (not attest's).
        page.get_by_role("button", name="Fortsätt till attest").click()
        expect(page).to_have_url(f"{live.url}/sso/signerings-pin")
        walk.read(window, "choose a signing PIN (SAML)")
        page.locator("input[name=pin]").fill(PIN)
        page.locator("input[name=confirm]").fill(PIN)
        page.locator("main form [type=submit]").click()
        walk.read(window, "signing PIN saved (SAML)")

        walk.visit(window, f"/memos/{memo_id}", "memo to attest after a SAML step-up")
        page.locator("#step-up").click()
        page.get_by_role("button", name="Fortsätt till attest").click()
        expect(page).to_have_url(f"{live.url}/sso/attestera/{memo_id}")
        walk.read(window, "attest form after the SAML step-up")

        # An answer that belongs to no sign-in of ours: refused, and the person told why.
        with page.expect_navigation():
            page.evaluate("""() => {
              const form = document.createElement('form');
              form.method = 'post';
              form.action = '/saml/acs';
              const field = document.createElement('input');
              field.type = 'hidden';
              field.name = 'SAMLResponse';
              field.value = btoa('<samlp:Response/>');
              form.appendChild(field);
              document.body.appendChild(form);
              form.submit();
            }""")
        walk.read(window, "a refused SAML answer")
    finally:
        page.context.close()
    assert walk.pages >= 5
    _report(walk)
