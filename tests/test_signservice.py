"""Attesting through the Sweden Connect signature service (attest.signservice).

The service is tests/support/signservice.py, written from ELN-0609: it verifies our
SignRequest's XML signature, issues a certificate per signature from its own CA and signs
the SignTaskData. The attester's browser is the Flask client: it posts what attest's page
posts to the service, and what the service's page posts back to attest.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import re

import pytest
import sqlalchemy as sa
from lxml import etree

from attest import blobs, db
from attest.audit.models import AuditEvent
from attest.errors import Invalid
from attest.memos.models import Memo
from attest.memos.operations import create_memo
from attest.signservice.protocol import NS
from attest.sso.models import ExternalIdentity
from attest.users.operations import get_user
from attest.verify import verify_pdf
from attest.workflow.models import Attestation, Submission
from attest.workflow.operations import attest_memo, submit_memo
from tests.support import factories, forgeries
from tests.support.signing import make_pki, validation_time
from tests.support.signservice import Identity, SignService, material
from tests.support.web import csrf_token, lock_version

JENNY = Identity("197705232382", "Jenny Johansson")
COLLEAGUE = Identity("198102030405", "Anders Carstorp")
SERVICE_URL = "https://sig.test.example/sign"


@pytest.fixture
def service(app, signing, signed_people, clock, tmp_path) -> SignService:
    """The app pointed at the test service; Jenny (avdelningschef) signs through it."""
    found = material()
    app.config.update(found.write(tmp_path / "signservice"), SIGNSERVICE_URL=SERVICE_URL)
    with app.app_context():
        jenny = get_user(signed_people.avdelningschef.username)
        jenny.signing_method = "signservice"
        jenny.signservice_id = JENNY.personnummer
        db.session().commit()
    return SignService(found, JENNY, now=clock.now)


def _sent_memo(app, people) -> int:
    with app.app_context():
        author = get_user(people.handlaggare.username)
        memo = create_memo(author, factories.content(rubrik="Underskriftstjänsten"))
        submit_memo(memo, author)
        db.session().commit()
        return memo.id


def _begin(auth, client, people, memo_id: int) -> dict[str, str]:
    """Jenny presses "Attestera": the fields attest's page posts to the service."""
    auth.login(people.avdelningschef.username)
    page = client.get(f"/memos/{memo_id}").get_data(as_text=True)
    assert 'id="password"' not in page  # she logs in at the service instead
    response = client.post(
        f"/memos/{memo_id}/attestera",
        data={"csrf_token": csrf_token(page), "lock_version": lock_version(page)},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    assert f'action="{SERVICE_URL}"' in html and "signservice.js" in html
    assert "Fortsätt" in html
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html))


def _answer(client, fields: dict[str, str]):
    """The service's page posts the response back; the browser follows to the page whose
    form (submitted by its script) completes it."""
    response = client.post("/underskrift/svar", data=fields, follow_redirects=True)
    html = response.get_data(as_text=True)
    form = re.search(
        r'<form id="signservice-post" method="post" action="(/underskrift/[^"]+)"', html
    )
    if form is None:
        return response
    data = {"csrf_token": csrf_token(html)}
    return client.post(form.group(1), data=data, follow_redirects=True)


def _refusals(app) -> list[dict]:
    with app.app_context():
        return [
            json.loads(e.data)
            for e in db.session().scalars(
                sa.select(AuditEvent).where(AuditEvent.event == "memo:signservice:refused")
            )
        ]


def _attestations(app) -> int:
    with app.app_context():
        return db.session().scalar(sa.select(sa.func.count()).select_from(Attestation)) or 0


