"""Every route of the app, tried by everyone: anonymous, another organisation, every role.

The matrix below says, for each endpoint, what each person gets. A route that is in
neither the matrix nor the list of public routes fails ``test_every_route_is_accounted_for``:
a new page or action ships with its access rules written down and tried.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from flask import url_for

from attest import db, paths
from attest.db import Base
from attest.memos.models import PreviewPdf
from attest.web import REFUSED_ACCESS
from tests.support import access_world, factories
from tests.support.access_world import SECRET, STRANGER
from tests.support.web import Auth, csrf_token

PASSWORD = factories.PASSWORD
_PDFJS_PACKAGE = paths.pdfjs_dir() / "package.json"
PDFJS_VERSION = (
    json.loads(_PDFJS_PACKAGE.read_text())["version"] if _PDFJS_PACKAGE.exists() else "0"
)

# Open to anyone, logged in or not, and why.
PUBLIC = {
    "auth.login": "the login form",
    "static": "the stylesheet",
    "pdfviewer.asset": "pdf.js itself, a published library like the stylesheet (no data)",
    "pki.ca_certificate": "verifying a signature must not need an account with us",
    "pki.crl": "the same",
    "pki.timestamp": "RFC 3161 for the signing software; no session, changes nothing",
    "health.healthz": "the load balancer asks",
    "start.accessibility": "the accessibility statement is for everyone",
    "start.language": "the page language, chosen before logging in too (a cookie, no data)",
    "users.enrolment": "a new person has no password yet: the one-time link is what they hold",
    "api.openapi_json": "the API's OpenAPI document describes the API, nobody's data",
    "api.docs": "the same document as a page",
    "verify.lookup": "the Verifieringskod field: sends the code typed to /v/<code>, shows nothing",
    # Sign-in through the identity provider happens before there is a login (attest.sso,
    # attest.saml; 404 where the protocol is not configured, as here): the provider's answer
    # is checked against the request this browser's session started, never trusted as such.
    "sso.oidc_login": "starts a sign-in: a redirect to the provider",
    "sso.oidc_callback": "the provider's answer; checked against this session's request",
    "sso.saml_login": "starts a sign-in: a redirect to the IdP",
    "saml.metadata": "the SP's metadata is published to the IdP",
    "saml.acs": "the IdP's signed answer, posted by the browser before any login",
    "saml.collect": "takes the answer the ACS checked for this session's own request",
    # Posted by the signature service's page: its XML signature and our request id are
    # what authenticate it; the signature is used only after the attester's own login
    # (signservice.finish).
    "signservice.response": "the service's signed SignResponse, posted cross-site",
}
# Whole blueprints that are public: anyone holding an attested PDF may verify it.
PUBLIC_BLUEPRINTS: set[str] = set()

# A route with POST may also answer GET only with the form that posts to it.
FORM_PAGES = {
    "auth.login",
    "memos.new",
    "memos.edit",
    "workflow.withdraw",
    "workflow.delete_draft",
    "verify.index",
    "verify.bulk",
    "users.enrolment",
    "users.change_password",
    "sso.signing_pin",
}

# Not protected by a CSRF token, and why (tests/test_security.py has the rest).
CSRF_EXEMPT = {
    "pki.timestamp": "a machine protocol without cookies or session",
    "api_memos.create": "the JSON API: a bearer token in a header, never a cookie",
    "saml.acs": "posted cross-site by the IdP's page: the assertion's signature, its audience "
    "and InResponseTo of a request this session made are what authenticate it",
    "signservice.response": "posted cross-site by the signature service's page: its XML "
    "signature and our one-time request id authenticate it",
}

ANONYMOUS = "anonymous"
SAME_ORGANISATION = (
    "author",  # the handläggare who wrote the memos
    "colleague",  # another handläggare
    "avdelningschef",  # the first attester of the sent memo
    "stadsdelsdirektor",
    "registrator",
    "administrator",
)
ACTORS = (ANONYMOUS, STRANGER) + SAME_ORGANISATION

LOGIN = "login"  # a redirect to the login page
ALLOWED = "allowed"  # a GET answers 200; a POST is not sent (the workflow tests do it)


def _expect(same: Any, *, stranger: Any = 404, **people: Any) -> dict[str, Any]:
    return {ANONYMOUS: LOGIN, STRANGER: stranger, **{p: same for p in SAME_ORGANISATION}, **people}


@dataclass(frozen=True)
class Case:
    memo: str | None  # "draft", "sent", "attested" or None: whose ids fill the URL
    expect: dict[str, Any]
    methods: tuple[str, ...] = ("GET",)


EVERYONE_READS = _expect(ALLOWED)
# The JSON API answers a token, never a login session: 401 for everyone here
# (tests/test_api.py tries the tokens, their scopes and other organisations).
TOKEN_ONLY = {actor: 401 for actor in ACTORS}
ADMINISTRATOR_ONLY = _expect(403, stranger=ALLOWED, administrator=ALLOWED)
OUR_ADMINISTRATOR_ONLY = _expect(403, stranger=404, administrator=ALLOWED)
MATRIX: dict[str, Case] = {
    # Only for people who sign in through a provider (tests/test_sso_oidc.py, test_saml.py):
    # 403 to everyone else; the attest form after a step-up sends them to the memo page.
    "sso.step_up": Case("sent", _expect(403)),
    "sso.attest_form": Case("sent", _expect(302)),
    "sso.signing_pin": Case(None, _expect(ALLOWED, stranger=ALLOWED), ("GET", "POST")),
    # Back from the signature service: an unknown request is not found; a known one is
    # completed by the POST, which checks that the signer is the one logged in
    # (tests/test_signservice.py).
    "signservice.finish": Case(None, _expect(404, stranger=404)),
    "signservice.complete": Case(None, _expect(ALLOWED, stranger=ALLOWED), ("POST",)),
    "auth.logout": Case(None, _expect(ALLOWED, stranger=ALLOWED), ("POST",)),
    "start.index": Case(None, _expect(ALLOWED, stranger=ALLOWED)),
    "start.organisation": Case(None, EVERYONE_READS),
    "users.change_password": Case(None, _expect(ALLOWED, stranger=ALLOWED), ("GET", "POST")),
    "memos.new": Case(
        None,
        _expect(403, stranger=ALLOWED, author=ALLOWED, colleague=ALLOWED),
        ("GET", "POST"),
    ),
    "memos.edit": Case("draft", _expect(403, author=ALLOWED), ("GET", "POST")),
    "memos.show": Case("sent", EVERYONE_READS),
    "memos.version": Case("sent", EVERYONE_READS),
    "memos.preview": Case("sent", EVERYONE_READS),
    "memos.version_pdf": Case("sent", EVERYONE_READS),
    "memos.bilaga": Case("sent", EVERYONE_READS),
    "workflow.attested_pdf": Case("attested", EVERYONE_READS),
    "workflow.register": Case(None, _expect(403, stranger=ALLOWED, registrator=ALLOWED)),
    "workflow.outbox": Case(None, _expect(403, stranger=ALLOWED, administrator=ALLOWED)),
    "workflow.send": Case("draft", _expect(403, author=ALLOWED), ("POST",)),
    "workflow.attest": Case("sent", _expect(403, avdelningschef=ALLOWED), ("POST",)),
    "workflow.return_": Case("sent", _expect(403, avdelningschef=ALLOWED), ("POST",)),
    "workflow.withdraw": Case("sent", _expect(403, author=ALLOWED), ("GET", "POST")),
    "workflow.delete_draft": Case("draft", _expect(403, author=ALLOWED), ("GET", "POST")),
    "memos.search": Case(None, _expect(ALLOWED, stranger=ALLOWED)),
    "auth.keep_alive": Case(None, _expect(ALLOWED, stranger=ALLOWED)),
    "verify.index": Case(
        None, _expect(403, stranger=ALLOWED, registrator=ALLOWED), ("GET", "POST")
    ),
    "verify.bulk": Case(None, _expect(403, stranger=ALLOWED, registrator=ALLOWED), ("GET", "POST")),
    # Exports the person's own organisation's memos (a stranger's are their own).
    "archive.export": Case(
        None,
        _expect(403, stranger=ALLOWED, registrator=ALLOWED, administrator=ALLOWED),
        ("POST",),
    ),
    # An attested memo's link answers anyone (the organisation the full report, others what
    # attest.verify.public shows); the organisation has no keys in this world
    # (SIGNING=record-only): 400 says so. tests/test_verify_public.py has the rest.
    "verify.by_code": Case("attested", _expect(400, stranger=400, anonymous=400)),
    "verify.check_copy": Case("attested", _expect(400, stranger=400, anonymous=400), ("POST",)),
    "api_memos.memos": Case(None, TOKEN_ONLY),
    "api_memos.create": Case(None, TOKEN_ONLY, ("POST",)),
    "api_memos.memo": Case("draft", TOKEN_ONLY),
    "api_memos.update": Case("draft", TOKEN_ONLY, ("PUT",)),
    "api_memos.dnr": Case("draft", TOKEN_ONLY, ("PUT",)),
    "api_memos.state": Case("sent", TOKEN_ONLY),
    "api_memos.route": Case("sent", TOKEN_ONLY),
    "api_memos.memo_history": Case("sent", TOKEN_ONLY),
    "api_memos.frozen_pdf": Case("sent", TOKEN_ONLY),
    "api_memos.attested_pdf": Case("attested", TOKEN_ONLY),
    "api_memos.verification": Case("attested", TOKEN_ONLY),
    "api_admin.index": Case(None, ADMINISTRATOR_ONLY),
    "api_admin.deliveries": Case(None, ADMINISTRATOR_ONLY),
    "api_admin.create_token": Case(None, ADMINISTRATOR_ONLY, ("POST",)),
    "api_admin.add_webhook": Case(None, ADMINISTRATOR_ONLY, ("POST",)),
    "api_admin.revoke_token": Case(None, OUR_ADMINISTRATOR_ONLY, ("POST",)),
    "api_admin.remove_webhook": Case(None, OUR_ADMINISTRATOR_ONLY, ("POST",)),
    "api_admin.send_again": Case(None, OUR_ADMINISTRATOR_ONLY, ("POST",)),
    "admin.index": Case(None, ADMINISTRATOR_ONLY),
    "admin.people": Case(None, ADMINISTRATOR_ONLY),
    "admin.new_person": Case(None, ADMINISTRATOR_ONLY),
    "admin.create_person": Case(None, ADMINISTRATOR_ONLY, ("POST",)),
    "admin.person": Case(None, OUR_ADMINISTRATOR_ONLY),
    "admin.update_person": Case(None, OUR_ADMINISTRATOR_ONLY, ("POST",)),
    "admin.deactivate_person": Case(None, OUR_ADMINISTRATOR_ONLY, ("POST",)),
    "admin.reset_person": Case(None, OUR_ADMINISTRATOR_ONLY, ("POST",)),
    "admin.roles_": Case(None, ADMINISTRATOR_ONLY),
    "admin.add_role_": Case(None, ADMINISTRATOR_ONLY, ("POST",)),
    "admin.rename_role_": Case(None, OUR_ADMINISTRATOR_ONLY, ("POST",)),
    "admin.retire_role_": Case(None, OUR_ADMINISTRATOR_ONLY, ("POST",)),
    "admin.substitutes_": Case(None, ADMINISTRATOR_ONLY),
    "admin.add_substitute": Case(None, ADMINISTRATOR_ONLY, ("POST",)),
    "admin.end_substitute": Case(None, OUR_ADMINISTRATOR_ONLY, ("POST",)),
    "org_settings.index": Case(None, ADMINISTRATOR_ONLY),
    "org_settings.save": Case(None, ADMINISTRATOR_ONLY, ("POST",)),
    "audit_log.index": Case(None, ADMINISTRATOR_ONLY),
    "memo_types.index": Case(None, ADMINISTRATOR_ONLY),
    "memo_types.create": Case(None, ADMINISTRATOR_ONLY, ("POST",)),
    "memo_types.edit": Case(None, OUR_ADMINISTRATOR_ONLY),
    "memo_types.save": Case(None, OUR_ADMINISTRATOR_ONLY, ("POST",)),
    "memo_types.retire": Case(None, OUR_ADMINISTRATOR_ONLY, ("POST",)),
    "memo_types.reinstate": Case(None, OUR_ADMINISTRATOR_ONLY, ("POST",)),
}


@dataclass
class World:
    usernames: dict[str, str]
    memos: dict[str, int]  # "draft", "sent", "attested", "other" (the stranger's)
    bilagor: dict[str, int]
    lock_versions: dict[str, int]
    verification_codes: dict[str, str] = field(default_factory=dict)
    enrolment_token: str = ""  # a newcomer's unused enrolment link
    emails: list[str] = field(default_factory=list)  # of the organisation's people
    api: dict[str, int] = field(default_factory=dict)  # token_id, endpoint_id, delivery_id
    admin: dict[str, Any] = field(
        default_factory=dict
    )  # user_id, role_code, substitution_id, type_id

    def values(self, case: Case | None) -> dict[str, Any]:
        """The URL parameters a rule may name, taken from the case's memo."""
        memo = case.memo if case and case.memo else "sent"
        return {
            "memo_id": self.memos[memo],
            "number": 1,
            "attachment_id": self.bilagor[memo],
            "code": "EÅV",
            "filename": "attest.css",
            "pinned": PDFJS_VERSION,
            "name": "pdf.min.mjs",
            "request_id": "ID-unknown",  # an unknown request: nobody gets anything
            "verification_code": self.verification_codes.get(memo, "X"),
            "token": self.enrolment_token,
            **self.api,
            **self.admin,
        }


