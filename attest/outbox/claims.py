"""Taking outbox rows for delivery, and marking how it went; one row at a time.

A claim is a short transaction: on PostgreSQL ``SELECT ... FOR UPDATE SKIP LOCKED`` picks
the first due row no other worker is picking at that moment, and an UPDATE writes the
claim (``claimed_by``, the lease ``claimed_until``) and counts the attempt. The send happens
outside any transaction; then the row is marked done, or due again after a back-off, but
only if the claim is still this worker's. So workers on several machines never take the
same row at once, a worker that dies loses nothing (its claim runs out), and a row is sent
twice only when a worker died (or its lease ran out) between sending and marking.

SQLite has no row locks: the conditional UPDATE still gives a row to one claimant only, but
the documented setup there is one worker (attest.outbox.worker holds a lock file).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, Mapping, TypeVar, cast

import sqlalchemy as sa

from attest import db
from attest.outbox.models import Deliverable, DeliveryStatus, WorkerJob

JOBS = cast(sa.Table, WorkerJob.__table__)

T = TypeVar("T", bound=Deliverable)

# When a failed message is tried again, after its 1st, 2nd, ... failure; after the last it
# is given up (FAILED) until someone presses "Skicka igen". The Standard Webhooks
# specification's suggested schedule: about a day and a half in all.
RETRY_AFTER: tuple[dt.timedelta, ...] = (
    dt.timedelta(seconds=5),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=5),
    dt.timedelta(hours=10),
    dt.timedelta(hours=10),
)
MAX_ERROR_LENGTH = 2000


def _claimable(model: Any, now: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        model.status == DeliveryStatus.PENDING.value,
        model.next_attempt_at <= now,
        sa.or_(model.claimed_until.is_(None), model.claimed_until < now),
    )


def claim_next(model: type[T], *, worker: str, now: dt.datetime, lease: dt.timedelta) -> T | None:
    """The next due row of ``model``, claimed for this worker (committed), or None."""
    session = db.session()
    pick = (
        sa.select(model.id)  # type: ignore[attr-defined]
        .where(_claimable(model, now))
        .order_by(model.next_attempt_at, model.id)  # type: ignore[attr-defined]
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    row_id = session.scalar(pick)
    if row_id is None:
        session.rollback()
        return None
    claim = f"{worker}/{secrets.token_hex(6)}"[-80:]
    taken = session.execute(
        sa.update(model)
        .where(model.id == row_id, _claimable(model, now))  # type: ignore[attr-defined]
        .values(claimed_by=claim, claimed_until=now + lease, attempts=model.attempts + 1)
    )
    session.commit()
    if getattr(taken, "rowcount", 0) != 1:
        return None  # another worker's conditional UPDATE came first (SQLite)
    return session.scalars(
        sa.select(model)
        .where(model.id == row_id)  # type: ignore[attr-defined]
        .execution_options(populate_existing=True)
    ).one()


def mark_done(row: Deliverable, *, extra: Mapping[str, Any] | None = None) -> bool:
    """The message went out: done, if the claim is still ours (in the caller's transaction)."""
    return _update_claimed(
        row,
        status=DeliveryStatus.DONE.value,
        claimed_by=None,
        claimed_until=None,
        last_error="",
        **(extra or {}),
    )


def mark_failed(row: Deliverable, *, now: dt.datetime, error: str) -> bool:
    """It did not go out: due again after the back-off, or given up after the last try."""
    values: dict[str, Any] = {
        "claimed_by": None,
        "claimed_until": None,
        "last_error": error[:MAX_ERROR_LENGTH],
    }
    if row.attempts > len(RETRY_AFTER):
        values["status"] = DeliveryStatus.FAILED.value
    else:
        values["next_attempt_at"] = now + RETRY_AFTER[max(row.attempts, 1) - 1]
    return _update_claimed(row, **values)


def _update_claimed(row: Deliverable, **values: Any) -> bool:
    model = type(row)
    result = db.session().execute(
        sa.update(model)
        .where(model.id == row.id, model.claimed_by == row.claimed_by)  # type: ignore
        .values(**values)
    )
    return getattr(result, "rowcount", 0) == 1


def send_again(row: Deliverable, *, now: dt.datetime) -> None:
    """Due now, whatever happened before ("Skicka igen"): a new round of attempts."""
    row.status = DeliveryStatus.PENDING.value
    row.next_attempt_at = now
    row.attempts = 0
    row.claimed_by = None
    row.claimed_until = None


def take_due_job(name: str, *, every: dt.timedelta, now: dt.datetime) -> bool:
    """Whether this worker runs the periodic job ``name`` now (in the caller's transaction).

    Moving ``next_run_at`` on takes the row's lock until the caller commits: a second
    worker waits, then finds the job no longer due. Commit after the job's work, so a
    worker that dies in the middle leaves it due.
    """
    session = db.session()
    moved = session.execute(
        sa.update(WorkerJob)
        .where(WorkerJob.name == name, WorkerJob.next_run_at <= now)
        .values(next_run_at=now + every, last_run_at=now)
    )
    if getattr(moved, "rowcount", 0) == 1:
        return True
    if session.get(WorkerJob, name) is not None:
        return False
    values = {"name": name, "next_run_at": now + every, "last_run_at": now}
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        insert: Any = pg_insert(JOBS).values(values).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        insert = sqlite_insert(JOBS).values(values).on_conflict_do_nothing()
    return session.execute(insert.returning(JOBS.c.name)).first() is not None
