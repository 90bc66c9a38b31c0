"""Security hardening: headers, session lifetime and rotation, limits on password attempts,
bilagor served as downloads. Access per route and CSRF: tests/test_access_matrix.py."""

import re

import pytest
import sqlalchemy as sa

from attest import create_app, db, paths
from attest.audit.models import AuditEvent
from attest.auth import ratelimit, sessions
from attest.memos.bilagor import check_pdf
from attest.memos.models import Memo
from attest.memos.operations import create_memo
from attest.users.models import LoginSession
from attest.users.operations import deactivate_user, get_user
from attest.workflow import operations
from attest.workflow.hooks import PasswordRejected, RecordOnlyHooks
from attest.workflow.models import Attestation
from tests.support import factories
from tests.support.web import csrf_token

PASSWORD = factories.PASSWORD
LOGIN_FAILED = "Fel användarnamn eller lösenord."
IDLE = "Du har loggats ut efter en tids inaktivitet."
MAX_AGE = "Du har loggats ut eftersom du har varit inloggad länge. Logga in igen."


def _events(app, name):
    with app.app_context():
        query = sa.select(AuditEvent).where(AuditEvent.event == name).order_by(AuditEvent.seq)
        return [(e.actor_id, e.address, e.data) for e in db.session().scalars(query)]


def _sessions(app, person):
    """(created_at, last_seen_at, ended_at) of the person's sessions, oldest first."""
    with app.app_context():
        query = (
            sa.select(LoginSession.created_at, LoginSession.last_seen_at, LoginSession.ended_at)
            .where(LoginSession.user_id == person.id)
            .order_by(LoginSession.created_at, LoginSession.ended_at.is_(None))
        )
        return [tuple(row) for row in db.session().execute(query)]


def _token(client):
    with client.session_transaction() as session:
        return session.get("_user_id")


def _sent_memo(app, people, **uploads) -> int:
    """A memo by the handläggare, sent: waiting for the avdelningschef."""
    with app.app_context():
        author = get_user(people.handlaggare.username)
        memo = create_memo(author, factories.content(rubrik="Ett ärende", sammanfattning="Text."))
        operations.submit_memo(memo, author)
        db.session().commit()
        return memo.id


def _attested_memo(app, people) -> int:
    memo_id = _sent_memo(app, people)
    with app.app_context():
        memo = db.session().get(Memo, memo_id)
        for person in (people.avdelningschef, people.stadsdelsdirektor):
            operations.attest_memo(memo, get_user(person.username), password=PASSWORD)
        db.session().commit()
    return memo_id


def _memo_state(app, memo_id):
    with app.app_context():
        attestations = db.session().scalar(sa.select(sa.func.count()).select_from(Attestation))
        return db.session().get(Memo, memo_id).state, attestations


# Headers


def _directives(policy: str) -> dict[str, list[str]]:
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def test_every_response_carries_the_security_headers(client):
    response = client.get("/auth/login")
    policy = response.headers["Content-Security-Policy"]
    csp = _directives(policy)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain http: no HSTS
    for other in (client.get("/"), client.get("/finns-inte"), client.get("/static/attest.css")):
        assert other.headers["Content-Security-Policy"] == policy
        assert other.headers["X-Content-Type-Options"] == "nosniff"


def _max_age(response) -> int:
    match = re.fullmatch(r"max-age=(\d+)(;.*)?", response.headers["Strict-Transport-Security"])
    assert match, response.headers["Strict-Transport-Security"]
    return int(match.group(1))


def test_hsts_over_https(client):
    response = client.get("/auth/login", base_url="https://attest.example.se")
    assert _max_age(response) >= 365 * 24 * 3600


def test_hsts_behind_a_trusted_proxy_that_speaks_https(app_config):
    app = create_app({**app_config, "TRUSTED_PROXY_COUNT": 1})
    client = app.test_client()
    proxied = client.get("/auth/login", headers={"X-Forwarded-Proto": "https"})
    assert _max_age(proxied) >= 365 * 24 * 3600
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers
    db.engine_of(app).dispose()


