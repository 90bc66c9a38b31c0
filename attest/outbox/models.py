"""What every outbox row has for the worker, and the worker's schedule of periodic jobs."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from attest import clock
from attest.db import Base, UTCDateTime


class DeliveryStatus(str, enum.Enum):
    PENDING = "pending"  # to be sent (now, or at next_attempt_at after a failure)
    DONE = "done"  # sent and accepted
    FAILED = "failed"  # given up after the last retry; "Skicka igen" makes it pending


DELIVERY_STATUSES = "status IN ('pending', 'done', 'failed')"


class Deliverable:
    """The columns the worker claims and retries by (a mixin of the outbox tables).

    A worker claims a row by writing ``claimed_by`` (its claim's id) and ``claimed_until``
    (the lease) in a short transaction, sends outside any transaction, then marks it done
    or schedules the next attempt. A worker that dies leaves the claim, which any worker
    may take again once the lease has run out: nothing is lost, and a message is sent
    twice only if a worker died between sending and marking (receivers dedupe by id).
    """

    status: Mapped[str] = mapped_column(sa.String(10), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    # Due at once unless said otherwise (the app's clock: rows are made in an app context).
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(80))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")


class WorkerJob(Base):
    """A periodic job (reminders): the one worker that moves ``next_run_at`` runs it."""

    __tablename__ = "worker_jobs"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    next_run_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
