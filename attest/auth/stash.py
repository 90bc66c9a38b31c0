"""What a person typed when their login session had ended: kept until they log in again.

A form posted after the session ended (the idle limit passed while someone wrote a return
comment or edited a draft) used to be refused for its CSRF token, and the text was lost.
Now such a post is kept ("stashed") before the CSRF check, and the person is sent to the
login page and then back to the page the form was on, with the fields filled in again. The
post itself is never replayed: the person reads the form and presses its button, with a
new CSRF token, as if they had just typed it. (Replaying it would turn a stashed post into
a forgery waiting for the next login.)

Who may stash, and what:
- only a browser whose cookie names a login session that existed and has ended (so only a
  browser that was logged in, and only for that session's person), posting from a page of
  ours (a same-origin Referer) — a cross-site post carries no session cookie anyway
  (SameSite=Lax);
- only the form's text fields: never files, passwords or the CSRF token; at most
  FORM_STASH_MAX_BYTES of them, else nothing is kept and the post is refused as before;
- sealed (Fernet) with a key that only the browser's cookie holds: the database keeps the
  key's hash and the ciphertext, so the database alone cannot read what was typed;
- one stash per person (a newer one replaces it), for FORM_STASH_MINUTES, and shown only to
  that person after they log in again, on that page. Another person logging in on the same
  browser sees nothing of it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from flask import Flask, current_app, flash, g, redirect, request, session
from flask_login import current_user
from flask_login.utils import login_url
from sqlalchemy.orm import Mapped, mapped_column

from attest import audit, clock, db
from attest.db import Base, UTCDateTime
from attest.i18n import _l
from attest.users.models import User

COOKIE = "attest_form"
# The session's key under which an expired session's token stays, so that a post made after
# the expiry was noticed (by another tab's request) still knows whose session it was. The
# token is worth nothing: its session has ended on the server.
ENDED_SESSION_KEY = "attest_ended_session"

STASHED = "user:form:stashed"
RESTORED = "user:form:restored"

KEPT_MESSAGE = _l(
    "Det du skrev är sparat. Logga in igen, så kommer du tillbaka till sidan med det ifyllt. "
    "Inget har skickats än."
)

# Never kept: what would unlock something, and what belongs to the page it came from (the
# page shows its own, current CSRF token and memo version).
_NEVER_KEPT = ("csrf_token", "lock_version", "password", "losenord", "pin")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Posts that are not a person's writing: logging in and out, machine protocols, the API.
_NOT_STASHED = {"auth.login", "auth.logout", "static", "pki.timestamp", "start.language"}


class FormStash(Base):
    """A form posted after its session ended, sealed with a key the browser's cookie holds."""

    __tablename__ = "form_stashes"

    id_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    # One per person: a newer stash replaces the older one.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    page: Mapped[str] = mapped_column(sa.String(500))  # where the form was: path and query
    action: Mapped[str] = mapped_column(sa.String(500))  # where it was posted to: a path
    sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


@dataclass(frozen=True)
class RestoredForm:
    """The fields to fill in again, for the form that posts to ``action``."""

    action: str
    fields: dict[str, list[str]]

    def as_json(self) -> dict[str, Any]:
        return {"action": self.action, "fields": self.fields}

    @property
    def texts(self) -> list[str]:
        """What was typed, for reading and copying when the form is no longer on the page."""
        return [value for values in self.fields.values() for value in values if value.strip()]


def _id_hash(raw: str) -> str:
    return hashlib.sha256(b"attest-form-stash-id\0" + raw.encode()).hexdigest()


