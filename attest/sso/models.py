from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from attest.db import Base, UTCDateTime
from attest.users.models import User


class ExternalIdentity(Base):
    """A person's account at an identity provider: the provider's stable subject for them.

    ``provider`` is ``oidc:<issuer>`` or ``saml:<entity id>``; a subject is unique per
    provider, and a person has at most one subject per provider.
    """

    __tablename__ = "external_identities"
    __table_args__ = (
        sa.UniqueConstraint("provider", "subject"),
        sa.UniqueConstraint("user_id", "provider"),
        sa.CheckConstraint("length(subject) > 0", name="subject_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(sa.String(300))
    subject: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class StepUp(Base):
    """One attempt to attest after a fresh authentication at the provider.

    Kept on the server, bound to the login session that began it, used once: the provider's
    answer must name the same person and an authentication after ``started_at``.
    """

    __tablename__ = "sso_step_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    login_session_hash: Mapped[str] = mapped_column(sa.String(64))
    memo_id: Mapped[int] = mapped_column(sa.ForeignKey("memos.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(sa.String(300))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Filled by the provider's answer (complete_step_up).
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    subject: Mapped[str | None] = mapped_column(sa.String(300))
    auth_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    context: Mapped[str | None] = mapped_column(sa.String(300))
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