@pytest.fixture
def app_config(app_config):
    """The organisation's webhook goes to 127.0.0.1 (never called here)."""
    return {**app_config, **access_world.CONFIG}


@pytest.fixture
def world(access_matrix) -> World:
    """The session's world for the matrix (tests/support/access_world.py), in this test's
    database."""
    return World(**copy.deepcopy(access_matrix))


def _rules(app):
    return sorted(app.url_map.iter_rules(), key=lambda rule: (rule.endpoint, rule.rule))


def _is_public(endpoint: str) -> bool:
    return endpoint in PUBLIC or endpoint.split(".")[0] in PUBLIC_BLUEPRINTS


def _url(app, endpoint: str, world: World) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = world.values(MATRIX.get(endpoint))
    missing = rule.arguments - values.keys()
    assert not missing, f"{rule.rule}: give World.values a value for {missing}"
    with app.test_request_context():
        return url_for(endpoint, **{name: values[name] for name in rule.arguments})


def _snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table but bookkeeping: the sessions' (last_seen_at), the attempt
    counters (an enrolment link tried), the stored preview PDFs (a cache) and the audit
    log's record of refused access (attest.web.record_refused_access) with its head."""
    with app.app_context():
        snapshot = {}
        for table in Base.metadata.sorted_tables:
            if table.name in ("login_sessions", "audit_head", "attempt_counters", "preview_pdfs"):
                continue
            query = sa.select(table)
            if table.name == "audit_events":
                query = query.where(table.c.event != REFUSED_ACCESS)
            if table.name == "blobs":  # not the stored previews (a cache)
                query = query.where(table.c.sha256.not_in(sa.select(PreviewPdf.pdf_sha256)))
            rows = db.session().execute(query)
            snapshot[table.name] = sorted(map(tuple, rows), key=repr)
        return snapshot


