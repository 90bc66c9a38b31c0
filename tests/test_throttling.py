"""Password attempts are limited in a way that can neither be raced nor turned against a
person: the check and the count are one step in the database, before the password is
tried; a device where the person logged in before keeps its own count; one address gets a
far larger budget than one person, so a colleague's typos never lock out the office."""

from __future__ import annotations

import json
import threading

import pytest
import sqlalchemy as sa

from attest import db
from attest.audit.models import AuditEvent
from attest.auth import ratelimit
from attest.users.operations import get_user
from tests.support import factories
from tests.support.servers import Server, Visitor, server_env
from tests.support.web import csrf_token

PASSWORD = factories.PASSWORD
WRONG = "inte rätt lösenord"


def _count(app, event: str) -> int:
    with app.app_context():
        return db.session().scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.event == event)
        )


def _login(client, username: str, password: str = PASSWORD, address: str = "127.0.0.1"):
    where = {"REMOTE_ADDR": address}
    token = csrf_token(client.get("/auth/login", environ_base=where).get_data(as_text=True))
    return client.post(
        "/auth/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base=where,
    )


def _logout(client) -> None:
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302


def test_the_per_address_limit_is_well_above_the_per_person_one(app):
    assert app.config["LOGIN_MAX_FAILURES"] == 10
    assert app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] == 100


def test_a_colleague_logs_in_from_the_address_where_someone_was_just_throttled(app, people):
    office = "10.20.30.40"  # the office's NAT: everyone comes from here
    typist = app.test_client()
    for _ in range(10):
        _login(typist, people.handlaggare.username, WRONG, office)
    assert _login(typist, people.handlaggare.username, PASSWORD, office).status_code == 429
    colleague = app.test_client()
    assert _login(colleague, people.registrator.username, PASSWORD, office).status_code == 302


def test_the_director_logs_in_from_her_own_device_while_her_name_is_attacked(app, people):
    director = people.stadsdelsdirektor.username
    desk = app.test_client()
    assert _login(desk, director, address="10.0.0.5").status_code == 302
    _logout(desk)
    # Someone elsewhere tries her name, again and again.
    attacker = app.test_client()
    statuses = [_login(attacker, director, WRONG, f"203.0.113.{n}").status_code for n in range(30)]
    assert statuses[:9] == [200] * 9 and set(statuses[9:]) == {429}
    # From a device she never used, even the right password waits out the window...
    assert _login(app.test_client(), director, PASSWORD, "10.0.0.6").status_code == 429
    # ...but her own desk is not locked out by strangers.
    assert _login(desk, director, address="10.0.0.5").status_code == 302


def test_a_known_device_has_a_limit_of_its_own(app, people):
    name = people.avdelningschef.username
    laptop = app.test_client()
    assert _login(laptop, name).status_code == 302
    _logout(laptop)
    statuses = [_login(laptop, name, WRONG).status_code for _ in range(11)]
    assert statuses == [200] * 9 + [429, 429]
    # Its failures are its own: another device of hers still has the common budget.
    assert _login(app.test_client(), name).status_code == 302


def test_the_device_cookie_is_signed_and_names_the_person(app, people):
    name = people.avdelningschef.username
    laptop = app.test_client()
    assert _login(laptop, name).status_code == 302
    cookie = laptop.get_cookie(ratelimit.DEVICE_COOKIE)
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert name not in cookie.value  # no username in it: an id under a signature
    _logout(laptop)
    for _ in range(10):
        _login(app.test_client(), name, WRONG, "203.0.113.9")
    forged = app.test_client()
    forged.set_cookie(ratelimit.DEVICE_COOKIE, cookie.value[:-2] + "xx")
    assert _login(forged, name).status_code == 429
    copied = app.test_client()  # the same cookie on another device: the same device's count
    copied.set_cookie(ratelimit.DEVICE_COOKIE, cookie.value)
    assert _login(copied, name).status_code == 302
    _logout(copied)
    # A device known for one person is unknown for another.
    other = people.registrator.username
    for _ in range(10):
        _login(app.test_client(), other, WRONG, "203.0.113.10")
    assert _login(copied, other).status_code == 429


