"""People choose their own password, and only that password unlocks their signing key.

An administrator creates a person with an enrolment link (mailed, or printed once); the
person chooses a password on /aktivera/<token> and only then gets a key pair. "Byt
lösenord" re-encrypts it; a reset revokes it and issues a new link, never a password. A
password set on the command line (--password-stdin, for scripted set-up) lets a person log
in but, in production configuration, unlocks no key: they choose their own before their
first attestation.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from attest import db
from attest.attestation import personal
from attest.attestation.models import UserKey
from attest.audit.models import AuditEvent
from attest.memos.models import Memo
from attest.memos.operations import create_memo
from attest.pki import WrongPassword, decrypt_private_key
from attest.users.models import Enrolment, User
from attest.users.operations import get_user, invite_user, reset_user
from attest.workflow.models import OutboxMail
from attest.workflow.operations import submit_memo
from tests.support import factories
from tests.support.web import Auth, Page, csrf_token

PASSWORD = factories.PASSWORD
OWN = "min egen hemliga fras i höst"  # what the person chooses
ADMINS = "administratorns val 2024"  # what an administrator typed on the command line
LINK = re.compile(r"http://127\.0\.0\.1:5000(/aktivera/[A-Za-z0-9_-]+)")


def _invite(app, username="nora", email="nora@example.se", **more):
    with app.app_context():
        invitation = invite_user(
            username,
            full_name="Nora Nyström",
            organisation_code="EÅV",
            roles=["avdelningschef"],
            title="Avdelningschef",
            email=email,
            **more,
        )
        db.session().commit()
        return invitation.link


def _path(link) -> str:
    return LINK.fullmatch(link.url).group(1)


def _choose(client, path: str, password: str, again: str | None = None):
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return client.post(
        path,
        data={
            "new_password": password,
            "new_password_again": password if again is None else again,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )


def _keys(app, username: str) -> list[UserKey]:
    with app.app_context():
        user = get_user(username)
        return list(
            db.session().scalars(
                sa.select(UserKey).where(UserKey.user_id == user.id).order_by(UserKey.id)
            )
        )


def _unlocks(key: UserKey, password: str) -> bool:
    try:
        decrypt_private_key(key.encrypted_key_pem.encode(), password)
    except WrongPassword:
        return False
    return True


def _events(app, name: str) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session().scalars(
                sa.select(AuditEvent).where(AuditEvent.event == name).order_by(AuditEvent.seq)
            )
        )


# --- the enrolment link ----------------------------------------------------------------


def test_an_invited_person_is_mailed_a_link_and_has_no_password_yet(app, people, client):
    link = _invite(app)
    with app.app_context():
        [mail] = db.session().scalars(sa.select(OutboxMail))
        assert mail.to_address == "nora@example.se"
        assert mail.subject == "Aktivera ditt konto i attest"
        assert link.url in mail.body and "nora" in mail.body
        nora = get_user("nora")
        assert nora.password_hash is None and not nora.own_password
        [enrolment] = db.session().scalars(sa.select(Enrolment).where(Enrolment.user_id == nora.id))
        assert enrolment.token_hash not in link.url  # only its hash is stored
        assert len(enrolment.token_hash) == 64
    assert link.mailed_to == "nora@example.se"
    # Nothing anyone types logs in as her before she has chosen.
    for guess in ("", PASSWORD, "None"):
        response = client.post("/auth/login", data={"username": "nora", "password": guess})
        assert response.status_code in (200, 400)
    # The outbox page shows an administrator that it was sent, never the link.
    admin = app.test_client()
    assert Auth(admin).login(people.administrator.username).status_code == 302
    outbox = admin.get("/utkorg").get_data(as_text=True)
    assert "Aktivera ditt konto i attest" in outbox and "/aktivera/" not in outbox


def test_the_person_chooses_a_password_and_only_then_gets_a_key(app, signed_people, client):
    link = _invite(app)
    assert _keys(app, "nora") == []
    page = Page(client.get(_path(link)))
    assert page.status == 200
    assert "Nora Nyström" in page.text and "nora" in page.text
    assert page.buttons() == ["Aktivera kontot"]
    # Twice, the same: a typo is caught before it becomes her password.
    response = _choose(client, _path(link), OWN, OWN + "x")
    assert response.status_code == 400
    assert "Skriv samma nya lösenord två gånger." in response.get_data(as_text=True)
    response = _choose(client, _path(link), "password1234")
    assert response.status_code == 400
    assert "vanligaste lösenorden" in response.get_data(as_text=True)
    assert _keys(app, "nora") == []
    response = _choose(client, _path(link), OWN)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert "Ditt konto är aktiverat" in client.get("/auth/login").get_data(as_text=True)
    [key] = _keys(app, "nora")
    assert _unlocks(key, OWN)
    with app.app_context():
        assert get_user("nora").own_password
    with app.app_context():
        nora_id = get_user("nora").id
    assert [e.actor_id for e in _events(app, "user:enrolled")][-1] == nora_id
    login = client.post(
        "/auth/login",
        data={
            "username": "nora",
            "password": OWN,
            "csrf_token": csrf_token(client.get("/auth/login").get_data(as_text=True)),
        },
    )
    assert login.status_code == 302


@pytest.mark.parametrize("how", ["used", "replaced", "expired", "unknown"])
def test_a_link_used_replaced_expired_or_unknown_is_refused_in_swedish(
    app, people, client, clock, how
):
    link = _invite(app)
    path = _path(link)
    if how == "used":
        assert _choose(client, path, OWN).status_code == 302
        expected, message = 410, "Länken är redan använd"
    elif how == "replaced":
        with app.app_context():
            reset_user(get_user("nora"))
            db.session().commit()
        expected, message = 410, "en nyare länk har skickats"
    elif how == "expired":
        clock.advance(hours=72)
        expected, message = 410, "Länken har slutat gälla"
    else:
        path = path[:-4] + "AAAA"
        expected, message = 404, "Länken är ogiltig"
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    posted = client.post(path, data={"new_password": OWN, "csrf_token": token})
    for response in (client.get(path), posted):
        html = response.get_data(as_text=True)
        assert response.status_code == expected, html[:300]
        assert message in html and '<html lang="sv">' in html
        assert 'name="new_password"' not in html
    refusals = _events(app, "user:enrolment:refused")
    assert len(refusals) == 2 and refusals[0].address == "127.0.0.1"


def test_the_link_is_valid_for_the_configured_hours(app, people, client, clock):
    app.config["ENROLMENT_HOURS"] = 2
    link = _invite(app)
    clock.advance(hours=1, minutes=59)
    assert client.get(_path(link)).status_code == 200
    clock.advance(minutes=1)
    assert client.get(_path(link)).status_code == 410


def test_trying_links_is_limited_per_address(app, people, client):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    for n in range(3):
        assert client.get(f"/aktivera/gissning-{n}").status_code == 404
    link = _invite(app)
    response = client.get(_path(link))
    assert response.status_code == 429 and "Vänta 15 minuter" in response.get_data(as_text=True)
    assert (
        app.test_client().get(_path(link), environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code
        == 200
    )


# --- Byt lösenord --------------------------------------------------------------------


def _change(client, current: str, new: str, again: str | None = None):
    page = client.get("/konto/losenord")
    assert page.status_code == 200
    return client.post(
        "/konto/losenord",
        data={
            "current_password": current,
            "new_password": new,
            "new_password_again": new if again is None else again,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )


def test_everyone_changes_their_own_password_and_the_key_is_re_encrypted(
    app, signed_people, auth, client
):
    person = signed_people.avdelningschef
    [before] = _keys(app, person.username)
    other_device = app.test_client()
    assert type(auth)(other_device).login(person.username).status_code == 302
    auth.login(person.username)
    assert "Byt lösenord" in client.get("/").get_data(as_text=True)  # in the header
    assert _change(client, "fel lösenord helt", OWN).status_code == 400
    response = _change(client, PASSWORD, OWN, OWN + "!")
    assert response.status_code == 400 and "två gånger" in response.get_data(as_text=True)
    response = _change(client, PASSWORD, "aaaaaaaaaaaaaaa")
    assert response.status_code == 400 and "upprepningar" in response.get_data(as_text=True)
    response = _change(client, PASSWORD, OWN)
    assert response.status_code == 302
    [after] = _keys(app, person.username)
    assert after.certificate_sha256 == before.certificate_sha256  # the same key
    assert _unlocks(after, OWN) and not _unlocks(after, PASSWORD)
    assert client.get("/").status_code == 200  # this session goes on
    assert other_device.get("/").status_code == 302  # every other one has ended
    assert Auth(app.test_client()).login(person.username, PASSWORD).status_code == 200


def test_the_current_password_on_the_change_page_counts_as_an_attempt(app, people, auth, client):
    app.config["LOGIN_MAX_FAILURES"] = 3
    auth.login(people.handlaggare.username)
    client.delete_cookie("attest_device")
    statuses = [_change(client, f"fel gissning {n}", OWN).status_code for n in range(4)]
    assert statuses == [400, 400, 429, 429]


# --- a password an administrator set -----------------------------------------------


def _sent_memo(app, author_username: str) -> int:
    with app.app_context():
        author = get_user(author_username)
        memo = create_memo(author, factories.content(rubrik="Ett ärende"))
        submit_memo(memo, author)
        db.session().commit()
        return memo.id


def _attest(client, memo_id: int, password: str):
    page = client.get(f"/memos/{memo_id}").get_data(as_text=True)
    with client.application.app_context():
        lock = db.session().get(Memo, memo_id).lock_version
    return client.post(
        f"/memos/{memo_id}/attestera",
        data={"password": password, "csrf_token": csrf_token(page), "lock_version": lock},
    )


def test_a_password_set_by_an_administrator_must_be_replaced_before_attesting(
    app, signed_people, runner, auth, client
):
    # The scripted set-up: the administrator chose the password.
    result = runner.invoke(
        args=[
            "user",
            "add",
            "petra",
            "--name",
            "Petra Persson",
            "--title",
            "Avdelningschef",
            "--role",
            "avdelningschef",
            "--org",
            "EÅV",
            "--password-stdin",
        ],
        input=f"{ADMINS}\n",
    )
    assert result.exit_code == 0, result.output
    assert "måste välja ett eget" in result.output
    assert _keys(app, "petra") == []  # no key under a password someone else knows
    with app.app_context():  # sent with Petra as its avdelningschef
        author = get_user(signed_people.handlaggare.username)
        memo = create_memo(author, factories.content(rubrik="Ett ärende"))
        submit_memo(memo, author, {1: get_user("petra").id})
        db.session().commit()
        memo_id = memo.id
    assert auth.login("petra", ADMINS).status_code == 302  # she may log in
    page = Page(client.get(f"/memos/{memo_id}"))
    assert "Ditt lösenord har satts av en administratör" in page.text
    assert "Attestera" not in page.buttons()
    response = _attest(client, memo_id, ADMINS)
    html = response.get_data(as_text=True)
    assert response.status_code == 403 and 'href="/konto/losenord"' in html
    assert "Välj ett eget under ”Byt lösenord”" in html
    with app.app_context():
        assert db.session().get(Memo, memo_id).state == "attest"
    # She chooses her own: a key is issued under it, and she attests.
    assert _change(client, ADMINS, OWN).status_code == 302
    [key] = _keys(app, "petra")
    assert _unlocks(key, OWN) and not _unlocks(key, ADMINS)
    assert _attest(client, memo_id, OWN).status_code == 302
    with app.app_context():
        assert db.session().get(Memo, memo_id).state == "attest"  # at the director now
        assert len(db.session().get(Memo, memo_id).versions) == 1


def test_with_require_own_password_off_the_administrators_password_signs(
    app, signed_people, runner
):
    """The demo's configuration (written by `attest init` for a checkout)."""
    app.config["REQUIRE_OWN_PASSWORD"] = False
    result = runner.invoke(
        args=["user", "add", "demo", "--name", "Dora Demo", "--role", "avdelningschef"]
        + ["--org", "EÅV", "--password-stdin"],
        input=f"{ADMINS}\n",
    )
    assert result.exit_code == 0, result.output
    assert "måste välja" not in result.output
    [key] = _keys(app, "demo")
    assert _unlocks(key, ADMINS)
    with app.app_context():  # choosing her own later revokes that key and issues another
        from attest.users.operations import change_own_password

        change_own_password(get_user("demo"), ADMINS, OWN)
        db.session().commit()
    old, new = _keys(app, "demo")
    assert old.revoked_at is not None and new.revoked_at is None and _unlocks(new, OWN)