def _fernet(raw: str) -> Fernet:
    key = hashlib.sha256(b"attest-form-stash-key\0" + raw.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _lifetime() -> dt.timedelta:
    return dt.timedelta(minutes=current_app.config["FORM_STASH_MINUTES"])


# --- keeping a post -----------------------------------------------------------------------


def _former_owner() -> User | None:
    """The person whose session this browser's cookie named, if it has ended; else None."""
    from attest.auth import sessions
    from attest.security import session_expiry

    token = session.get("_user_id") or session.get(ENDED_SESSION_KEY)
    if not token or not isinstance(token, str):
        return None
    row = sessions.find(token)
    if row is None:
        return None
    if row.ended_at is None and session_expiry(row) is None:
        return None  # a live session: the request goes on as usual
    user = sessions.owner(row)
    return user if user.active else None


def _page_of_the_form() -> str | None:
    """The page the form was on, from a same-origin Referer: a path (and query) of ours."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host or not parts.path.startswith("/"):
        return None
    if parts.path.startswith("//"):
        return None
    page = parts.path + (f"?{parts.query}" if parts.query else "")
    return page if len(page) <= 500 else None


def _kept_fields() -> dict[str, list[str]]:
    return {
        name: values
        for name, values in request.form.lists()
        if not any(word in name.lower() for word in _NEVER_KEPT)
    }


def keep_form_after_session_end():
    """Before the CSRF check: a form posted without a live session is kept, and the person
    sent to log in. Anything else goes on as before (and is refused as before)."""
    if (
        request.method != "POST"
        or request.endpoint is None
        or request.endpoint in _NOT_STASHED
        or request.path.startswith("/api/")
        or request.mimetype not in _FORM_TYPES
    ):
        return None
    user = _former_owner()
    page = _page_of_the_form() if user is not None else None
    if user is None or page is None:
        return None
    fields = _kept_fields()
    plain = json.dumps(fields, ensure_ascii=False).encode()
    if not any(v.strip() for values in fields.values() for v in values):
        return None  # nothing typed: nothing to keep
    if len(plain) > current_app.config["FORM_STASH_MAX_BYTES"]:
        return None
    raw = secrets.token_urlsafe(32)
    database = db.session()
    moment = clock.now()
    # One per person, and none past its time: the table stays as small as its users.
    database.execute(
        sa.delete(FormStash).where(
            sa.or_(FormStash.user_id == user.id, FormStash.created_at < moment - _lifetime())
        )
    )
    database.add(
        FormStash(
            id_hash=_id_hash(raw),
            user_id=user.id,
            page=page,
            action=request.path[:500],
            sealed=_fernet(raw).encrypt(plain),
            created_at=moment,
        )
    )
    audit.record(
        STASHED,
        actor=user,
        organisation=user.organisation,
        data={"path": request.path[:500], "fields": sorted(fields)[:50]},
    )
    database.commit()
    flash(str(KEPT_MESSAGE), "info")
    response = redirect(login_url("auth.login", next_url=page))
    response.set_cookie(
        COOKIE,
        raw,
        max_age=int(_lifetime().total_seconds()),
        path="/",
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]) or request.is_secure,
        httponly=True,
        samesite="Lax",
    )
    return response


# --- filling it in again ------------------------------------------------------------------


def restore_for_page() -> None:
    """On the page the form was on, for its person: the fields, once; the stash is gone."""
    raw = request.cookies.get(COOKIE)
    if not raw or request.method != "GET" or not current_user.is_authenticated:
        return
    database = db.session()
    row = database.get(FormStash, _id_hash(raw))
    if row is None or clock.now() - row.created_at >= _lifetime():
        g.attest_forget_stash = True  # gone or stale: the cookie goes too
        return
    if row.user_id != current_user.id or urlsplit(row.page).path != request.path:
        return  # someone else's, or another page: it waits (for its hour at most)
    try:
        fields = json.loads(_fernet(raw).decrypt(row.sealed))
    except (InvalidToken, ValueError):
        fields = None
    database.delete(row)
    if fields is not None:
        audit.record(
            RESTORED,
            actor=current_user,
            organisation=current_user.organisation,
            data={"path": row.action},
        )
    database.commit()
    g.attest_forget_stash = True
    if isinstance(fields, dict):
        g.attest_restored_form = RestoredForm(
            row.action,
            {str(k): [str(v) for v in vs] for k, vs in fields.items() if isinstance(vs, list)},
        )


def restored_form() -> RestoredForm | None:
    return g.get("attest_restored_form")


def _forget_cookie(response):
    if g.pop("attest_forget_stash", False):
        response.delete_cookie(COOKIE, path="/")
    return response


def init_app(app: Flask) -> None:
    """Before CSRFProtect's check (which would refuse the post) and after the session's
    expiry is noticed (attest.security), so registered between the two."""
    app.before_request(keep_form_after_session_end)
    app.before_request(restore_for_page)
    app.after_request(_forget_cookie)
    app.context_processor(lambda: {"restored_form": restored_form()})
