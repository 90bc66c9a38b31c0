"""``attest worker``: delivers the outbox — mails, webhooks — and runs the reminders.

One loop: run the periodic jobs that are due, then deliver due messages one at a time
(attest.outbox.claims), and sleep WORKER_POLL_SECONDS when there was nothing to do. Any
number of workers may run against PostgreSQL, on any machines; on SQLite one worker per
database (a lock file beside it says so). SIGTERM or SIGINT lets the current message finish.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from flask import Flask
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from attest import clock, db
from attest.outbox import claims, mail
from attest.webhooks import delivery as webhook_delivery
from attest.webhooks.models import WebhookAttempt, WebhookDelivery
from attest.workflow import notifications
from attest.workflow.models import OutboxMail

log = logging.getLogger(__name__)

REMIND_JOB = "remind"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Counts:
    mails: int = 0
    webhooks: int = 0
    failures: int = 0
    jobs: list[str] = field(default_factory=list)

    @property
    def work(self) -> int:
        return self.mails + self.webhooks + len(self.jobs)


class Worker:
    def __init__(self, app: Flask, name: str | None = None) -> None:
        self.app = app
        self.name = name or worker_name()
        self.stop = threading.Event()

    @property
    def lease(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.app.config["WORKER_LEASE_SECONDS"])

    def run_once(self, counts: Counts | None = None) -> Counts:
        """Everything due now: the jobs, then each due message once; returns what was done."""
        counts = counts or Counts()
        with self.app.app_context():
            self._jobs(counts)
        while not self.stop.is_set():
            with self.app.app_context():
                done = self._deliver_one_mail(counts) or self._deliver_one_webhook(counts)
            if not done:
                break
        return counts

    def run(self) -> None:
        """Until stopped: deliver what is due, sleep when there was nothing."""
        log.info("attest worker %s started", self.name)
        while not self.stop.is_set():
            try:
                counts = self.run_once()
            except (sa_exc.OperationalError, sa_exc.TimeoutError) as exc:
                # The database restarting: nothing is lost (a claim runs out); try again soon.
                log.warning("attest worker %s: database unavailable: %s", self.name, exc)
                self.stop.wait(5 * self.app.config["WORKER_POLL_SECONDS"])
                continue
            if counts.work == 0:
                self.stop.wait(self.app.config["WORKER_POLL_SECONDS"])
        log.info("attest worker %s stopped", self.name)

    # --- periodic jobs ------------------------------------------------------------------

    def _jobs(self, counts: Counts) -> None:
        now = clock.now()
        every = dt.timedelta(minutes=self.app.config["REMIND_EVERY_MINUTES"])
        if claims.take_due_job(REMIND_JOB, every=every, now=now):
            hours = self.app.config["REMIND_AFTER_HOURS"]
            queued = notifications.remind(dt.timedelta(hours=hours))
            counts.jobs.append(REMIND_JOB)
            log.info("reminders queued: %d", queued)
        db.session().commit()  # the job's mails and its next run, together

    # --- mails --------------------------------------------------------------------------

    def _deliver_one_mail(self, counts: Counts) -> bool:
        if not mail.enabled(self.app.config):
            return False
        row = claims.claim_next(OutboxMail, worker=self.name, now=clock.now(), lease=self.lease)
        if row is None:
            return False
        try:
            mail.send(row, self.app.config)
        except mail.SEND_ERRORS as exc:
            claims.mark_failed(row, now=clock.now(), error=f"{type(exc).__name__}: {exc}")
            counts.failures += 1
            log.warning("mail %s to %s not sent: %s", row.id, row.to_address, exc)
        else:
            claims.mark_done(row, extra={"sent_at": clock.now()})
            counts.mails += 1
        db.session().commit()
        return True

    # --- webhooks -----------------------------------------------------------------------

    def _deliver_one_webhook(self, counts: Counts) -> bool:
        row = claims.claim_next(
            WebhookDelivery, worker=self.name, now=clock.now(), lease=self.lease
        )
        if row is None:
            return False
        moment = clock.now()
        outcome = webhook_delivery.post(row, moment, self.app.config)
        db.session().add(
            WebhookAttempt(
                delivery_id=row.id,
                attempted_at=moment,
                status_code=outcome.status_code,
                error=outcome.error[: claims.MAX_ERROR_LENGTH],
                duration_ms=outcome.duration_ms,
            )
        )
        if outcome.ok:
            claims.mark_done(row, extra={"delivered_at": clock.now()})
            counts.webhooks += 1
        else:
            claims.mark_failed(row, now=clock.now(), error=outcome.error)
            counts.failures += 1
            log.warning("webhook %s to %s failed: %s", row.id, row.endpoint.url, outcome.error)
        db.session().commit()
        return True


# --- one worker per SQLite database -------------------------------------------------------


@contextlib.contextmanager
def sqlite_single_worker(app: Flask) -> Iterator[None]:
    """On SQLite, hold ``<database>.worker.lock``: a second worker there refuses to start."""
    url = make_url(app.config["DATABASE_URL"])
    if url.get_backend_name() != "sqlite" or not url.database:
        yield
        return
    import fcntl

    path = Path(f"{url.database}.worker.lock")
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(
                f"En annan attest worker kör redan mot {url.database}: "
                "på SQLite levererar en enda worker utkorgen."
            ) from None
        yield


def stop_on_signals(worker: Worker) -> Callable[[], None]:
    """SIGTERM and SIGINT stop the worker after the current message; returns an undo."""
    previous: dict[int, Any] = {}

    def stop(signum: int, _frame: Any) -> None:
        log.info("attest worker %s: signal %d, stopping", worker.name, signum)
        worker.stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, stop)

    def undo() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    return undo
