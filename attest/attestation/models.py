from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from attest.db import Base, UTCDateTime


class UserKey(Base):
    """A person's signing key: the certificate, and the private key encrypted under their
    own password (PKCS#8, PBKDF2-SHA256). The server cannot sign without the password."""

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