def _client(app, world: World, actor: str):
    client = app.test_client()
    if actor != ANONYMOUS:
        assert Auth(client).login(world.usernames[actor]).status_code == 302
    page = client.get("/" if actor != ANONYMOUS else "/auth/login")
    return client, csrf_token(page.get_data(as_text=True))


def _form(world: World, case: Case, token: str | None) -> dict[str, str]:
    data = {"comment": "Synpunkt.", "password": PASSWORD, "rubrik": "Ändrad"}
    if case.memo:
        data["lock_version"] = str(world.lock_versions[case.memo])
    if token:
        data["csrf_token"] = token
    return data


def test_every_route_is_accounted_for(app):
    endpoints = {rule.endpoint for rule in _rules(app)}
    unaccounted = {e for e in endpoints if not _is_public(e)} - MATRIX.keys()
    assert unaccounted == set(), "add them to MATRIX (or, if really public, to PUBLIC)"
    assert MATRIX.keys() <= endpoints, "routes in the matrix that no longer exist"
    assert not MATRIX.keys() & PUBLIC.keys()
    for endpoint, case in MATRIX.items():
        methods = {m for r in _rules(app) if r.endpoint == endpoint for m in r.methods}
        assert set(case.methods) == methods - {"HEAD", "OPTIONS"}, endpoint


