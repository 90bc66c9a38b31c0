from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from attest.db import Base, UTCDateTime
from attest.outbox.models import DELIVERY_STATUSES, Deliverable


class WebhookEndpoint(Base):
    """A URL that receives an organisation's events, and the secret that signs them.

    The secret (``whsec_...``) is shown once when the endpoint is added and stored only
    encrypted (AES-GCM under a key derived from KEY_PASSPHRASE): the worker needs it to
    sign, nobody needs to read it again.
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    events: Mapped[str] = mapped_column(sa.String(300))  # "memo.attested memo.sent"
    secret_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def event_set(self) -> frozenset[str]:
        return frozenset(self.events.split())


class WebhookDelivery(Deliverable, Base):
    """One event for one endpoint: the signed message and where its delivery stands."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # The worker: the pending deliveries, the one due first first.
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        # The delivery log: an organisation's deliveries, newest first.
        sa.Index("ix_webhook_deliveries_log", "organisation_id", "id"),
        sa.CheckConstraint(DELIVERY_STATUSES, name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_endpoints.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    event: Mapped[str] = mapped_column(sa.String(40))
    message_id: Mapped[str] = mapped_column(sa.String(40), unique=True)  # webhook-id: "msg_..."
    payload: Mapped[str] = mapped_column(sa.Text)  # the body exactly as sent and signed
    memo_id: Mapped[int | None] = mapped_column(sa.ForeignKey("memos.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    endpoint: Mapped[WebhookEndpoint] = relationship(lazy="joined")
    attempts_made: Mapped[list[WebhookAttempt]] = relationship(
        order_by="WebhookAttempt.id", lazy="select", cascade="all, delete-orphan"
    )


class WebhookAttempt(Base):
    """One POST of a delivery: when, what the receiver answered, or why it failed."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None]
    error: Mapped[str] = mapped_column(sa.Text, default="")
    duration_ms: Mapped[int] = mapped_column(default=0)
