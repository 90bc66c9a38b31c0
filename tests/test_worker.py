"""attest worker: requests only write the outbox; the worker sends mails over SMTP (a real
aiosmtpd server on 127.0.0.1), retries, runs the reminders once per interval, and no two
claimants take the same row."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from attest import db
from attest.outbox import claims
from attest.outbox.models import WorkerJob
from attest.outbox.worker import Worker
from attest.users.operations import get_user
from attest.workflow.models import OutboxMail, Submission
from attest.workflow.operations import submit_memo
from tests.support import factories
from tests.support.servers import free_port


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def _send_one(app, people):
    with app.app_context():
        author = get_user(people.handlaggare.username)
        submit_memo(factories.memo(author), author)
        db.session().commit()


def _mails(app) -> list[OutboxMail]:
    with app.app_context():
        return list(db.session().scalars(sa.select(OutboxMail).order_by(OutboxMail.id)))


def test_the_request_only_writes_the_outbox_and_the_worker_sends(app, people, smtp):
    controller, inbox = smtp
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    _send_one(app, people)
    assert inbox.messages == []  # nothing left with the request
    [mail] = _mails(app)
    assert mail.status == "pending" and mail.sent_at is None
    counts = Worker(app, "test").run_once()
    assert counts.mails == 1
    [(sender, recipients, content)] = inbox.messages
    assert recipients == [people.avdelningschef.email]
    assert "Att attestera" in content.decode()
    [mail] = _mails(app)
    assert mail.status == "done" and mail.sent_at is not None
    assert Worker(app, "test").run_once().mails == 0


def test_without_an_smtp_server_mails_wait_in_the_outbox(app, people):
    _send_one(app, people)
    assert Worker(app, "test").run_once().mails == 0
    assert [m.status for m in _mails(app)] == ["pending"]


def test_a_mail_the_server_refuses_is_tried_again_later(app, people, clock):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nobody listens
    _send_one(app, people)
    counts = Worker(app, "test").run_once()
    assert counts.failures == 1 and counts.mails == 0
    [mail] = _mails(app)
    assert mail.status == "pending" and mail.attempts == 1
    assert mail.next_attempt_at == clock.now() + claims.RETRY_AFTER[0]
    assert "ConnectionRefusedError" in mail.last_error


def test_the_reminders_run_once_per_interval_whoever_asks(app, people, clock):
    _send_one(app, people)
    clock.advance(hours=app.config["REMIND_AFTER_HOURS"] + 1)
    first, second = Worker(app, "a"), Worker(app, "b")
    assert first.run_once().jobs == ["remind"]
    assert second.run_once().jobs == []
    subjects = [m.subject for m in _mails(app)]
    assert sum(s.startswith("Påminnelse") for s in subjects) == 1
    clock.advance(minutes=app.config["REMIND_EVERY_MINUTES"])
    assert second.run_once().jobs == ["remind"]
    with app.app_context():
        job = db.session().get(WorkerJob, "remind")
        assert job.next_run_at == clock.now() + dt.timedelta(minutes=60)
        submission = db.session().scalars(sa.select(Submission)).one()
        assert submission.reminded_at is not None


def test_a_claimed_row_is_nobody_elses_until_its_lease_runs_out(app, people, clock):
    _send_one(app, people)
    lease = dt.timedelta(seconds=app.config["WORKER_LEASE_SECONDS"])
    with app.app_context():
        mine = claims.claim_next(OutboxMail, worker="a", now=clock.now(), lease=lease)
        assert mine is not None and mine.attempts == 1
        first_claim = (mine.id, mine.claimed_by)
        assert claims.claim_next(OutboxMail, worker="b", now=clock.now(), lease=lease) is None
    clock.advance(seconds=lease.total_seconds() + 1)  # worker a died
    with app.app_context():
        theirs = claims.claim_next(OutboxMail, worker="b", now=clock.now(), lease=lease)
        assert theirs is not None and theirs.id == first_claim[0] and theirs.attempts == 2
        # The first claimant, back from the dead, marks nothing: the row is b's now.
        assert not claims.mark_done(OutboxMail(id=first_claim[0], claimed_by=first_claim[1]))
        assert claims.mark_done(theirs, extra={"sent_at": clock.now()})
        db.session().commit()
    assert [m.status for m in _mails(app)] == ["done"]


def test_the_lease_must_outlast_a_send(tmp_path, monkeypatch):
    from attest import create_app
    from attest.config import ConfigError

    monkeypatch.setenv("ATTEST_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="WORKER_LEASE_SECONDS"):
        create_app({"SECRET_KEY": "k", "WORKER_LEASE_SECONDS": 20})