@pytest.mark.parametrize("actor", ACTORS)
def test_every_route_answers_each_person_as_it_should(app, world, actor):
    client, token = _client(app, world, actor)
    problems = []
    before = _snapshot(app)  # each request's "after" is the next one's "before"
    for endpoint, case in MATRIX.items():
        expected = case.expect[actor]
        url = _url(app, endpoint, world)
        for method in case.methods:
            if method == "POST" and expected == ALLOWED:
                continue
            data = _form(world, case, token) if method == "POST" else None
            response = client.open(url, method=method, data=data)
            status = response.status_code
            body = response.get_data()
            if expected == LOGIN:
                ok = status == 302 and response.headers["Location"].startswith("/auth/login")
            else:
                ok = status == (200 if expected == ALLOWED else expected)
            if not ok or status >= 500:
                problems.append(f"{method} {url}: {status}, expected {expected}")
            if actor in (ANONYMOUS, STRANGER) and SECRET.encode() in body:
                problems.append(f"{method} {url}: shows the memo to {actor}")
            if actor == STRANGER and any(e.encode() in body for e in world.emails):
                problems.append(f"{method} {url}: shows the organisation's mail to {actor}")
            after = _snapshot(app)
            if expected != ALLOWED and after != before:
                problems.append(f"{method} {url}: refused, yet something changed")
            before = after
            if status != 302 and endpoint != "auth.logout":
                assert response.headers["Cache-Control"] == "no-store", url
    assert problems == []


