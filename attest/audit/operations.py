from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from flask import has_request_context, request

from attest import clock, db
from attest.audit.models import AuditEvent, AuditHead
from attest.catalogue import N_

if TYPE_CHECKING:
    from attest.orgs.models import Organisation
    from attest.users.models import User

log = logging.getLogger("attest.audit")

GENESIS_HASH = "0" * 64


def _canonical(entry: AuditEvent) -> bytes:
    fields = {
        "seq": entry.seq,
        "created_at": entry.created_at.isoformat(),
        "event": entry.event,
        "actor_id": entry.actor_id,
        "organisation_id": entry.organisation_id,
        "address": entry.address,
        "data": entry.data,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def entry_hash(entry: AuditEvent) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def _insert_head_once(session) -> sa.Insert:
    """INSERT the empty head (seq 0, the genesis hash) unless it is there already."""
    values = {"id": 1, "seq": 0, "entry_hash": GENESIS_HASH}
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(AuditHead).values(values).on_conflict_do_nothing(index_elements=["id"])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(AuditHead).values(values).on_conflict_do_nothing(index_elements=["id"])


def record(
    event: str,
    *,
    actor: User | None = None,
    organisation: Organisation | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event to the chain in the current transaction.

    The head row is updated first, which takes the write lock (a row lock on PostgreSQL,
    the database lock on SQLite) so concurrent writers append one after the other.
    """
    session = db.session()
    advance = sa.update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1)
    if cast(sa.CursorResult[Any], session.execute(advance)).rowcount == 0:  # the first event ever
        # Two first events at once: one inserts the head, the other waits for it (the key's
        # lock) and inserts nothing; then each advances it in turn like any later event.
        session.execute(_insert_head_once(session))
        session.execute(advance)
    seq, prev = session.execute(
        sa.select(AuditHead.seq, AuditHead.entry_hash).where(AuditHead.id == 1)
    ).one()
    address = (request.remote_addr or "") if has_request_context() else ""
    entry = AuditEvent(
        seq=seq,
        created_at=clock.now(),
        event=event,
        actor_id=actor.id if actor is not None else None,
        organisation_id=organisation.id if organisation is not None else None,
        address=address,
        data=json.dumps(data or {}, sort_keys=True, ensure_ascii=False, separators=(",", ":")),
        memo_id=(data or {}).get("memo"),
        prev_hash=prev,
    )
    entry.entry_hash = entry_hash(entry)
    session.add(entry)
    session.execute(
        sa.update(AuditHead).where(AuditHead.id == 1).values(entry_hash=entry.entry_hash)
    )
    log.info("%s actor=%s data=%s", event, entry.actor_id, entry.data)
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    first_broken_seq: int | None = None
    reason: str = ""  # a msgid of the catalogue (Swedish): translated where it is shown
    whole: bool = True  # the whole chain was walked, not only the part about one memo


def link_problem(entry: AuditEvent, expected_seq: int, prev_hash: str) -> str | None:
    """Why ``entry`` is not the chain's entry number ``expected_seq`` after ``prev_hash``."""
    if entry.seq != expected_seq:
        return N_("en post saknas eller har flyttats")
    if entry.prev_hash != prev_hash:
        return N_("länken till föregående post stämmer inte")
    if entry_hash(entry) != entry.entry_hash:
        return N_("posten har ändrats")
    return None


def verify_chain() -> ChainReport:
    """Walk the chain from the start; report the first entry that does not fit."""
    session = db.session()
    prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    for entry in session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)):
        problem = link_problem(entry, expected_seq, prev)
        if problem:
            return ChainReport(False, count, expected_seq, problem)
        prev = entry.entry_hash
        expected_seq += 1
        count += 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != count or head.entry_hash != prev):
        return ChainReport(False, count, count + 1, N_("kedjan är kortare än dess huvud"))
    return ChainReport(True, count)


@dataclass(frozen=True)
class EventFilter:
    """What the audit log page asks for; None: any."""

    actor_id: int | None = None
    memo_id: int | None = None
    event: str | None = None
    start: dt.datetime | None = None  # from this moment (UTC)
    end: dt.datetime | None = None  # before this moment (UTC)


def events_of(organisation_id: int, wanted: EventFilter) -> sa.Select:
    """The organisation's events that match, as a statement to page through (newest first:
    order by seq descending)."""
    query = sa.select(AuditEvent).where(AuditEvent.organisation_id == organisation_id)
    if wanted.actor_id is not None:
        query = query.where(AuditEvent.actor_id == wanted.actor_id)
    if wanted.memo_id is not None:
        query = query.where(AuditEvent.memo_id == wanted.memo_id)
    if wanted.event:
        query = query.where(AuditEvent.event == wanted.event)
    if wanted.start is not None:
        query = query.where(AuditEvent.created_at >= wanted.start)
    if wanted.end is not None:
        query = query.where(AuditEvent.created_at < wanted.end)
    return query


def event_names(organisation_id: int) -> list[str]:
    """The kinds of event the organisation's log holds, by name."""
    query = (
        sa.select(AuditEvent.event)
        .where(AuditEvent.organisation_id == organisation_id)
        .distinct()
        .order_by(AuditEvent.event)
        .limit(500)
    )
    return list(db.session().scalars(query))


def chain_length() -> int:
    """How many entries the chain has, by its head (one read)."""
    head = db.session().get(AuditHead, 1)
    return head.seq if head is not None else 0
