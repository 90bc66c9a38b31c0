"""The worker as a process: killed in the middle of a delivery it loses nothing (the
message goes out again after the lease), and two workers on PostgreSQL deliver each
message once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from attest import db
from attest.orgs.operations import get_organisation
from attest.webhooks import events
from attest.webhooks.models import WebhookDelivery
from attest.webhooks.operations import add_endpoint
from tests.support.api import webhook_receiver
from tests.support.servers import ATTEST, server_env

pytestmark = pytest.mark.system

# A short lease, so that a dead worker's claim runs out within the test.
WORKER_SETTINGS = {
    "ATTEST_WEBHOOK_ALLOW_PRIVATE": "true",
    "ATTEST_WORKER_SEND_TIMEOUT_SECONDS": "2",
    "ATTEST_WORKER_LEASE_SECONDS": "6",
    "ATTEST_WORKER_POLL_SECONDS": "0.2",
}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WEBHOOK_ALLOW_PRIVATE": True}


@contextlib.contextmanager
def worker(app, log: Path) -> Iterator[subprocess.Popen]:
    with log.open("ab") as output:
        process = subprocess.Popen(
            [str(ATTEST), "worker"],
            env=server_env(app, **WORKER_SETTINGS),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _queue(app, url: str, count: int) -> str:
    """An endpoint and ``count`` messages for it, committed; the endpoint's secret."""
    with app.app_context():
        organisation = get_organisation("EÅV")
        secret = add_endpoint(organisation, url, ["memo.sent"]).secret
        for n in range(count):
            events.queue(organisation.id, "memo.sent", f'{{"type":"memo.sent","n":{n}}}', None)
        db.session().commit()
        return secret


def _statuses(app) -> Counter[str]:
    with app.app_context():
        return Counter(db.session().scalars(sa.select(WebhookDelivery.status)))


def _wait(condition, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}:\n{log.read_text(errors='replace')[-3000:]}"
        time.sleep(0.1)


def test_a_worker_killed_mid_delivery_loses_nothing(app, people, tmp_path):
    log = tmp_path / "worker.log"
    with webhook_receiver() as receiver:
        receiver.secret = _queue(app, receiver.url, 1)
        receiver.hold = threading.Event()  # the first POST hangs until the worker is gone
        with worker(app, log) as first:
            assert receiver.arrived.wait(60), log.read_text()
            os.killpg(first.pid, signal.SIGKILL)  # mid-delivery: nothing runs a cleanup
            first.wait(timeout=10)
        assert _statuses(app) == {"pending": 1}  # claimed by the dead worker, not lost
        receiver.hold.set()
        receiver.hold = None
        with worker(app, log):
            _wait(lambda: _statuses(app) == {"done": 1}, 60, "not redelivered", log)
        ids = [r.headers["webhook-id"] for r in receiver.received]
        assert len(ids) >= 2 and len(set(ids)) == 1  # the same message again
        assert all(not isinstance(r.verified, Exception) for r in receiver.received)
    with app.app_context():
        delivery = db.session().scalars(sa.select(WebhookDelivery)).one()
        assert delivery.attempts == 2


@pytest.mark.postgres
def test_two_workers_on_postgresql_deliver_each_message_once(app, people, tmp_path):
    count = 40
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    with webhook_receiver() as receiver:
        receiver.secret = _queue(app, receiver.url, count)
        with worker(app, logs[0]), worker(app, logs[1]):
            _wait(lambda: _statuses(app) == {"done": count}, 120, "not all done", logs[0])
        ids = Counter(r.headers["webhook-id"] for r in receiver.received)
        assert len(ids) == count and set(ids.values()) == {1}
        assert len(receiver.verified()) == count
    with app.app_context():
        claimed = db.session().scalars(sa.select(WebhookDelivery.attempts)).all()
        assert set(claimed) == {1}


def test_a_second_worker_on_sqlite_refuses_to_start(app, people, tmp_path):
    if app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("several workers are the point on PostgreSQL")
    log = tmp_path / "worker.log"
    with worker(app, log) as first:
        _wait(lambda: b"levererar" in log.read_bytes(), 60, "first did not start", log)
        second = subprocess.run(
            [str(ATTEST), "worker"],
            env=server_env(app, **WORKER_SETTINGS),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2
        assert "En annan attest worker kör redan" in second.stderr
        assert first.poll() is None
