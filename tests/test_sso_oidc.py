"""Sign-in through an OpenID Connect provider (a real one, tests/support/oidc_provider.py,
over HTTP on 127.0.0.1), the step-up before an attestation, and the signing PIN."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from attest import db
from attest.audit.models import AuditEvent
from attest.sso import identity
from attest.sso.models import ExternalIdentity, StepUp
from attest.users.operations import deactivate_user, get_user
from attest.workflow.models import Attestation
from tests.support import memos as memo_support
from tests.support.oidc_provider import CLIENT_ID, CLIENT_SECRET, HIGH, follow, running_provider
from tests.support.web import csrf_token, lock_version

PIN = "482916"

# The unsigned token's provider lists "none" in its discovery document, and joserfc warns.
# A provider server on 127.0.0.1 in a thread: `system` (make test, not test-fast).
pytestmark = [
    pytest.mark.system,
    pytest.mark.filterwarnings('ignore:JWS algorithm "none"'),
]


@pytest.fixture(scope="module")
def provider():
    with running_provider() as running:
        yield running


@pytest.fixture
def app_config(app_config, provider):
    provider.reset()
    return {
        **app_config,
        "OIDC_ISSUER": provider.url,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_NAME": "Stadens inloggning",
        "OIDC_ACR_VALUES": HIGH,
    }


def sso_login(client, provider, next_url: str | None = None):
    url = "/sso/oidc/login" + (f"?next={next_url}" if next_url else "")
    return follow(client, provider, client.get(url))


def events(app, name: str) -> list[dict]:
    with app.app_context():
        rows = db.session().scalars(
            sa.select(AuditEvent).where(AuditEvent.event == name).order_by(AuditEvent.seq)
        )
        return [json.loads(r.data) for r in rows]


def as_person(app, provider, person) -> None:
    """The provider vouches for ``person``'s e-mail address (the administrator gave it)."""
    email = f"{person.username.lower()}@example.se"
    with app.app_context():
        get_user(person.username).email = email
        db.session().commit()
    provider.person.email = email
    provider.person.name = person.full_name


def test_the_login_page_offers_the_provider_and_a_first_login_links_the_person(
    app, client, people, provider
):
    page = client.get("/auth/login").get_data(as_text=True)
    assert "Logga in med Stadens inloggning" in page and 'name="password"' in page
    as_person(app, provider, people.avdelningschef)
    response = sso_login(client, provider)
    assert response.status_code == 200
    assert "Jenny Johansson" in response.get_data(as_text=True)  # logged in: the start page
    assert provider.requests[0]["code_challenge_method"] == "S256"
    assert "nonce" in provider.requests[0] and "prompt" not in provider.requests[0]
    with app.app_context():
        link = db.session().scalars(sa.select(ExternalIdentity)).one()
        assert (link.user.username, link.provider, link.subject) == (
            "ac-EÅV",
            "oidc:" + provider.url,
            "oidc-sub-jenny",
        )
    assert events(app, identity.LINKED)[0]["subject"] == "oidc-sub-jenny"
    # Later the subject decides, whatever the e-mail address says now.
    client.post("/auth/logout", data={"csrf_token": csrf_token(page)})
    client.delete_cookie("attest_session")
    provider.person.email = "new.address@example.se"
    assert "Jenny Johansson" in sso_login(client, provider).get_data(as_text=True)
    assert len(events(app, identity.LOGIN)) == 2


def test_a_first_login_matches_the_employee_number(app, client, people, provider, runner):
    result = runner.invoke(args=["user", "employee-number", "sd-EÅV", "A-1234"])
    assert result.exit_code == 0, result.output
    provider.person.email, provider.person.employee_number = "other@example.se", "A-1234"
    assert "Anders Carstorp" in sso_login(client, provider).get_data(as_text=True)
    taken = runner.invoke(args=["user", "employee-number", "ac-EÅV", "A-1234"])
    assert taken.exit_code == 2 and "sd-EÅV" in taken.output


def test_unknown_and_deactivated_people_are_refused(app, client, people, provider):
    provider.person.email, provider.person.sub = "nobody@example.se", "someone-else"
    response = sso_login(client, provider)
    assert response.status_code == 403
    assert "Du är inte upplagd i attest" in response.get_data(as_text=True)
    as_person(app, provider, people.stadsdelsdirektor)
    with app.app_context():
        deactivate_user(get_user(people.stadsdelsdirektor.username))
        db.session().commit()
    response = sso_login(client, provider)
    assert response.status_code == 403
    assert "inaktiverat" in response.get_data(as_text=True)
    assert [e["reason"] for e in events(app, identity.REFUSED)] == ["unknown_person", "deactivated"]
    assert client.get("/").status_code == 302  # nobody is logged in


@pytest.mark.parametrize(
    "misbehaviour",
    [
        {"issuer": "http://127.0.0.1:1/other"},
        {"audience": "another-client"},
        {"nonce": "not-the-one-sent"},
        {"expires_in": -600},
        {"alg": "none"},
        {"wrong_key": True},
    ],
    ids=["issuer", "audience", "nonce", "expired", "unsigned", "wrong-key"],
)
def test_a_bad_id_token_is_refused(app, client, people, provider, misbehaviour):
    as_person(app, provider, people.avdelningschef)
    for name, value in misbehaviour.items():
        setattr(provider.behaviour, name, value)
    response = sso_login(client, provider)
    assert response.status_code == 403
    assert "svaret från identitetsleverantören stämmer inte" in response.get_data(as_text=True)
    refusals = events(app, identity.REFUSED)
    assert len(refusals) == 1 and refusals[0]["reason"].startswith("oidc_")
    assert client.get("/").status_code == 302
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(ExternalIdentity)) == 0


