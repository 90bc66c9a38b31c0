from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from attest.db import Base, UTCDateTime
from attest.memos.models import Memo, MemoVersion
from attest.outbox.models import DELIVERY_STATUSES, Deliverable
from attest.users.models import Role, User


class RouteDefinition(Base):
    """The configured route of an organisation for one memo type (no row: the default)."""

    __tablename__ = "routes"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "memo_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    memo_type: Mapped[str] = mapped_column(sa.String(40))
    steps: Mapped[list[RouteDefinitionStep]] = relationship(
        order_by="RouteDefinitionStep.position", lazy="selectin", cascade="all, delete-orphan"
    )


class RouteDefinitionStep(Base):
    __tablename__ = "route_steps"

    route_id: Mapped[int] = mapped_column(
        sa.ForeignKey("routes.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    role_code: Mapped[str] = mapped_column(sa.ForeignKey("roles.code"))
    role: Mapped[Role] = relationship(lazy="joined")


class Submission(Base):
    """One sending of one version for attestation: its fixed steps and its frozen PDF.

    Returning or withdrawing voids it; sending again makes a new one, and nothing attested
    in a voided submission carries over.
    """

    __tablename__ = "submissions"
    __table_args__ = (
        sa.UniqueConstraint("memo_id", "number"),
        sa.CheckConstraint("status IN ('active', 'voided', 'attested')", name="status_known"),
        # The worklists: whose turn it is, oldest wait first (an index range per person).
        sa.Index(
            "ix_submissions_waiting", "current_assignee_id", "status", "step_waiting_since", "id"
        ),
        # The verify page finds a submission from a PDF's digest.
        sa.Index("ix_submissions_current_pdf", "current_pdf_sha256"),
        sa.Index("ix_submissions_frozen_pdf", "frozen_pdf_sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    memo_id: Mapped[int] = mapped_column(sa.ForeignKey("memos.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("memo_versions.id"))
    number: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(10), default="active")
    current_position: Mapped[int | None]  # the step whose turn it is; None when finished
    # That step's person, kept beside it so a worklist is one index range, however long
    # the history (the steps hold the truth; the engine keeps both in step).
    current_assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # Printed in the frozen PDF's footer as <BASE_URL>/v/<code>: the way back to the record.
    verification_code: Mapped[str | None] = mapped_column(sa.String(16), unique=True)
    frozen_pdf_sha256: Mapped[str] = mapped_column(sa.ForeignKey("blobs.sha256"))
    current_pdf_sha256: Mapped[str] = mapped_column(sa.ForeignKey("blobs.sha256"))
    step_waiting_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    memo: Mapped[Memo] = relationship()
    version: Mapped[MemoVersion] = relationship(lazy="joined")
    # Loaded on use: the worklists show thousands of submissions without their steps.
    steps: Mapped[list[SubmissionStep]] = relationship(
        order_by="SubmissionStep.position", lazy="select", cascade="all, delete-orphan"
    )
    attestations: Mapped[list[Attestation]] = relationship(
        order_by="Attestation.position", lazy="select"
    )

    @property
    def current_step(self) -> SubmissionStep | None:
        if self.current_position is None:
            return None
        return next(s for s in self.steps if s.position == self.current_position)

    def attestation_for(self, position: int) -> Attestation | None:
        return next((a for a in self.attestations if a.position == position), None)


class SubmissionStep(Base):
    """A route step as fixed when the memo was sent: the role and the person picked."""

    __tablename__ = "submission_steps"

    submission_id: Mapped[int] = mapped_column(
        sa.ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    role_code: Mapped[str] = mapped_column(sa.ForeignKey("roles.code"))
    role_title: Mapped[str] = mapped_column(sa.String(100))
    assignee_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)

    assignee: Mapped[User] = relationship(lazy="joined")


class Attestation(Base):
    """One attested step; the database allows exactly one per step of a submission."""

    __tablename__ = "attestations"
    __table_args__ = (
        sa.UniqueConstraint("submission_id", "position"),
        # The verify page finds attestations from a PDF's revisions and certificates.
        sa.Index("ix_attestations_pdf_after", "pdf_sha256_after"),
        sa.Index("ix_attestations_certificate", "certificate_sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"), index=True)
    position: Mapped[int]
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("memo_versions.id"))
    signer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    acting_for_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    signer_name: Mapped[str] = mapped_column(sa.String(200))
    signer_title: Mapped[str] = mapped_column(sa.String(200))  # "t.f. Avdelningschef" when acting
    attested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # The record of the signature (None only under SIGNING = "record-only").
    certificate_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    pdf_sha256_before: Mapped[str] = mapped_column(sa.String(64))
    pdf_sha256_after: Mapped[str] = mapped_column(sa.String(64))
    timestamp_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    tsa: Mapped[str | None] = mapped_column(sa.String(300))
    # The fresh authentication at the identity provider that this attestation followed
    # (attest.sso step-up); None for a person who signs in with a local password.
    sso_provider: Mapped[str | None] = mapped_column(sa.String(300))
    sso_subject: Mapped[str | None] = mapped_column(sa.String(300))
    sso_auth_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sso_context: Mapped[str | None] = mapped_column(sa.String(300))

    signer: Mapped[User] = relationship(foreign_keys=[signer_id], lazy="joined")
    acting_for: Mapped[User | None] = relationship(foreign_keys=[acting_for_id], lazy="joined")


class HistoryEntry(Base):
    """The review history: every transition, who, for whom, when, with what comment."""

    __tablename__ = "memo_history"
    # "Hanterade av mig": the memos a person attested or returned, without a scan.
    __table_args__ = (sa.Index("ix_memo_history_actor_action", "actor_id", "action", "memo_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    memo_id: Mapped[int] = mapped_column(sa.ForeignKey("memos.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(sa.String(20))
    from_state: Mapped[str] = mapped_column(sa.String(20))
    to_state: Mapped[str] = mapped_column(sa.String(20))
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    acting_for_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    version_number: Mapped[int]
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submissions.id"))
    step_position: Mapped[int | None]

    actor: Mapped[User] = relationship(foreign_keys=[actor_id], lazy="joined")
    acting_for: Mapped[User | None] = relationship(foreign_keys=[acting_for_id], lazy="joined")


class Substitution(Base):
    """An acting substitute (t.f.): ``substitute`` holds ``role_code`` for the period."""

    __tablename__ = "substitutions"
    __table_args__ = (sa.CheckConstraint("starts_on <= ends_on", name="period_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    substitute_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    role_code: Mapped[str] = mapped_column(sa.ForeignKey("roles.code"))
    for_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Ended before its last day: from then on it authorises nothing, and its t.f.
    # certificate is revoked at this moment.
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    substitute: Mapped[User] = relationship(foreign_keys=[substitute_id], lazy="joined")
    role: Mapped[Role] = relationship(lazy="joined")

    @staticmethod
    def in_force(on: dt.date | sa.ColumnElement[dt.date]) -> sa.ColumnElement[bool]:
        """The condition of a substitution that covers the day ``on`` (a date, or a bound
        parameter for one) and was not ended."""
        return sa.and_(
            Substitution.starts_on <= on,
            Substitution.ends_on >= on,
            Substitution.ended_at.is_(None),
        )

    for_user: Mapped[User | None] = relationship(foreign_keys=[for_user_id], lazy="joined")


class OutboxMail(Deliverable, Base):
    """A notification e-mail: written in the transaction of its cause, sent by the worker
    (``attest worker``) when SMTP is configured; kept here either way, as a record."""

    __tablename__ = "outbox"
    __table_args__ = (
        # The outbox page: an organisation's mails, newest first.
        sa.Index("ix_outbox_organisation_newest", "organisation_id", "id"),
        # The worker: the pending mails, the one due first first.
        sa.Index("ix_outbox_due", "status", "next_attempt_at"),
        sa.CheckConstraint(DELIVERY_STATUSES, name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    memo_id: Mapped[int | None] = mapped_column(sa.ForeignKey("memos.id", ondelete="SET NULL"))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