# --- no path gives an administrator a password that unlocks a key ---------------------


def test_an_administrator_cannot_produce_a_password_that_unlocks_anyones_key(
    app, signed_people, runner
):
    """Production configuration (REQUIRE_OWN_PASSWORD on, PAdES signing): every way an
    administrator has to give a person a password or a link, and what they learn by it.
    (Without an e-mail address the link is printed to the administrator: whoever opens it
    first chooses the password; the person then finds it used, and the audit log says
    when and from where. With an address, the administrator never sees it.)"""
    assert app.config["REQUIRE_OWN_PASSWORD"] is True
    known: set[str] = {ADMINS}  # every password an administrator typed or could read

    def cli(*args, stdin=None):
        result = runner.invoke(args=list(args), input=stdin)
        assert result.exit_code == 0, result.output
        known.update(re.findall(r"\S{12,}", result.output))  # whatever it printed
        return result.output

    # 1. add with a password from standard input
    cli("user", "add", "ulla", "--name", "Ulla Ulf", "--role", "avdelningschef",
        "--org", "EÅV", "--password-stdin", stdin=f"{ADMINS}\n")  # fmt: skip
    # 2. add with a mailed enrolment link: nothing printed that opens it
    output = cli("user", "add", "vera", "--name", "Vera Vik", "--role", "avdelningschef",
                 "--org", "EÅV", "--email", "vera@example.se")  # fmt: skip
    assert "/aktivera/" not in output
    with app.app_context():
        [mail] = db.session().scalars(
            sa.select(OutboxMail).where(OutboxMail.to_address == "vera@example.se")
        )
        vera_link = LINK.search(mail.body).group(1)
    client = app.test_client()
    assert _choose(client, vera_link, "sjöbod under regnmoln").status_code == 302
    # 3. the administrator replays a link the person already used
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    response = client.post(
        vera_link,
        data={"new_password": ADMINS, "new_password_again": ADMINS, "csrf_token": token},
    )
    assert response.status_code == 410
    # 4. passwd --password-stdin on an enrolled person, and on one set by an administrator
    for username in (signed_people.avdelningschef.username, "vera", "ulla"):
        cli("user", "passwd", username, "--password-stdin", stdin=f"{ADMINS}\n")
    # 5. reset (with a mailed link) of an enrolled person
    cli("user", "reset", signed_people.stadsdelsdirektor.username)
    # 6. the reset person enrols again with the new link; the admin tries the old one
    with app.app_context():
        director = get_user(signed_people.stadsdelsdirektor.username)
        mails = (
            db.session()
            .scalars(
                sa.select(OutboxMail)
                .where(OutboxMail.recipient_id == director.id)
                .order_by(OutboxMail.id)
            )
            .all()
        )
        new_link = LINK.search(mails[-1].body).group(1)
    assert _choose(client, new_link, "direktorens nya egna fras").status_code == 302
    response = client.post(new_link, data={"new_password": ADMINS, "csrf_token": token})
    assert response.status_code == 410

    with app.app_context():
        keys = list(db.session().scalars(sa.select(UserKey)))
        usable = [
            (db.session().get(User, k.user_id).username, p)
            for k in keys
            for p in known
            if _unlocks(k, p)
        ]
    assert usable == [], "a password an administrator knows unlocks a key"
    # And every active key is under a password its holder chose.
    with app.app_context():
        for key in keys:
            if key.revoked_at is None:
                assert db.session().get(User, key.user_id).own_password


def test_a_reset_revokes_the_key_ends_the_password_and_sends_a_new_link(
    app, signed_people, auth, client
):
    person = signed_people.avdelningschef
    [old] = _keys(app, person.username)
    auth.login(person.username)
    with app.app_context():
        link = reset_user(get_user(person.username))
        db.session().commit()
        assert (
            personal.current_crl(
                get_user(person.username).organisation
            ).get_revoked_certificate_by_serial_number(int(old.serial))
            is not None
        )
    assert client.get("/").status_code == 302  # her session has ended
    assert auth.login(person.username, PASSWORD).status_code == 200  # the password too
    assert link.mailed_to == person.email
    other = app.test_client()
    assert _choose(other, _path(link), OWN).status_code == 302
    revoked, new = _keys(app, person.username)
    assert revoked.revoked_at is not None and new.revoked_at is None
    assert _unlocks(new, OWN)
    assert auth.login(person.username, OWN).status_code == 302