def test_local_login_can_be_turned_off(app, client, people, provider):
    app.config["LOCAL_LOGIN"] = False
    page = client.get("/auth/login").get_data(as_text=True)
    assert "Logga in med Stadens inloggning" in page and 'name="password"' not in page
    app.config["WTF_CSRF_ENABLED"] = False  # the page has no form to take a token from
    refused = client.post("/auth/login", data={"username": "ac-EÅV", "password": "x"})
    assert refused.status_code == 403


def _choose_pin(client, pin: str):
    page = client.get("/sso/signerings-pin").get_data(as_text=True)
    return client.post(
        "/sso/signerings-pin",
        data={"pin": pin, "confirm": pin, "csrf_token": csrf_token(page)},
    )


def _step_up(client, provider, memo_id: int):
    return follow(client, provider, client.get(f"/sso/steg-upp/{memo_id}"))


def _attest(client, page: str, memo_id: int, pin: str):
    token = page.split('name="step_up" type="hidden" value="')[1].split('"')[0]
    return client.post(
        f"/memos/{memo_id}/attestera",
        data={
            "password": pin,
            "step_up": token,
            "lock_version": lock_version(page),
            "csrf_token": csrf_token(page),
        },
    )


def test_attesting_after_a_step_up_with_the_signing_pin(app, client, signed_people, provider):
    person = signed_people.avdelningschef
    memo_id = memo_support.sent_memo(app, signed_people.handlaggare)
    as_person(app, provider, person)
    sso_login(client, provider)
    assert _choose_pin(client, "123456").status_code == 400  # a run: refused
    assert _choose_pin(client, PIN).status_code == 302
    memo_page = client.get(f"/memos/{memo_id}").get_data(as_text=True)
    assert f'href="/sso/steg-upp/{memo_id}"' in memo_page  # a link to the provider first
    # Without a step-up, a POST is refused (and nothing is signed).
    refused = client.post(
        f"/memos/{memo_id}/attestera",
        data={
            "password": PIN,
            "lock_version": lock_version(memo_page),
            "csrf_token": csrf_token(memo_page),
        },
    )
    assert refused.status_code == 403
    form = _step_up(client, provider, memo_id)
    assert form.status_code == 200
    asked = provider.requests[-1]
    assert (asked["prompt"], asked["max_age"], asked["acr_values"]) == ("login", "0", HIGH)
    page = form.get_data(as_text=True)
    assert "Signerings-PIN" in page
    assert _attest(client, page, memo_id, "999999-wrong").status_code == 400  # counted
    done = _attest(client, page, memo_id, PIN)
    assert done.status_code == 302, done.get_data(as_text=True)
    with app.app_context():
        row = db.session().scalars(sa.select(Attestation)).one()
        assert (row.signer.username, row.sso_provider, row.sso_subject, row.sso_context) == (
            person.username,
            "oidc:" + provider.url,
            "oidc-sub-jenny",
            HIGH,
        )
        assert row.sso_auth_time is not None and row.certificate_sha256
        assert db.session().scalars(sa.select(StepUp)).one().used_at is not None
    audit = events(app, "memo:attestera")[-1]
    assert audit["sso_subject"] == "oidc-sub-jenny" and audit["sso_context"] == HIGH
    # The step-up was used once: the same form again is refused.
    assert _attest(client, page, memo_id, PIN).status_code in (403, 409)


@pytest.mark.parametrize("fault", ["old", "no-acr", "other-person"])
def test_a_step_up_that_is_old_lacks_the_context_or_is_someone_else_is_refused(
    app, client, clock, signed_people, provider, fault
):
    memo_id = memo_support.sent_memo(app, signed_people.handlaggare)
    as_person(app, provider, signed_people.avdelningschef)
    sso_login(client, provider)
    assert _choose_pin(client, PIN).status_code == 302
    if fault == "old":  # authenticated an hour before the attempt began
        provider.behaviour.auth_time = int((clock.now() - dt.timedelta(hours=1)).timestamp())
    elif fault == "no-acr":
        provider.behaviour.acr = None
    else:
        provider.person.sub = "someone-else"
    response = _step_up(client, provider, memo_id)
    assert response.status_code == 403
    reason = {"old": "auth_time_old", "no-acr": "context_missing", "other-person": "other_person"}
    assert events(app, identity.STEP_UP_REFUSED)[-1]["reason"] == reason[fault]
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(Attestation)) == 0


def test_logout_offers_the_providers_logout(app, client, people, provider):
    as_person(app, provider, people.registrator)
    page = sso_login(client, provider).get_data(as_text=True)
    response = client.post("/auth/logout", data={"csrf_token": csrf_token(page)})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and f"{provider.url}/logout?client_id={CLIENT_ID}" in text
    assert client.get("/").status_code == 302


@pytest.mark.once
def test_a_signing_pin_must_not_be_trivial(app_context):
    from attest.errors import Invalid
    from attest.users.pins import check_pin

    for weak in ("12345", "111111", "654321", "abcdef", "121212", "459459", "147258"):
        with pytest.raises(Invalid):
            check_pin(weak)
    check_pin(PIN)
