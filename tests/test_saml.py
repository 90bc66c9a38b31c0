"""SAML 2.0 sign-in against a real pysaml2 IdP (tests/support/saml_idp.py), driven in-process.

The IdP reads attest's signed AuthnRequests and answers with signed assertions, or
misbehaves as a test tells it; every refusal is a Swedish page (4xx) and an audit event.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse

import pytest
import sqlalchemy as sa
from lxml import etree
from saml2.response import IncorrectlySigned

from attest import clock as clock_module
from attest import db
from attest.audit.models import AuditEvent
from attest.saml.models import SamlRequest
from attest.users.operations import get_user
from attest.workflow.models import Attestation
from tests.support import factories, memos, web
from tests.support.saml_idp import PASSWORD_CONTEXT, STRONG_CONTEXT, SamlIdp, make_key_pair

BASE_URL = "http://localhost"
ACS = BASE_URL + "/saml/acs"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"


@pytest.fixture(scope="module")
def saml_files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("saml")
    sp_key, sp_cert = make_key_pair(directory, "sp")
    idp = SamlIdp(directory / "idp")
    return idp, sp_key, sp_cert


@pytest.fixture
def clock():
    # pysaml2 checks the assertion's times against the real clock: attest's must agree.
    return clock_module.FixedClock(dt.datetime.now(dt.timezone.utc))


@pytest.fixture
def app_config(app_config, saml_files):
    idp, sp_key, sp_cert = saml_files
    return {
        **app_config,
        "BASE_URL": BASE_URL,
        "SAML_IDP_METADATA": str(idp.metadata_path),
        "SAML_SP_KEY": str(sp_key),
        "SAML_SP_CERT": str(sp_cert),
        "SAML_NAME": "Stadens inloggning",
        "SAML_AUTHN_CONTEXT": STRONG_CONTEXT,
    }


@pytest.fixture
def idp(saml_files, client) -> SamlIdp:
    idp = saml_files[0]
    idp.trust_sp(client.get("/saml/metadata").get_data(as_text=True))
    idp.logged_in_at = None
    return idp


def _login(client) -> str:
    response = client.get("/sso/saml/login?next=/memos")
    assert response.status_code == 302
    return response.headers["Location"]


def _events(app, name: str) -> list[dict]:
    with app.app_context():
        events = db.session().scalars(
            sa.select(AuditEvent).where(AuditEvent.event == name).order_by(AuditEvent.seq)
        )
        return [json.loads(event.data) for event in events]


def _refusals(app) -> list[str]:
    return [data["reason"] for data in _events(app, "user:sso:refused")]


def test_metadata_asks_for_signed_requests_and_assertions(client, saml_files):
    response = client.get("/saml/metadata")
    assert response.status_code == 200
    assert response.mimetype == "application/samlmetadata+xml"
    root = etree.fromstring(response.get_data())
    assert root.get("entityID") == BASE_URL + "/saml/metadata"
    sp = root.find(f"{{{MD}}}SPSSODescriptor")
    assert sp.get("AuthnRequestsSigned") == "true"
    assert sp.get("WantAssertionsSigned") == "true"
    acs = sp.find(f"{{{MD}}}AssertionConsumerService")
    assert acs.get("Location") == ACS
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    certificate = saml_files[2].read_text().split("-----")[2].replace("\n", "")
    assert certificate in etree.tostring(sp).decode().replace("\n", "")


def test_saml_is_off_without_the_idp_metadata(app, client):
    app.config["SAML_IDP_METADATA"] = None
    assert client.get("/saml/metadata").status_code == 404
    assert client.get("/sso/saml/login").status_code == 404
    assert client.post("/saml/acs", data={"SAMLResponse": "x"}).status_code == 404


def test_the_authn_request_is_signed_and_kept_until_answered(app, client, idp):
    location = _login(client)
    assert location.startswith(idp.sso_url + "?")
    request = idp.read_request(location)  # the IdP checks the query-string signature
    assert request.acs_url == ACS and not request.force_authn and request.contexts == []
    with app.app_context():
        row = db.session().get(SamlRequest, request.id)
        assert row is not None and row.user_id is None and row.answered_at is None


def test_a_tampered_authn_request_fails_the_idps_signature_check(client, idp):
    location = _login(client)
    parts = urllib.parse.urlsplit(location)
    query = dict(urllib.parse.parse_qsl(parts.query))
    query["RelayState"] = "/admin"  # covered by the redirect binding's signature
    tampered = parts._replace(query=urllib.parse.urlencode(query)).geturl()
    with pytest.raises(IncorrectlySigned):
        idp.read_request(tampered)


def test_a_good_answer_is_recorded_and_handed_to_the_browser_that_asked(app, client, idp):
    answer = idp.answer(_login(client))
    response = client.post("/saml/acs", data=answer.form())
    assert response.status_code == 303
    assert "/saml/fortsatt/" in response.headers["Location"]
    request_id = response.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        row = db.session().get(SamlRequest, request_id)
        assert row.subject == idp.subject and row.answered_at is not None
        assert row.authenticated_at is not None
    # Another browser (no session naming the request) cannot take it.
    other = app.test_client()
    refused = other.get(response.headers["Location"])
    assert refused.status_code == 403
    assert "Börja om inloggningen" in refused.get_data(as_text=True)
    assert _refusals(app) == ["saml_other_browser"]


MISBEHAVIOURS = {
    "unsigned": ({"sign": False}, "signature"),
    "signed_by_another_key": ({"rogue_key": True}, "signature"),
    "wrong_audience": ({"audience": "https://annan.example/sp"}, "audience"),
    "wrong_recipient": ({"recipient": "https://annan.example/acs"}, "destination"),
    "unsolicited": ({"in_response_to": "id-never-sent"}, "unsolicited"),
}


@pytest.mark.parametrize("name", list(MISBEHAVIOURS))
def test_a_bad_answer_is_refused_with_a_page_and_an_audit_event(app, client, idp, name):
    misbehaviour, reason = MISBEHAVIOURS[name]
    answer = idp.answer(_login(client), **misbehaviour)
    response = client.post("/saml/acs", data=answer.form())
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "identitetsleverantören stämmer inte" in page or "Börja om inloggningen" in page
    assert _refusals(app) == [f"saml_{reason}"]


def test_a_replayed_answer_is_refused(app, client, idp):
    answer = idp.answer(_login(client))
    assert client.post("/saml/acs", data=answer.form()).status_code == 303
    again = client.post("/saml/acs", data=answer.form())
    assert again.status_code == 403
    # And if two workers read the request before either answered it, the assertion's ID
    # (kept until its NotOnOrAfter) still lets only one through.
    with app.app_context():
        db.session().execute(sa.update(SamlRequest).values(answered_at=None))
        db.session().commit()
    third = client.post("/saml/acs", data=answer.form())
    assert third.status_code == 403
    assert _refusals(app) == ["saml_unsolicited", "saml_replay"]


@pytest.mark.parametrize("body", ["", "not base64 at all", "PGZvbz48L2Zvbz4=", "A" * 300_000])
def test_garbage_is_refused_not_an_error(app, client, idp, body):
    response = client.post("/saml/acs", data={"SAMLResponse": body})
    assert response.status_code == 403
    assert _refusals(app)[0] in ("saml_malformed", "saml_too_large", "saml_unsolicited")


# --- sign-in and step-up through the common layer (attest.sso) --------------------------


def _sign_in(client, idp: SamlIdp, person) -> None:
    """Log in through the IdP as ``person`` (matched on the e-mail the IdP vouches for)."""
    email = f"{person.username.lower()}@example.se"
    with client.application.app_context():
        get_user(person.username).email = email
        db.session().commit()
    idp.subject = f"saml-{person.username}"
    idp.attributes = {"mail": [email]}
    answer = idp.answer(_login(client))
    response = client.post("/saml/acs", data=answer.form())
    assert response.status_code == 303, response.get_data(as_text=True)
    done = client.get(response.headers["Location"])
    assert done.status_code == 302, done.get_data(as_text=True)


def test_a_person_signs_in_through_the_idp(app, client, idp, people):
    login_page = client.get("/auth/login?next=/memos").get_data(as_text=True)
    assert 'href="/sso/saml/login?next=/memos">Logga in med Stadens inloggning' in login_page
    _sign_in(client, idp, people.avdelningschef)
    start = client.get("/", follow_redirects=True)
    assert people.avdelningschef.full_name in start.get_data(as_text=True)
    [login] = _events(app, "user:sso:login")
    assert login["provider"] == "saml:" + idp.entity_id
    assert login["subject"] == "saml-" + people.avdelningschef.username
    assert login["auth_time"]


def test_an_unknown_subject_is_refused(app, client, idp, people):
    idp.subject, idp.attributes = "okand-person", {"mail": ["okand@example.se"]}
    answer = idp.answer(_login(client))
    response = client.post("/saml/acs", data=answer.form())
    refused = client.get(response.headers["Location"])
    assert refused.status_code == 403
    assert "inte upplagd i attest" in refused.get_data(as_text=True)
    assert _refusals(app) == ["unknown_person"]


def _step_up_location(client, memo_id: int) -> str:
    response = client.get(f"/sso/steg-upp/{memo_id}")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def test_attest_after_a_step_up_records_provider_subject_and_time(app, client, idp, people):
    memo_id = memos.sent_memo(app, people.handlaggare)
    _sign_in(client, idp, people.avdelningschef)
    location = _step_up_location(client, memo_id)
    request = idp.read_request(location)
    assert request.force_authn and request.contexts == [STRONG_CONTEXT]
    idp.requests.clear()
    answer = idp.answer(location)
    back = client.post("/saml/acs", data=answer.form())
    form_page = client.get(back.headers["Location"], follow_redirects=True)
    assert form_page.status_code == 200
    html = form_page.get_data(as_text=True)
    response = client.post(
        f"/memos/{memo_id}/attestera",
        data={
            "csrf_token": web.csrf_token(html),
            "lock_version": web.lock_version(html),
            "step_up": _hidden(html, "step_up"),
            "password": factories.PASSWORD,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _attested_by(app, memo_id) == [people.avdelningschef.username]
    with app.app_context():
        record = db.session().scalars(sa.select(Attestation)).one()
        assert record.sso_provider == "saml:" + idp.entity_id
        assert record.sso_subject == "saml-" + people.avdelningschef.username
        assert record.sso_auth_time is not None and record.sso_context == STRONG_CONTEXT
    [completed] = _events(app, "memo:attestation:step_up_completed")
    assert completed["provider"] == "saml:" + idp.entity_id
    assert completed["subject"] == "saml-" + people.avdelningschef.username
    assert completed["context"] == STRONG_CONTEXT
    assert dt.datetime.fromisoformat(completed["auth_time"]) >= clock_now(app).replace(
        microsecond=0
    )


@pytest.mark.parametrize(
    "misbehaviour, reason",
    [
        (
            {"authn_instant": dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)},
            "auth_time_old",
        ),
        ({"context": PASSWORD_CONTEXT}, "context_missing"),
    ],
)
def test_a_step_up_too_old_or_without_the_context_is_refused(
    app, client, idp, people, misbehaviour, reason
):
    memo_id = memos.sent_memo(app, people.handlaggare)
    _sign_in(client, idp, people.avdelningschef)
    answer = idp.answer(_step_up_location(client, memo_id), **misbehaviour)
    back = client.post("/saml/acs", data=answer.form())
    refused = client.get(back.headers["Location"])
    assert refused.status_code == 403
    assert [e["reason"] for e in _events(app, "memo:attestation:step_up_refused")] == [reason]
    assert _attested_by(app, memo_id) == []


def _attested_by(app, memo_id: int) -> list[str]:
    history = memos.facts(app, memo_id).history
    return [username for action, username, _, _ in history if action == "attestera"]


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    assert match, name
    return match.group(1)


def clock_now(app) -> dt.datetime:
    with app.app_context():
        return clock_module.now()


@pytest.mark.once
def test_saml_without_the_sp_key_does_not_start(tmp_path, saml_files):
    from attest import create_app
    from attest.config import ConfigError
    from tests.support.database import base_config

    config = {
        **base_config(tmp_path, f"sqlite:///{tmp_path}/unused.sqlite"),
        "SAML_IDP_METADATA": str(saml_files[0].metadata_path),
        "SAML_SP_CERT": str(saml_files[2]),
    }
    with pytest.raises(ConfigError, match="ATTEST_SAML_SP_KEY"):
        create_app(config)
