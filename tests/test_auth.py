import sqlalchemy as sa

from attest import db
from attest.audit.models import AuditEvent
from attest.users.operations import deactivate_user
from tests.support.web import csrf_token

LOGIN_FAILED = "Fel användarnamn eller lösenord."


def _events(app, name):
    with app.app_context():
        return list(
            db.session().scalars(
                sa.select(AuditEvent).where(AuditEvent.event == name).order_by(AuditEvent.seq)
            )
        )


def test_login_page_has_labelled_fields_and_button(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert '<label for="username">Användarnamn</label>' in html
    assert '<label for="password">Lösenord</label>' in html
    assert 'value="Logga in"' in html
    assert '<html lang="sv">' in html


def test_start_page_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_login_greets_with_name_title_and_organisation(app, auth, people):
    response = auth.login(people.avdelningschef.username)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    html = auth.client.get("/").get_data(as_text=True)
    assert "Välkommen, Jenny Johansson" in html
    assert "Avdelningschef" in html
    assert "Enskede-Årsta-Vantörs stadsdelsförvaltning" in html
    assert len(_events(app, "user:login")) == 1


def test_every_demo_role_can_log_in_and_out(auth, people):
    for person in vars(people).values():
        assert auth.login(person.username).status_code == 302
        assert person.full_name in auth.client.get("/").get_data(as_text=True)
        auth.logout()
        assert auth.client.get("/").status_code == 302


def test_failures_look_the_same_and_are_logged(app, auth, people):
    with app.app_context():
        deactivated = db.session().merge(people.registrator)
        deactivate_user(deactivated)
        db.session().commit()
    attempts = [
        (people.avdelningschef.username, "wrong password!"),
        ("nobody", "correct horse battery"),
        (people.registrator.username, "correct horse battery"),
    ]
    pages = []
    for username, password in attempts:
        response = auth.login(username, password)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert LOGIN_FAILED in html and 'name="username"' in html
        assert f'value="{username}"' in html  # the form is shown again with the input
        pages.append(html.replace(username, "X"))
        assert auth.client.get("/").status_code == 302
    assert len(_events(app, "user:login:failed")) == 3


def test_logout_ends_the_session_on_the_server(auth, people, client):
    auth.login(people.handlaggare.username)
    stolen = client.get_cookie("attest_session").value
    auth.logout()
    client.set_cookie("attest_session", stolen)
    response = client.get("/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_deactivation_ends_existing_sessions(app, auth, people, client):
    auth.login(people.handlaggare.username)
    assert client.get("/").status_code == 200
    with app.app_context():
        deactivate_user(db.session().merge(people.handlaggare))
        db.session().commit()
    assert client.get("/").status_code == 302


def test_login_gives_a_new_session(auth, people, client):
    client.get("/auth/login")
    before = client.get_cookie("attest_session").value
    auth.login(people.handlaggare.username)
    first = client.get_cookie("attest_session").value
    auth.logout()
    auth.login(people.handlaggare.username)
    second = client.get_cookie("attest_session").value
    assert len({before, first, second}) == 3
    with client.session_transaction() as session:
        token = session["_user_id"]
    client.set_cookie("attest_session", first)
    assert client.get("/").status_code == 302  # the first login's session is over
    assert token


def test_post_without_or_with_forged_csrf_token_is_400_in_swedish(client, people):
    response = client.post("/auth/login", data={"username": "x", "password": "y"})
    assert response.status_code == 400
    assert "säkerhetstoken saknas eller är ogiltig" in response.get_data(as_text=True)
    client.get("/auth/login")
    response = client.post(
        "/auth/login", data={"username": "x", "password": "y", "csrf_token": "forged.token"}
    )
    assert response.status_code == 400
    assert "säkerhetstoken" in response.get_data(as_text=True)


def test_logout_needs_csrf_too(auth, people, client):
    auth.login(people.handlaggare.username)
    client.post("/auth/logout", data={})
    assert client.get("/").status_code == 200  # still logged in


def test_session_cookie_flags(auth, people, client):
    response = auth.login(people.handlaggare.username)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_over_https(app, people):
    client = app.test_client()
    page = client.get("/auth/login", base_url="https://attest.example.se")
    token = csrf_token(page.get_data(as_text=True))
    response = client.post(
        "/auth/login",
        data={
            "username": people.handlaggare.username,
            "password": "correct horse battery",
            "csrf_token": token,
        },
        base_url="https://attest.example.se",
        headers={"Referer": "https://attest.example.se/auth/login"},  # checked over https
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in response.headers


def test_next_only_goes_to_this_site(auth, people, client):
    page = client.get("/auth/login")
    token = csrf_token(page.get_data(as_text=True))
    response = client.post(
        "/auth/login?next=https://evil.example/",
        data={
            "username": people.handlaggare.username,
            "password": "correct horse battery",
            "csrf_token": token,
        },
    )
    assert response.headers["Location"] == "/"
