from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from attest.db import Base, UTCDateTime


class UserKey(Base):
    """A person's signing key: its current role certificate, and the private key encrypted
    under their own password (PKCS#8, PBKDF2-SHA256). The server cannot sign without the
    password. Every certificate ever issued for the key, the current one too, is a
    PersonCertificate; a change of roles issues a new one for the same key."""

    __tablename__ = "user_keys"
    __table_args__ = (sa.CheckConstraint("length(certificate_sha256) = 64", name="fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    certificate_pem: Mapped[str] = mapped_column(sa.Text)
    certificate_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    serial: Mapped[str] = mapped_column(sa.String(64))  # decimal; too large for BIGINT
    encrypted_key_pem: Mapped[str] = mapped_column(sa.Text)
    not_before: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class PersonCertificate(Base):
    """A certificate the organisation's CA issued for a person's key (attest.pki.profile).

    ``role``: the person's roles (one per key is current, the one in user_keys);
    superseded ones are revoked when the roles, name or title change. ``acting``: a t.f.
    certificate for one substitution's role and period. The CRL lists every revoked one.
    """

    __tablename__ = "person_certificates"
    __table_args__ = (
        sa.CheckConstraint("length(certificate_sha256) = 64", name="fingerprint"),
        sa.CheckConstraint("kind IN ('role', 'acting')", name="kind_known"),
        sa.CheckConstraint(
            "(kind = 'acting') = (substitution_id IS NOT NULL)", name="acting_has_substitution"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_key_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_keys.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(10))
    substitution_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("substitutions.id"), index=True
    )
    certificate_pem: Mapped[str] = mapped_column(sa.Text)
    certificate_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    serial: Mapped[str] = mapped_column(sa.String(64))  # decimal; too large for BIGINT
    not_before: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revocation_reason: Mapped[str] = mapped_column(sa.String(40), default="")
