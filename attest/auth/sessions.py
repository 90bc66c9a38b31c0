"""Server-side login sessions.

The cookie holds a random token (Flask-Login's user id); the database holds its SHA-256.
Logging in always makes a new token, logging out or deactivating the user ends it, so a
copied cookie is worth nothing afterwards.
"""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from flask import request

from attest import clock, db
from attest.users.models import LoginSession, User


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


def load_session_user(token: str) -> User | None:
    session = db.session()
    row = session.get(LoginSession, _digest(token))
    if row is None or row.ended_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    user.session_token = token
    return user


def end_session(token: str | None) -> None:
    if not token:
        return
    row = db.session().get(LoginSession, _digest(token))
    if row is not None and row.ended_at is None:
        row.ended_at = clock.now()


def end_all_sessions(user: User) -> None:
    db.session().execute(
        sa.update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=clock.now())
    )
