from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from attest.db import Base, UTCDateTime
from attest.orgs.models import Organisation


class Role(Base):
    """A role a person can hold; route steps name roles by code.

    A role belongs to one organisation (added by its administrator) or to none: shared,
    like the built-in ones. A retired role is kept for the history that names it, but
    nobody can be given it, and no route or t.f. can name it any more.
    """

    __tablename__ = "roles"

    code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(100))
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def visible_to(self, organisation_id: int) -> bool:
        return self.organisation_id is None or self.organisation_id == organisation_id

    @property
    def shown_title(self) -> Any:
        """The title in the reader's language (the built-in roles'), else as written."""
        from attest.users.roles import shown_title

        return shown_title(self.title)


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role_code: Mapped[str] = mapped_column(sa.ForeignKey("roles.code"), primary_key=True)

    role: Mapped[Role] = relationship(lazy="joined")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("length(username) > 0", name="username_not_empty"),
        # A unique index rather than a constraint: SQLite adds one without copying the table.
        sa.Index("uq_users_person_id", "person_id", unique=True),
        sa.Index("uq_users_employee_number", "employee_number", unique=True),
        sa.CheckConstraint("signing_method IN ('key', 'signservice')", name="signing_method_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    # The stable person identifier: a UUID made once, never reused, never changed. Personal
    # certificates carry it (serialNumber "attest:<uuid>") and frozen PDFs name it in their
    # route, so a namesake's certificate never passes for this person's.
    person_id: Mapped[str] = mapped_column(sa.String(36), default=lambda: str(uuid.uuid4()))
    full_name: Mapped[str] = mapped_column(sa.String(200))
    title: Mapped[str] = mapped_column(sa.String(200), default="")  # "Avdelningschef"
    department: Mapped[str] = mapped_column(
        sa.String(200), default=""
    )  # "Avdelning HR och utveckling"
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    # The organisation's own number for the person (HR): how a first sign-in through the
    # identity provider finds them when the provider sends it (attest.sso).
    employee_number: Mapped[str | None] = mapped_column(sa.String(64))
    # None until the person has chosen one (an enrolment link) or after a reset.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    # True when the person chose the password (enrolment, "Byt lösenord"); False when an
    # administrator set it (scripted set-up): such a password never unlocks a signing key
    # while REQUIRE_OWN_PASSWORD is on.
    own_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # When the person chose a signing PIN (people who sign in through an identity provider,
    # whose password attest never sees): their key is encrypted under it. None otherwise,
    # and again after a reset.
    signing_pin_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(default=True)
    # Whether the person holds a substitution in force today, read with their login session
    # (attest.auth.sessions): a worklist then asks for the substitutions only when there
    # are some. None where the person was read otherwise (then the worklist asks).
    holds_substitution: Mapped[bool | None] = query_expression()
    # How the person signs an attestation: "key" (their personal key, under their own
    # password) or "signservice" (the Sweden Connect signature service, after a login at
    # the identity provider). Set by an administrator (attest users signing-method).
    signing_method: Mapped[str] = mapped_column(sa.String(20), default="key", server_default="key")
    # The identifier the signature service's identity provider asserts for the person
    # (SIGNSERVICE_ID_ATTRIBUTE, e.g. a personnummer); their service certificate names it.
    signservice_id: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    user_roles: Mapped[list[UserRole]] = relationship(lazy="selectin", cascade="all, delete-orphan")

    # Flask-Login: the id in the session cookie is the server-side session's token, set by
    # attest.auth.sessions when the user logs in or is loaded; never the database id.
    session_token = None  # type: str | None

    @property
    def role_codes(self) -> frozenset[str]:
        return frozenset(ur.role_code for ur in self.user_roles)

    def has_role(self, code: str) -> bool:
        return code in self.role_codes

    # Flask-Login's user protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.session_token

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class LoginSession(Base):
    """A server-side session: logout and deactivation end it, whatever the cookie says."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    address: Mapped[str] = mapped_column(sa.String(64), default="")

    # Read with the session row (attest.auth.sessions.find): every page asks for both.
    user: Mapped[User] = relationship()


class Enrolment(Base):
    """A one-time link with which a person chooses their password (and gets their key).

    Only the token's SHA-256 is stored. A link is used once, expires after
    ENROLMENT_HOURS, and is replaced (``replaced_at``) by a newer link or a reset.
    """

    __tablename__ = "enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    replaced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
