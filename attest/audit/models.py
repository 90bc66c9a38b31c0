from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from attest.db import Base, UTCDateTime


class AuditEvent(Base):
    """One entry; ``entry_hash`` covers its fields and the previous entry's hash."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    event: Mapped[str] = mapped_column(sa.String(80), index=True)  # "memo:attestation:added"
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    address: Mapped[str] = mapped_column(sa.String(64), default="")
    data: Mapped[str] = mapped_column(sa.Text, default="{}")  # canonical JSON
    # The memo the event is about (``data``'s "memo"), to find a memo's events by index; not
    # hashed: the hashed data says the same, and the checks compare the two. No foreign key:
    # the log outlives what it speaks of.
    memo_id: Mapped[int | None] = mapped_column(index=True)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    entry_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


# Finding one event's rows of the last minutes (the failed attest passwords of the last hour
# in attest.workflow.operations) without reading every such row since the beginning.
EVENT_TIME_INDEX = sa.Index(
    "ix_audit_events_event_created_at", AuditEvent.event, AuditEvent.created_at
)


class AuditHead(Base):
    """A single row: the chain's last sequence number and hash, locked by each writer."""

    __tablename__ = "audit_head"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    entry_hash: Mapped[str] = mapped_column(sa.String(64))


class AuditTimestamp(Base):
    """An RFC 3161 token over the chain's head (seq and hash) at some moment.

    A truncated or rewritten chain no longer contains the anchored head; the token proves
    when the head existed, signed by a TSA the organisation's CA vouches for.
    """

    __tablename__ = "audit_timestamps"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int]
    entry_hash: Mapped[str] = mapped_column(sa.String(64))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    token: Mapped[bytes] = mapped_column(sa.LargeBinary)  # DER ContentInfo (TimeStampToken)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