def test_nothing_with_memo_content_is_kept_by_a_cache(app, auth, people, client):
    with app.app_context():
        author = get_user(people.handlaggare.username)
        memo = factories.memo(author, uploads=[check_pdf("bilaga.pdf", factories.pdf_bytes())])
        draft_id, bilaga_id = memo.id, memo.versions[0].attachments[0].id
    attested_id = _attested_memo(app, people)
    auth.login(people.registrator.username)
    urls = [
        "/",
        f"/memos/{draft_id}",
        f"/memos/{draft_id}/versions/1",
        f"/memos/{draft_id}/pdf",
        f"/memos/{draft_id}/versions/1/pdf",
        f"/memos/{draft_id}/bilagor/{bilaga_id}",
        f"/memos/{attested_id}/attesterad.pdf",
        "/attesterade",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    # The stylesheet is the same for everyone: a cache may keep it.
    assert "no-store" not in client.get("/static/attest.css").headers.get("Cache-Control", "")


INLINE = re.compile(
    r"<script(?![^>]*\ssrc=)|<style[\s>]|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.IGNORECASE
)


def test_no_template_has_inline_script_or_style_the_policy_would_block():
    found = []
    for path in sorted(paths.templates_dir().rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if INLINE.search(line):
                found.append(f"{path.relative_to(paths.templates_dir())}:{number}: {line.strip()}")
    assert found == []


# Session lifetime


def test_a_session_ends_after_30_idle_minutes_on_the_server_too(app, auth, people, client, clock):
    auth.login(people.handlaggare.username)
    cookie = client.get_cookie("attest_session").value
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200  # an hour after the login, but never idle
    clock.advance(minutes=30)
    response = client.get("/memos/new")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=%2Fmemos%2Fnew"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert IDLE in page and "Logga in för att fortsätta." not in page
    [(_, _, ended_at)] = _sessions(app, people.handlaggare)
    assert ended_at == clock.now()
    [(actor, _, data)] = _events(app, "user:session:expired")
    assert actor == people.handlaggare.id and data == '{"reason":"idle"}'
    client.set_cookie("attest_session", cookie)  # the cookie from before is worth nothing
    assert client.get("/").status_code == 302
    assert auth.login(people.handlaggare.username).status_code == 302  # logging in again works


def test_a_session_ends_12_hours_after_the_login_however_busy(app, auth, people, client, clock):
    auth.login(people.handlaggare.username)
    for _ in range(35):  # a request every 20 minutes for 11 h 40 min
        clock.advance(minutes=20)
        assert client.get("/").status_code == 200
    clock.advance(minutes=20)
    response = client.get("/", follow_redirects=True)
    assert response.request.path == "/auth/login"
    assert MAX_AGE in response.get_data(as_text=True)
    [(_, _, data)] = _events(app, "user:session:expired")
    assert data == '{"reason":"max_age"}'


def test_the_session_limits_are_settings(app, auth, people, client, clock):
    app.config.update(SESSION_IDLE_MINUTES=5, SESSION_MAX_HOURS=1)
    auth.login(people.handlaggare.username)
    clock.advance(minutes=4)
    assert client.get("/").status_code == 200
    clock.advance(minutes=5)
    assert client.get("/").status_code == 302
    auth.login(people.handlaggare.username)
    for _ in range(14):
        clock.advance(minutes=4)
        assert client.get("/").status_code == 200
    clock.advance(minutes=4)  # 60 minutes
    assert client.get("/").status_code == 302


def test_last_seen_is_written_at_most_once_a_minute(app, auth, people, client, clock):
    auth.login(people.handlaggare.username)
    login_at = clock.now()
    clock.advance(seconds=40)
    client.get("/")
    [(_, last_seen, _)] = _sessions(app, people.handlaggare)
    assert last_seen == login_at
    clock.advance(seconds=20)
    client.get("/")
    [(_, last_seen, _)] = _sessions(app, people.handlaggare)
    assert last_seen == clock.now()


def test_the_user_loader_refuses_an_expired_session_by_itself(app, people, clock):
    with app.test_request_context():
        token = sessions.start_session(get_user(people.handlaggare.username))
        db.session().commit()
        assert sessions.load_session_user(token).username == people.handlaggare.username
        clock.advance(minutes=30)
        assert sessions.load_session_user(token) is None


def test_logout_ends_the_session_row(app, auth, people):
    auth.login(people.handlaggare.username)
    auth.logout()
    [(_, _, ended_at)] = _sessions(app, people.handlaggare)
    assert ended_at is not None


def test_deactivating_a_person_ends_every_session_of_theirs(app, auth, people):
    clients = [app.test_client() for _ in range(3)]
    for client, person in zip(
        clients, (people.handlaggare, people.handlaggare, people.registrator)
    ):
        assert type(auth)(client).login(person.username).status_code == 302
        assert client.get("/").status_code == 200
    with app.app_context():
        deactivate_user(get_user(people.handlaggare.username))
        db.session().commit()
    assert [c.get("/").status_code for c in clients] == [302, 302, 200]
    ended = [row[2] for row in _sessions(app, people.handlaggare)]
    assert len(ended) == 2 and None not in ended


def _lock_version(client, memo_id: int) -> str:
    """The version the memo page's forms carry (the page may have no form to read it from)."""
    with client.application.app_context():
        return str(db.session().get(Memo, memo_id).lock_version)


def test_attesting_re_authenticates_with_a_new_session(app, auth, people, client):
    memo_id = _sent_memo(app, people)
    auth.login(people.avdelningschef.username)
    before, cookie = _token(client), client.get_cookie("attest_session").value
    response = auth.post(
        f"/memos/{memo_id}/attestera",
        {"password": PASSWORD, "lock_version": _lock_version(client, memo_id)},
        page=f"/memos/{memo_id}",
    )
    assert response.status_code == 302
    after = _token(client)
    assert after and after != before
    assert "Du har attesterat" in client.get(f"/memos/{memo_id}").get_data(as_text=True)
    old, new = _sessions(app, people.avdelningschef)
    assert old[2] is not None and new[2] is None
    client.set_cookie("attest_session", cookie)
    assert client.get("/").status_code == 302  # the session before the attestation is over


def test_a_refused_attestation_keeps_the_session(app, auth, people, client):
    memo_id = _sent_memo(app, people)
    auth.login(people.stadsdelsdirektor.username)  # not this step's attester
    before = _token(client)
    response = auth.post(
        f"/memos/{memo_id}/attestera",
        {"password": PASSWORD, "lock_version": _lock_version(client, memo_id)},
        page=f"/memos/{memo_id}",
    )
    assert response.status_code == 403
    assert _token(client) == before
    assert len(_sessions(app, people.stadsdelsdirektor)) == 1


# Password attempts


def _login_from(client, address: str, username: str, password: str = PASSWORD):
    where = {"REMOTE_ADDR": address}
    token = csrf_token(client.get("/auth/login", environ_base=where).get_data(as_text=True))
    return client.post(
        "/auth/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base=where,
    )


def _is_login_form(response) -> bool:
    html = response.get_data(as_text=True)
    return 'name="username"' in html and 'name="password"' in html


def test_logins_as_one_person_are_limited_from_any_address(app, people, clock):
    client = app.test_client()
    name = people.handlaggare.username
    for n in range(9):
        response = _login_from(client, f"10.0.0.{n}", name, "fel lösenord")
        assert response.status_code == 200 and LOGIN_FAILED in response.get_data(as_text=True)
    tenth = _login_from(client, "10.0.0.9", name, "fel lösenord")
    assert tenth.status_code == 429
    assert LOGIN_FAILED in tenth.get_data(as_text=True)
    # The right password from yet another address: refused without being checked.
    response = _login_from(client, "10.0.1.1", name, PASSWORD)
    assert response.status_code == 429 and _is_login_form(response)
    html = response.get_data(as_text=True)
    assert "För många misslyckade försök. Vänta 15 minuter och försök igen." in html
    assert response.headers["Retry-After"] == str(15 * 60)
    assert client.get("/").status_code == 302
    assert _events(app, "user:login:throttled") == [(None, "10.0.1.1", f'{{"username":"{name}"}}')]
    # Someone else at that address is not affected.
    assert (
        _login_from(app.test_client(), "10.0.1.1", people.registrator.username).status_code == 302
    )
    # Limited in time: never a lock that needs an administrator.
    clock.advance(minutes=14)
    response = _login_from(client, "10.0.1.1", name, PASSWORD)
    assert response.status_code == 429
    assert "Vänta 1 minut och försök igen." in response.get_data(as_text=True)
    clock.advance(minutes=1)
    assert _login_from(client, "10.0.1.1", name, PASSWORD).status_code == 302


def test_logins_from_one_address_are_limited_whatever_the_username(app, people):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 10  # 100 by default (tests/test_throttling.py)
    client = app.test_client()
    for n in range(10):
        _login_from(client, "10.9.9.9", f"finns-inte-{n}", "gissning")
    response = _login_from(client, "10.9.9.9", people.avdelningschef.username)
    assert response.status_code == 429 and _is_login_form(response)
    assert (
        _login_from(app.test_client(), "10.9.9.8", people.avdelningschef.username).status_code
        == 302
    )


def test_the_limits_are_settings(app, people):
    app.config.update(
        LOGIN_MAX_FAILURES=3, LOGIN_FAILURE_WINDOW_MINUTES=5, LOGIN_MAX_FAILURES_PER_ADDRESS=2
    )
    client = app.test_client()
    name = people.handlaggare.username
    statuses = [_login_from(client, f"10.0.0.{n}", name, "fel").status_code for n in range(3)]
    assert statuses == [200, 200, 429]
    assert "Vänta 5 minuter" in _login_from(client, "10.0.0.9", name).get_data(as_text=True)
    other = people.registrator.username
    assert [_login_from(client, "10.5.5.5", other, "fel").status_code for _ in range(2)] == [
        200,
        429,
    ]


def test_the_count_is_the_same_on_every_app_server(app, app_config, people):
    """Two app servers on one database: the failures counted by one refuse on the other."""
    other_server = create_app(app_config)
    name = people.handlaggare.username
    for n in range(10):
        _login_from(app.test_client(), f"10.0.0.{n}", name, "fel")
    response = _login_from(other_server.test_client(), "10.7.7.7", name)
    assert response.status_code == 429
    db.engine_of(other_server).dispose()


class PasswordCheckingHooks(RecordOnlyHooks):
    """Refuses a wrong attest password like the PAdES signing does, without the slow keys."""

    def attest(self, pdf, *, password, **kwargs):
        if password != PASSWORD:
            raise PasswordRejected()
        return super().attest(pdf, password=password, **kwargs)


def _attest(client, memo_id: int, password: str, address: str = "127.0.0.1"):
    where = {"REMOTE_ADDR": address}
    page = client.get(f"/memos/{memo_id}", environ_base=where).get_data(as_text=True)
    return client.post(
        f"/memos/{memo_id}/attestera",
        data={
            "password": password,
            "csrf_token": csrf_token(page),
            "lock_version": _lock_version(client, memo_id),
        },
        environ_base=where,
    )


def test_attest_passwords_are_limited_too(app, auth, people, client, clock):
    app.config["LOGIN_MAX_FAILURES"] = 3
    app.extensions["attest.hooks"] = PasswordCheckingHooks()
    memo_id = _sent_memo(app, people)
    auth.login(people.avdelningschef.username)
    assert [_attest(client, memo_id, "fel").status_code for _ in range(2)] == [400, 400]
    third = _attest(client, memo_id, "fel")
    assert third.status_code == 429
    assert "Fel lösenord" in third.get_data(as_text=True)
    response = _attest(client, memo_id, PASSWORD)  # the right one: not even tried
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "För många misslyckade försök. Vänta 15 minuter och försök igen." in html
    assert 'name="password"' in html  # the attest form again, not a bare error
    assert response.headers["Retry-After"] == str(15 * 60)
    assert _memo_state(app, memo_id) == ("attest", 0)
    memo_data = f'{{"memo":{memo_id}}}'
    assert _events(app, "memo:attestation:throttled") == [
        (people.avdelningschef.id, "127.0.0.1", memo_data)
    ]
    clock.advance(minutes=15)
    assert _attest(client, memo_id, PASSWORD).status_code == 302
    assert _memo_state(app, memo_id) == ("attest", 1)


def test_attest_passwords_from_one_address_are_limited(app, auth, people, client):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 2
    memo_id = _sent_memo(app, people)
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.3.3.3"}):
        for _ in range(2):  # someone else's wrong passwords from that address
            ratelimit.reserve_attestation(get_user(people.stadsdelsdirektor.username))
    auth.login(people.avdelningschef.username)
    # A device she logged in on counts apart (tests/test_throttling.py); this one is not.
    client.delete_cookie(ratelimit.DEVICE_COOKIE)
    assert _attest(client, memo_id, PASSWORD, address="10.3.3.3").status_code == 429
    assert _attest(client, memo_id, PASSWORD, address="10.3.3.4").status_code == 302


# Uploaded files


def test_a_bilaga_is_a_pdf_download_never_a_page(app, auth, people, client):
    # Starts like a web page, yet is a readable PDF, so it is accepted as a bilaga.
    polyglot = b"<html><body><script>alert(1)</script></body></html>\n" + factories.pdf_bytes()
    with app.app_context():
        author = get_user(people.handlaggare.username)
        memo = factories.memo(author, uploads=[check_pdf("rapport.html", polyglot)])
        url = f"/memos/{memo.id}/bilagor/{memo.versions[0].attachments[0].id}"
    auth.login(people.avdelningschef.username)
    response = client.get(url)
    assert response.status_code == 200
    assert response.data == polyglot
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "rapport.html" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("url", ["/memos/{id}/pdf", "/memos/{id}/versions/1/pdf"])
def test_memo_pdfs_are_served_as_pdf_with_nosniff(app, auth, people, client, url):
    with app.app_context():
        memo_id = factories.memo(get_user(people.handlaggare.username)).id
    auth.login(people.handlaggare.username)
    response = client.get(url.format(id=memo_id))
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF-")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
