"""Server-side login sessions.

The cookie holds a random token (Flask-Login's user id); the database holds its SHA-256.
Logging in and re-authenticating (an attestation) always make a new token; logging out,
deactivating the user, or the idle and absolute limits of :mod:`attest.security` end it,
so a copied cookie is worth nothing afterwards.
"""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import joinedload, with_expression

from attest import clock, db
from attest.users.models import LoginSession, User
from attest.workflow.models import Substitution


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    token = secrets.token_urlsafe(32)
    moment = clock.now()
    db.session().add(
        LoginSession(
            token_hash=_digest(token),
            user_id=user.id,
            created_at=moment,
            last_seen_at=moment,
            address=request.remote_addr or "",
        )
    )
    user.session_token = token
    return token


# Where a request keeps the session rows it has read: the expiry check before the view, the
# user loader and the page's idle clock all ask for the same row, and the session's identity
# map holds objects only weakly, so without this each asked the database again.
_REQUEST_ROWS = "attest.login_sessions"


def find(token: str) -> LoginSession | None:
    """The session row of a cookie's token, live or ended; read once per request."""
    digest = _digest(token)
    rows = request.environ.setdefault(_REQUEST_ROWS, {}) if has_request_context() else {}
    row = rows.get(digest)
    if row is None:
        row = db.session().scalar(_SESSION_WITH_USER, {"digest": digest})
        if row is not None:
            rows[digest] = row
    return row


# The session row with its user, their roles and whether they hold a substitution today: one
# query for what every page asks (is the session live, who is it, what may they do, is
# anything waiting for them as t.f.). Built once, its values bound.
_HOLDS_SUBSTITUTION = (
    sa.exists()
    .where(
        Substitution.substitute_id == User.id,
        # Today when the query runs: also when the person is read again after a rollback.
        Substitution.in_force(
            sa.bindparam("today", type_=sa.Date, callable_=lambda: clock.today())
        ),
    )
    .correlate(User)
)
_SESSION_WITH_USER = (
    sa.select(LoginSession)
    .where(LoginSession.token_hash == sa.bindparam("digest"))
    .options(
        joinedload(LoginSession.user).options(
            joinedload(User.user_roles),
            with_expression(User.holds_substitution, _HOLDS_SUBSTITUTION),
        )
    )
)


def owner(row: LoginSession) -> User:
    """The session's user (read with the row by ``find``)."""
    return row.user


def load_session_user(token: str) -> User | None:
    from attest.security import session_expiry

    row = find(token)
    if row is None or row.ended_at is not None or session_expiry(row) is not None:
        return None
    user = owner(row)
    if not user.active:
        return None
    user.session_token = token
    return user


def end_session(token: str | None) -> None:
    if not token:
        return
    row = db.session().get(LoginSession, _digest(token))
    if row is not None and row.ended_at is None:
        row.ended_at = clock.now()


def rotate_session(user: User) -> str:
    """A new token for the logged-in user, the old one ended: after a re-authentication."""
    end_session(user.session_token)
    return start_session(user)


def end_all_sessions(user: User, *, keep: str | None = None) -> None:
    """End every live session of the user, but the one of ``keep`` (a token) if given."""
    statement = sa.update(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None)
    )
    if keep:
        statement = statement.where(LoginSession.token_hash != _digest(keep))
    db.session().execute(statement.values(ended_at=clock.now()))