def test_attest_through_the_service_then_verify_offline(
    app, service, signed_people, auth, client, clock
):
    memo_id = _sent_memo(app, signed_people)
    fields = _begin(auth, client, signed_people, memo_id)
    request = etree.fromstring(base64.b64decode(fields["EidSignRequest"]))
    message = request.findtext(".//csig:SignMessage/csig:Message", "", NS)
    assert base64.b64decode(message).decode().startswith("Jag attesterar tjänsteutlåtande ")
    signer = request.find(".//csig:Signer/saml:Attribute/saml:AttributeValue", NS)
    assert signer is not None and signer.text == JENNY.personnummer

    clock.advance(seconds=30)
    page = _answer(client, service.answer(fields))
    assert "Du har attesterat tjänsteutlåtandet." in page.get_data(as_text=True)
    assert _attestations(app) == 1

    # The director attests with his own key: the memo is closed and sealed as always.
    auth.logout()
    with app.app_context():
        director = get_user(signed_people.stadsdelsdirektor.username)
        attest_memo(db.session().get(Memo, memo_id), director, password=factories.PASSWORD)
        db.session().commit()
        pdf = blobs.store().get(db.session().scalar(sa.select(Submission)).current_pdf_sha256)

    trust = [make_pki().ca_cert, material().ca_cert]
    result = verify_pdf(pdf, trust=trust, now=validation_time(), expected_steps=2)
    assert result.verdict == "valid", [c for c in result.checks if c.status != "ok"]
    first = result.attestations[0]
    assert (first.signer_name, first.title, first.person) == (
        "Jenny Johansson",
        "Avdelningschef",
        JENNY.personnummer,
    )
    # Without the service's CA the row is no one's: not Giltig.
    assert verify_pdf(pdf, trust=trust[:1], now=validation_time()).verdict != "valid"
    # The Verifiera page trusts the configured service's CA, and compares the records.
    with app.app_context():
        code = db.session().scalar(sa.select(Submission)).verification_code
    auth.login(signed_people.registrator.username)
    page = client.get(f"/v/{code}").get_data(as_text=True)
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "Resultat: Giltig" in text and "Det stämmer med attests register" in text


@pytest.mark.once
def test_a_colleagues_service_certificate_in_her_row_is_invalid_by_authority_alone():
    """The tamper twin: the same memo with Jenny's own service certificate is Giltig."""
    trust = forgeries.service_trust()
    genuine = verify_pdf(
        forgeries.service_signed_genuine(), trust=trust, now=validation_time(), expected_steps=2
    )
    assert genuine.verdict == "valid", [c.message for c in genuine.checks if c.status != "ok"]
    forged = verify_pdf(
        forgeries.forgery("service-certificate-of-a-colleague-in-her-row"),
        trust=trust,
        now=validation_time(),
        expected_steps=2,
    )
    assert forged.verdict == "invalid"
    assert forged.failed_codes == {"authority"}, [(c.code, c.message) for c in forged.failed]
    message = next(c.message for c in forged.failed)
    assert forgeries.SERVICE_COLLEAGUE in message and "Jenny Johansson" in message
    # Without the service's CA in --trust nobody vouches for her row.
    untrusted = verify_pdf(
        forgeries.service_signed_genuine(), trust=trust[:1], now=validation_time()
    )
    assert untrusted.verdict == "invalid" and "trusted" in untrusted.failed_codes


def _unsigned(service: SignService, fields: dict[str, str]) -> dict[str, str]:
    return service.answer(fields, signed=False)


def _wrongly_signed(service: SignService, fields: dict[str, str]) -> dict[str, str]:
    return dataclasses.replace(service, sign_key=material("forger").service_key).answer(fields)


def _malformed(service: SignService, fields: dict[str, str]) -> dict[str, str]:
    return {**fields, "EidSignResponse": base64.b64encode(b"<dss:SignResponse").decode()}


def _not_base64(service: SignService, fields: dict[str, str]) -> dict[str, str]:
    return {**fields, "EidSignResponse": "inte base64!"}


def _other_person(service: SignService, fields: dict[str, str]) -> dict[str, str]:
    return service.answer(fields, identity=COLLEAGUE)


def _other_request(service: SignService, fields: dict[str, str]) -> dict[str, str]:
    return service.answer(fields, request_id="_" + "0" * 32)


def _stale(service: SignService, fields: dict[str, str]) -> dict[str, str]:
    return service.answer(fields, response_time=service.now() - dt.timedelta(hours=1))


def _failed(service: SignService, fields: dict[str, str]) -> dict[str, str]:
    return service.answer(fields, result="urn:oasis:names:tc:dss:1.0:resultmajor:RequesterError")


BAD_RESPONSES = {
    "unsigned": (_unsigned, "inte signerat av den konfigurerade underskriftstjänsten"),
    "wrongly-signed": (_wrongly_signed, "inte signerat av den konfigurerade underskriftstjänsten"),
    "malformed": (_malformed, "inte läsbar XML"),
    "not-base64": (_not_base64, "inte base64-kodat"),
    "other-person": (_other_person, "intygar en annan person än den inloggade"),
    "other-request-id": (_other_request, "hör inte till någon begäran"),
    "stale": (_stale, "inte färskt"),
    "service-failed": (_failed, "skrev inte under"),
}


