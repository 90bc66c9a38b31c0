"""Security rules in one place: the response headers, and how long a login session lives.

Headers: a Content-Security-Policy with no inline script or style and no framing, nosniff,
a same-origin referrer, ``no-store`` on everything but the static files and pdf.js's (a
logged-in person's pages, PDFs and bilagor all show memo content), HSTS when the request came
over https. pdf.js runs under the same policy: its worker is a script from attest itself.

Sessions (rows of ``login_sessions``, kept by :mod:`attest.auth.sessions`): one ends after
SESSION_IDLE_MINUTES without a request, or SESSION_MAX_HOURS after it began, whatever the
cookie says; an attestation, which asks for the password again, starts a new one.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from flask import Flask, current_app, flash, g, has_request_context, request, session
from flask_login import current_user, login_user

from attest import audit, clock, db
from attest.i18n import _l

if TYPE_CHECKING:
    from attest.users.models import LoginSession

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",  # no 'unsafe-inline': an injected <script> does not run
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "frame-ancestors 'none'",  # no page of ours inside anyone's frame (clickjacking)
        "base-uri 'none'",
        "form-action 'self'",
    ]
)
# Files that are the same for everyone (attest's own and pdf.js): a browser may keep them.
CACHED_ENDPOINTS = {"static", "pdfviewer.asset"}
# A year. Not includeSubDomains: the municipality's other hosts are not ours to decide.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"

# Why a session ended -> what its owner reads on the login page.
EXPIRY_MESSAGES = {
    "idle": _l("Du har loggats ut efter en tids inaktivitet."),
    "max_age": _l("Du har loggats ut eftersom du har varit inloggad länge. Logga in igen."),
}

# last_seen_at is written at most this often: not a database write on every request. A
# session may so end up to this much before its idle time, never after it.
LAST_SEEN_RESOLUTION = dt.timedelta(minutes=1)

SESSION_EXPIRED = "user:session:expired"


def init_app(app: Flask) -> None:
    from attest.workflow.engine import transition_applied

    app.before_request(_end_expired_session)
    app.after_request(_rotate_after_reauthentication)
    app.after_request(_security_headers)
    transition_applied.connect(_note_reauthentication, sender=app, weak=False)


# Headers


def _security_headers(response):
    headers = response.headers
    # The signature service's origin joins form-action where it is configured (the
    # SignRequest is posted to it): attest.signservice sets the app's policy.
    headers["Content-Security-Policy"] = current_app.extensions.get(
        "attest.csp", CONTENT_SECURITY_POLICY
    )
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"  # frame-ancestors for browsers without CSP 2
    headers["Referrer-Policy"] = "same-origin"
    if request.endpoint not in CACHED_ENDPOINTS:
        headers["Cache-Control"] = "no-store"
    if request.is_secure:
        headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return response


# Session lifetime


def session_expiry(row: LoginSession) -> str | None:
    """Why this live session is over ("idle", "max_age"), or None if it is not."""
    now = clock.now()
    if now - row.created_at >= _max_age():
        return "max_age"
    if now - row.last_seen_at >= _idle_limit():
        return "idle"
    return None


def _max_age() -> dt.timedelta:
    return dt.timedelta(hours=current_app.config["SESSION_MAX_HOURS"])


def _idle_limit() -> dt.timedelta:
    return dt.timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def _last_seen_resolution() -> dt.timedelta:
    # A short idle limit (a test's minute) needs a finer one: else no request counts.
    return min(LAST_SEEN_RESOLUTION, _idle_limit() / 4)


def seconds_left(row: LoginSession) -> int:
    """How long this session lives on without another request (the page's idle warning)."""
    now = clock.now()
    ends = min(row.last_seen_at + _idle_limit(), row.created_at + _max_age())
    return max(0, int((ends - now).total_seconds()))


def touch(row: LoginSession) -> None:
    """A request was made in this session ("Fortsätt vara inloggad"): its idle time restarts."""
    row.last_seen_at = clock.now()


def session_just_expired() -> bool:
    """Whether this request found its session over (the login page then says why)."""
    return bool(g.get("attest_session_expired"))


def _end_expired_session() -> None:
    """End the request's session on the server if it has expired; else note it was seen.

    Runs before every view; the user loader refuses an expired session as well, in case
    something asked for current_user before this ran.
    """
    token = session.get("_user_id")
    if not token or request.endpoint in CACHED_ENDPOINTS:
        return
    from attest.auth import sessions

    row = sessions.find(token)
    if row is None or row.ended_at is not None:
        return  # Flask-Login finds no user and sends the person to the login page
    reason = session_expiry(row)
    if reason is None:
        now = clock.now()
        if now - row.last_seen_at >= _last_seen_resolution():
            touch(row)
            db.session().commit()
        return
    sessions.end_session(token)
    user = sessions.owner(row)
    audit.record(
        SESSION_EXPIRED, actor=user, organisation=user.organisation, data={"reason": reason}
    )
    db.session().commit()
    session.clear()
    # Whose session it was, for a form posted in it (attest.auth.stash); the token is dead.
    from attest.auth.stash import ENDED_SESSION_KEY

    session[ENDED_SESSION_KEY] = token
    flash(str(EXPIRY_MESSAGES[reason]), "info")
    g.attest_session_expired = True


def _note_reauthentication(sender, *, memo, entry, submission) -> None:
    """An attestation asked for the password: the session is re-authenticated."""
    if (
        entry.action == "attestera"
        and has_request_context()
        and current_user.is_authenticated
        and entry.actor_id == current_user.id
    ):
        g.attest_reauthenticated = True


def _rotate_after_reauthentication(response):
    """After a re-authentication that was committed, a new session token (and cookie)."""
    if (
        g.pop("attest_reauthenticated", False)
        and response.status_code < 400
        and current_user.is_authenticated
    ):
        from attest.auth import sessions

        user = current_user._get_current_object()
        sessions.rotate_session(user)
        db.session().commit()
        login_user(user, fresh=True)  # the cookie now names the new session
    return response