def test_another_organisations_memo_is_not_found_under_any_id(app, world, auth):
    """Object-level: a bilaga, version or memo id is checked against the memo and its owner."""
    auth.login(world.usernames["author"])
    sent, other = world.memos["sent"], world.memos["other"]
    urls = [
        f"/memos/{other}",
        f"/memos/{other}/bilagor/{world.bilagor['other']}",
        f"/memos/{sent}/bilagor/{world.bilagor['other']}",  # their bilaga under our memo
        f"/memos/{sent}/bilagor/{world.bilagor['draft']}",  # another memo's bilaga
        f"/memos/{sent}/versions/2",
        f"/memos/{sent}/versions/2/pdf",
        f"/memos/{world.memos['draft']}/attesterad.pdf",  # not attested
        f"/memos/{other}/attesterad.pdf",
        "/organisation/SÖ",
    ]
    for url in urls:
        response = auth.client.get(url)
        assert response.status_code == 404, url
        assert b"S\xc3\xb6dermalms \xc3\xa4rende" not in response.data, url


def test_public_routes_answer_anyone_without_a_login(app, world):
    client = app.test_client()
    for rule in _rules(app):
        if not _is_public(rule.endpoint):
            continue
        url = _url(app, rule.endpoint, world)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code < 500, url
            assert "/auth/login" not in response.headers.get("Location", ""), url


def test_no_get_changes_anything_and_posts_have_no_other_get(app, world):
    """Every state change is a POST: a route that takes POST answers GET only with its form."""
    clients = {
        actor: _client(app, world, actor)[0] for actor in (ANONYMOUS, "author", "registrator")
    }
    for rule in _rules(app):
        if "POST" not in rule.methods:
            continue
        if "GET" not in rule.methods:
            continue
        assert rule.endpoint in FORM_PAGES, f"{rule.rule} takes GET and POST"
        url = _url(app, rule.endpoint, world)
        before = _snapshot(app)
        # The login form is for those not logged in; the others for the author.
        actor = ANONYMOUS if _is_public(rule.endpoint) else "author"
        if rule.endpoint.startswith("verify."):
            actor = "registrator"
        response = clients[actor].get(url)
        assert response.status_code == 200, url
        assert '<form method="post"' in response.get_data(as_text=True), url
        assert _snapshot(app) == before, url


@pytest.mark.parametrize("actor", ["author", "registrator", "administrator", ANONYMOUS])
def test_a_get_of_any_page_changes_nothing(app, world, actor):
    client, _ = _client(app, world, actor)
    before = _snapshot(app)  # nothing changes, so it stays the "before" of every request
    for rule in _rules(app):
        if "GET" not in rule.methods:
            continue
        url = _url(app, rule.endpoint, world)
        response = client.get(url)
        assert response.status_code < 500, url
        assert _snapshot(app) == before, url


def test_every_post_without_a_csrf_token_is_refused(app, world):
    client, _ = _client(app, world, "author")
    before = _snapshot(app)  # nothing changes, so it stays the "before" of every request
    for rule in _rules(app):
        if "POST" not in rule.methods or rule.endpoint in CSRF_EXEMPT:
            continue
        url = _url(app, rule.endpoint, world)
        response = client.post(
            url, data=_form(world, MATRIX.get(rule.endpoint, Case(None, {})), None)
        )
        assert response.status_code == 400, url
        assert "säkerhetstoken saknas eller är ogiltig" in response.get_data(as_text=True), url
        assert _snapshot(app) == before, url
        forged = client.post(url, data={**_form(world, Case(None, {}), None), "csrf_token": "x"})
        assert forged.status_code == 400, url
    assert client.get("/").status_code == 200, "still logged in: logout was refused too"


def test_the_register_and_outbox_of_another_organisation_show_none_of_ours(app, world):
    ours = {
        "/attesterade": _client(app, world, "registrator")[0],
        "/utkorg": _client(app, world, "administrator")[0],
    }
    for url, client in ours.items():  # what the stranger must not see is there to see
        html = client.get(url).get_data(as_text=True)
        assert SECRET in html or any(email in html for email in world.emails), url
    client, _ = _client(app, world, STRANGER)
    for url in ("/attesterade", "/utkorg", "/"):
        html = client.get(url).get_data(as_text=True)
        assert SECRET not in html, url
        assert not any(email in html for email in world.emails), url