@pytest.mark.parametrize("name", list(BAD_RESPONSES))
def test_a_bad_response_is_refused_recorded_and_signs_nothing(
    app, service, signed_people, auth, client, name
):
    make, reason = BAD_RESPONSES[name]
    memo_id = _sent_memo(app, signed_people)
    fields = _begin(auth, client, signed_people, memo_id)
    response = _answer(client, make(service, fields))
    text = response.get_data(as_text=True)
    assert response.status_code == 400, text
    assert "Inget har signerats." in text and reason in text
    assert _attestations(app) == 0
    [refusal] = _refusals(app)
    assert reason in refusal["reason"]
    with app.app_context():
        assert db.session().get(Memo, memo_id).state == "attest"


def test_a_response_is_used_once(app, service, signed_people, auth, client):
    memo_id = _sent_memo(app, signed_people)
    fields = _begin(auth, client, signed_people, memo_id)
    answer = service.answer(fields)
    assert _answer(client, answer).status_code == 200
    assert _attestations(app) == 1
    replayed = _answer(client, answer)
    assert replayed.status_code == 400
    assert "Svaret har redan använts en gång." in replayed.get_data(as_text=True)
    assert _attestations(app) == 1
    assert [r["reason"] for r in _refusals(app)] == ["Svaret har redan använts en gång."]


def test_signed_in_through_a_provider_she_still_signs_at_the_service_without_a_step_up(
    app, service, signed_people, auth, client, clock
):
    """The service authenticates its signers itself: no step-up at attest's provider first."""
    with app.app_context():
        jenny = get_user(signed_people.avdelningschef.username)
        db.session().add(
            ExternalIdentity(
                user_id=jenny.id,
                provider="oidc:https://idp.test",
                subject="jenny",
                created_at=clock.now(),
            )
        )
        db.session().commit()
    memo_id = _sent_memo(app, signed_people)
    auth.login(signed_people.avdelningschef.username)
    page = client.get(f"/memos/{memo_id}").get_data(as_text=True)
    assert f"/sso/steg-upp/{memo_id}" not in page
    auth.logout()
    fields = _begin(auth, client, signed_people, memo_id)
    assert _answer(client, service.answer(fields)).status_code == 200
    assert _attestations(app) == 1


def test_someone_else_cannot_complete_her_signature(app, service, signed_people, auth, client):
    memo_id = _sent_memo(app, signed_people)
    fields = _begin(auth, client, signed_people, memo_id)
    answer = service.answer(fields)
    auth.logout()
    auth.login(signed_people.stadsdelsdirektor.username)
    response = _answer(client, answer)
    assert response.status_code == 400
    assert "en annan persons underskrift" in response.get_data(as_text=True)
    assert _attestations(app) == 0


def test_an_administrator_sets_the_signing_method_from_the_command_line(app, signed_people, runner):
    username = signed_people.stadsdelsdirektor.username
    refused = runner.invoke(args=["user", "signing", username, "--method", "signservice"])
    assert refused.exit_code == 2 and "personnumret" in refused.output
    done = runner.invoke(
        args=[
            "user",
            "signing",
            username,
            "--method",
            "signservice",
            "--id",
            COLLEAGUE.personnummer,
        ]
    )
    assert done.exit_code == 0, done.output
    with app.app_context():
        user = get_user(username)
        assert (user.signing_method, user.signservice_id) == ("signservice", COLLEAGUE.personnummer)
    assert runner.invoke(args=["user", "signing", username, "--method", "key"]).exit_code == 0
    with app.app_context():
        user = get_user(username)
        assert (user.signing_method, user.signservice_id) == ("key", "")


def test_a_person_set_to_the_service_never_signs_with_a_password(app, service, signed_people):
    """Custody follows the administrator's choice: Jenny still has a key, but not to use."""
    memo_id = _sent_memo(app, signed_people)
    with app.app_context():
        jenny = get_user(signed_people.avdelningschef.username)
        with pytest.raises(Invalid, match="underskriftstjänsten"):
            attest_memo(db.session().get(Memo, memo_id), jenny, password=factories.PASSWORD)
        db.session().rollback()
    assert _attestations(app) == 0


@pytest.mark.once
def test_a_service_url_without_its_keys_and_certificates_is_refused_at_start():
    from attest import config

    settings = {**config.DEFAULTS, "SECRET_KEY": "x", "SIGNSERVICE_URL": SERVICE_URL}
    with pytest.raises(config.ConfigError, match="ATTEST_SIGNSERVICE_CA"):
        config.check(settings)
