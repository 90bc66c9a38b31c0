"""Webhooks: events written with the transition, signed per Standard Webhooks (checked by
the reference library in a receiver on 127.0.0.1), retried, logged, sent again; SSRF."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from attest import db
from attest.errors import Invalid
from attest.memos.models import Memo
from attest.orgs.operations import get_organisation
from attest.outbox import claims
from attest.outbox.worker import Worker
from attest.users.operations import get_user
from attest.webhooks.models import WebhookDelivery, WebhookEndpoint
from attest.webhooks.operations import add_endpoint, remove_endpoint
from attest.workflow.operations import attest_memo, return_memo, submit_memo, withdraw_memo
from tests.support import factories
from tests.support.api import webhook_receiver
from tests.support.web import Browser, Page


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WEBHOOK_ALLOW_PRIVATE": True}


@pytest.fixture
def now(clock):
    """The clock at the real time: receivers check webhook-timestamp against theirs."""
    clock.at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    return clock


def _endpoint(app, url: str, events=("memo.sent", "memo.attested")) -> str:
    with app.app_context():
        added = add_endpoint(get_organisation("EÅV"), url, list(events))
        db.session().commit()
        return added.secret


def _deliveries(app) -> list[WebhookDelivery]:
    with app.app_context():
        rows = db.session().scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id))
        return list(rows)


def test_transitions_write_their_events_in_their_transaction(app, people, now):
    _endpoint(app, "http://127.0.0.1:9/a", ["memo.sent", "memo.returned", "memo.withdrawn"])
    _endpoint(app, "http://127.0.0.1:9/b", ["memo.step_attested", "memo.attested"])
    with app.app_context():
        author = get_user(people.handlaggare.username)
        memo = factories.memo(author)
        submit_memo(memo, author)
        db.session().rollback()  # a transition that is not committed sends nothing
        assert _deliveries(app) == []
        submit_memo(memo, author)
        return_memo(memo, get_user(people.avdelningschef.username), "Mer om kostnaden.")
        submit_memo(memo, author)
        withdraw_memo(memo, author)
        submit_memo(memo, author)
        for person in (people.avdelningschef, people.stadsdelsdirektor):
            attest_memo(memo, get_user(person.username))
        db.session().commit()
    events = [(d.endpoint.url[-1], d.event) for d in _deliveries(app)]
    assert events == [
        ("a", "memo.sent"),
        ("a", "memo.returned"),
        ("a", "memo.sent"),
        ("a", "memo.withdrawn"),
        ("a", "memo.sent"),
        ("b", "memo.step_attested"),
        ("b", "memo.step_attested"),
        ("b", "memo.attested"),
    ]
    last = json.loads(_deliveries(app)[-1].payload)
    assert last["type"] == "memo.attested"
    assert last["data"]["state"] == "attesterad" and last["data"]["step"] == 2
    assert last["data"]["links"]["attested_pdf"].endswith(f"/api/v1/memos/{memo.id}/attested.pdf")
    assert "rubrik" not in _deliveries(app)[-1].payload  # content is fetched with a token


def test_the_worker_delivers_signed_messages_the_receiver_verifies(app, people, now):
    with webhook_receiver() as receiver:
        receiver.secret = _endpoint(app, receiver.url)
        with app.app_context():
            author = get_user(people.handlaggare.username)
            submit_memo(factories.memo(author), author)
            db.session().commit()
        counts = Worker(app, "test").run_once()
        assert counts.webhooks == 1 and counts.failures == 0
        [received] = receiver.received
        assert not isinstance(received.verified, Exception), received.verified
        assert received.verified["type"] == "memo.sent"
        assert received.headers["webhook-id"].startswith("msg_")
        assert received.headers["webhook-signature"].startswith("v1,")
    [delivery] = _deliveries(app)
    assert delivery.status == "done" and delivery.delivered_at is not None
    assert delivery.message_id == received.headers["webhook-id"]
    assert Worker(app, "test").run_once().webhooks == 0  # nothing twice


def test_a_forged_or_altered_message_fails_the_receivers_check(app, people, now):
    """Tamper twin: signed with another secret, the reference library refuses it."""
    with webhook_receiver() as receiver:
        _endpoint(app, receiver.url)
        receiver.secret = "whsec_" + "QUJD" * 11  # not the endpoint's secret
        with app.app_context():
            author = get_user(people.handlaggare.username)
            submit_memo(factories.memo(author), author)
            db.session().commit()
        Worker(app, "test").run_once()
        [received] = receiver.received
        assert isinstance(received.verified, Exception)


def test_a_refused_delivery_is_retried_with_back_off_then_given_up(app, people, now):
    with webhook_receiver() as receiver:
        receiver.secret = _endpoint(app, receiver.url)
        receiver.status = 500
        with app.app_context():
            author = get_user(people.handlaggare.username)
            submit_memo(factories.memo(author), author)
            db.session().commit()
        worker = Worker(app, "test")
        waits = []
        for attempt in range(1, len(claims.RETRY_AFTER) + 2):
            counts = worker.run_once()
            assert counts.failures == 1, attempt
            [delivery] = _deliveries(app)
            assert delivery.attempts == attempt
            if delivery.status == "failed":
                break
            waits.append(delivery.next_attempt_at - now.at)
            assert worker.run_once().work == 0  # not due before its time
            now.at = delivery.next_attempt_at
        assert waits == list(claims.RETRY_AFTER)
        assert delivery.status == "failed" and delivery.last_error == "HTTP 500"
        ids = {r.headers["webhook-id"] for r in receiver.received}
        assert len(ids) == 1  # every retry is the same message
        with app.app_context():
            attempts = db.session().get(WebhookDelivery, delivery.id).attempts_made
            assert [a.status_code for a in attempts] == [500] * len(receiver.received)

        # "Skicka igen" on the delivery log: the same message, due now.
        receiver.status = 200
        browser = Browser(app.test_client(), None)
        from tests.support.web import Auth

        browser.auth = Auth(browser.client)
        browser.login(people.administrator)
        log = browser.open("/admin/api/leveranser")
        assert "Misslyckad" in log.text and "HTTP 500" in log.text
        response = browser.press(log, "Skicka igen")
        assert response.status_code == 302
        assert worker.run_once().webhooks == 1
        assert receiver.received[-1].headers["webhook-id"] in ids
        log = browser.open("/admin/api/leveranser")
        assert "Levererad" in log.text


def test_a_removed_endpoint_gets_nothing_more(app, people, now):
    with webhook_receiver() as receiver:
        receiver.secret = _endpoint(app, receiver.url)
        with app.app_context():
            author = get_user(people.handlaggare.username)
            memo = factories.memo(author)
            submit_memo(memo, author)
            endpoint = db.session().scalars(sa.select(WebhookEndpoint)).one()
            remove_endpoint(get_organisation("EÅV"), endpoint.id)
            withdraw_memo(memo, author)
            submit_memo(memo, author)
            db.session().commit()
        assert Worker(app, "test").run_once().webhooks == 0
        assert receiver.received == []
    assert [d.status for d in _deliveries(app)] == ["failed"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://localhost/hook",
        "https://user:pw@example.org/hook",
        "ftp://example.org/hook",
        "https:///nohost",
        "javascript:alert(1)",
    ],
)
def test_targets_in_the_internal_network_are_refused(app, people, url):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    with app.app_context(), pytest.raises(Invalid):
        add_endpoint(get_organisation("EÅV"), url, ["memo.sent"])


def test_a_target_that_became_private_is_not_called(app, people, now):
    """The check is made again at delivery, on the address connected to."""
    with webhook_receiver() as receiver:
        receiver.secret = _endpoint(app, receiver.url)
        with app.app_context():
            author = get_user(people.handlaggare.username)
            submit_memo(factories.memo(author), author)
            db.session().commit()
        app.config["WEBHOOK_ALLOW_PRIVATE"] = False
        counts = Worker(app, "test").run_once()
        assert counts.failures == 1 and receiver.received == []
    [delivery] = _deliveries(app)
    assert "internt nät" in delivery.last_error or "https://" in delivery.last_error


def test_the_secret_is_stored_encrypted_and_bound_to_its_organisation(app, people):
    secret = _endpoint(app, "http://127.0.0.1:9/hook")
    with app.app_context():
        raw = db.session().execute(sa.text("SELECT * FROM webhook_endpoints")).one()
        assert secret.encode() not in b"".join(
            v if isinstance(v, bytes) else str(v).encode() for v in raw
        )
        from attest.webhooks import secrets

        sealed = db.session().scalars(sa.select(WebhookEndpoint)).one().secret_encrypted
        assert secrets.decrypt(sealed, 1) == secret
        with pytest.raises(ValueError):
            secrets.decrypt(sealed, 2)
        app.config["KEY_PASSPHRASE"] = "another passphrase"
        with pytest.raises(ValueError):
            secrets.decrypt(sealed, 1)


def test_unknown_events_are_refused(app, people):
    with app.app_context(), pytest.raises(Invalid, match="memo.signed"):
        add_endpoint(get_organisation("EÅV"), "http://127.0.0.1:9/x", ["memo.signed"])


def test_the_admin_pages_make_tokens_and_webhooks_and_show_secrets_once(app, client, people):
    from tests.support.web import Auth

    browser = Browser(client, Auth(client))
    browser.login(people.administrator)
    start = browser.open("/")
    assert "API och webhooks" in start.text
    page = browser.open("/admin/api/")
    created = Page(
        browser.press(page, "Skapa token", {"Namn": "Diariet"}, **{"token-scopes": "memos:read"})
    )
    assert created.status == 200, created.text[:500]
    secret = created.main.find("code", "secret").text
    assert secret.startswith("attest_")
    assert secret not in browser.open("/admin/api/").html  # once
    refused = Page(browser.press(page, "Lägg till webhook", {"Adress (URL)": "ftp://x"}))
    assert refused.status == 400 and "Välj minst en händelse." in refused.text
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(Memo)) == 0