def test_the_attest_password_has_the_same_device_rule(app, auth, people, client):
    """Wrong attest passwords on one device do not stop the person on another."""
    from attest.memos.models import Memo
    from attest.memos.operations import create_memo
    from attest.workflow import operations
    from attest.workflow.hooks import PasswordRejected, RecordOnlyHooks

    class Checking(RecordOnlyHooks):
        def attest(self, pdf, *, password, **kwargs):
            if password != PASSWORD:
                raise PasswordRejected()
            return super().attest(pdf, password=password, **kwargs)

    app.extensions["attest.hooks"] = Checking()
    with app.app_context():
        author = get_user(people.handlaggare.username)
        memo = create_memo(author, factories.content(rubrik="Ett ärende"))
        operations.submit_memo(memo, author)
        db.session().commit()
        memo_id = memo.id

    def attest(browser, password, address):
        where = {"REMOTE_ADDR": address}
        page = browser.get(f"/memos/{memo_id}", environ_base=where).get_data(as_text=True)
        with app.app_context():
            lock = db.session().get(Memo, memo_id).lock_version
        return browser.post(
            f"/memos/{memo_id}/attestera",
            data={"password": password, "csrf_token": csrf_token(page), "lock_version": lock},
            environ_base=where,
        )

    desk = app.test_client()
    assert _login(desk, people.avdelningschef.username, address="10.0.0.7").status_code == 302
    borrowed = app.test_client()  # her session on a device she never logged in on before
    assert _login(borrowed, people.avdelningschef.username, address="10.0.0.8").status_code == 302
    # (the login made that one known too: forget it, as a browser without cookies would)
    borrowed.delete_cookie(ratelimit.DEVICE_COOKIE)
    statuses = [attest(borrowed, WRONG, "10.0.0.8").status_code for _ in range(11)]
    assert statuses == [400] * 9 + [429, 429]
    assert attest(desk, PASSWORD, "10.0.0.7").status_code == 302


# --- races: the count is taken before the password is tried ----------------------------


PRODUCTION_HASHING = {"ARGON2_TIME_COST": 3, "ARGON2_MEMORY_COST": 65536, "ARGON2_PARALLELISM": 4}


def _person_with_production_hashing(app, org) -> str:
    """A person whose password hash has the production cost (a check takes real time)."""
    app.config.update(PRODUCTION_HASHING)
    app.extensions.pop("attest.password_hasher", None)
    with app.app_context():
        factories.user(org, "avdelningschef", username="direktoren")
    return "direktoren"


def _parallel_wrong_logins(base_url: str, username: str, count: int) -> list[int]:
    visitors = [Visitor(base_url) for _ in range(count)]
    forms = [v.form("/auth/login", "/auth/login") for v in visitors]
    start = threading.Barrier(count)
    statuses: list[int] = [0] * count

    def attempt(n: int) -> None:
        start.wait()
        reply = visitors[n].post(
            "/auth/login", {**forms[n], "username": username, "password": f"{WRONG} {n}"}
        )
        statuses[n] = reply.status

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


@pytest.mark.system
@pytest.mark.slow
def test_thirty_parallel_wrong_passwords_get_at_most_ten_checks(app, org, tmp_path):
    """Under gunicorn with several workers, on SQLite and (in the PostgreSQL pass) on
    PostgreSQL: each failed check is one user:login:failed event."""
    username = _person_with_production_hashing(app, org)
    env = server_env(app, **{f"ATTEST_{k}": str(v) for k, v in PRODUCTION_HASHING.items()})
    with Server(env, tmp_path / "server.log", workers=3, threads=10) as server:
        statuses = _parallel_wrong_logins(server.url, username, 30)
        checks = _count(app, ratelimit.LOGIN_FAILED)
        refused = _count(app, ratelimit.LOGIN_THROTTLED)
        assert "Traceback" not in server.output(tail=None)
    assert sorted(set(statuses)) == [200, 429] or set(statuses) == {429}, statuses
    assert checks <= 10, f"{checks} password checks for 30 parallel attempts"
    assert checks + refused == 30
    assert statuses.count(429) == 30 - statuses.count(200)


def test_the_count_is_one_statement_per_key_and_refusals_do_not_count(app, people, clock):
    """The building block: reserve, refuse at the limit, release on success."""
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.9.8.7"}):
        config = app.config
        config.update(LOGIN_MAX_FAILURES=3, LOGIN_MAX_FAILURES_PER_ADDRESS=100)
        held = [ratelimit.reserve_login(people.handlaggare.username) for _ in range(3)]
        assert all(isinstance(r, ratelimit.Reservation) for r in held)
        refused = ratelimit.reserve_login(people.handlaggare.username)
        assert isinstance(refused, ratelimit.Throttle) and refused.seconds == 15 * 60
        ratelimit.release(held[0])  # a success gives its attempt back
        db.session().commit()
        assert isinstance(
            ratelimit.reserve_login(people.handlaggare.username), ratelimit.Reservation
        )
        assert isinstance(ratelimit.reserve_login(people.handlaggare.username), ratelimit.Throttle)
        rows = {
            key: attempts
            for key, attempts in db.session().execute(
                sa.select(ratelimit.AttemptCounter.key, ratelimit.AttemptCounter.attempts)
            )
        }
        # The refused attempts were not counted at the address either.
        assert rows == {
            f"login:person:{people.handlaggare.username.lower()}": 3,
            "login:address:10.9.8.7": 3,
        }
        clock.advance(minutes=15)
        assert isinstance(
            ratelimit.reserve_login(people.handlaggare.username), ratelimit.Reservation
        )


def test_failed_logins_are_still_audited_with_the_username(app, people):
    client = app.test_client()
    _login(client, people.handlaggare.username, WRONG, "10.1.1.1")
    with app.app_context():
        [event] = db.session().scalars(
            sa.select(AuditEvent).where(AuditEvent.event == ratelimit.LOGIN_FAILED)
        )
        assert json.loads(event.data) == {"username": people.handlaggare.username}
        assert event.address == "10.1.1.1"
