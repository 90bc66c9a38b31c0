"""What the SAML service provider keeps between requests, in the database (any worker)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from attest.db import Base, UTCDateTime


class SamlRequest(Base):
    """An AuthnRequest sent to the IdP: a response must answer one (InResponseTo).

    The ACS stores the verified answer here (the IdP posts it cross-site, so the browser's
    session cookie may be missing there); the browser that sent the request then collects it
    on a GET with its cookie, and the row is deleted: each request is answered once.
    """

    __tablename__ = "saml_requests"

    id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)  # the request's ID
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    # The person who asked for a step-up (a fresh authentication); None: a login.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    # The verified answer, once the IdP's response has come back.
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    subject: Mapped[str | None] = mapped_column(sa.String(255))
    authenticated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    context: Mapped[str | None] = mapped_column(sa.String(255))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    employee_number: Mapped[str | None] = mapped_column(sa.String(100))
    name: Mapped[str | None] = mapped_column(sa.String(200))


class SamlAssertion(Base):
    """An assertion taken once: its ID is kept until its NotOnOrAfter, so a replay is refused
    by the primary key, whichever worker receives it."""

    __tablename__ = "saml_assertions"

    id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
