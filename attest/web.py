"""Cross-cutting web concerns: error pages, the session cookie (headers: attest.security)."""

from __future__ import annotations

import contextlib
import logging
from typing import Any, Callable

from flask import Flask, current_app, g, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from attest import audit, db
from attest.errors import AttestError
from attest.i18n import _l

log = logging.getLogger(__name__)

ERROR_TITLES = {
    400: _l("Felaktig begäran"),
    401: _l("Inloggning krävs"),
    403: _l("Åtkomst nekad"),
    404: _l("Sidan finns inte"),
    405: _l("Metoden är inte tillåten"),
    409: _l("Konflikt"),
    413: _l("Filen är för stor"),
    422: _l("Felaktiga uppgifter"),
    429: _l("För många försök"),
    500: _l("Internt fel"),
    503: _l("Tillfälligt otillgänglig"),
    507: _l("Lagringen är full"),
}

ERROR_MESSAGES = {
    400: _l("Begäran kunde inte behandlas."),
    403: _l("Du har inte behörighet till den här sidan."),
    404: _l("Sidan du söker finns inte, eller så har du inte tillgång till den."),
    405: _l("Den här adressen tar inte emot den sortens begäran."),
    413: _l("Det du skickade är större än vad som tillåts."),
    500: _l("Något gick fel hos oss. Försök igen om en stund."),
    503: _l("Databasen går inte att nå just nu. Vänta en stund och försök igen."),
}

CSRF_MESSAGE = _l(
    "Formuläret kunde inte skickas eftersom säkerhetstoken saknas eller är ogiltig. "
    "Ladda om sidan och försök igen."
)


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure when configured so or when the request came over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


REFUSED_ACCESS = "access:refused"
REFUSALS = (403, 404)


def record_refused_access(status: int) -> None:
    """A logged-in person refused an object or page (403, 404): who, what, from where.

    An address that is no page of ours (no route) is nobody's object and not recorded;
    neither is a visitor who is not logged in (sent to the login page instead).
    """
    from flask_login import current_user

    if status not in REFUSALS or request.url_rule is None or not current_user.is_authenticated:
        return
    user = current_user._get_current_object()
    data: dict[str, object] = {
        "method": request.method,
        "path": request.path[:500],
        "status": status,
    }
    for name, value in (request.view_args or {}).items():
        data["memo" if name == "memo_id" else name] = value
    try:
        audit.record(REFUSED_ACCESS, actor=user, organisation=user.organisation, data=data)
        db.session().commit()
    except sa_exc.SQLAlchemyError as exc:  # the refusal is answered all the same
        log.warning("refused access not recorded: %s", exc)
        with contextlib.suppress(sa_exc.SQLAlchemyError):
            db.session().rollback()


# A part of the site that answers errors in its own form (the JSON API: problem details)
# registers a renderer for its path prefix; every other path gets the HTML error page.
ErrorRenderer = Callable[[int, "str | None", "dict[str, str] | None", "BaseException | None"], Any]


def register_error_renderer(app: Flask, prefix: str, renderer: ErrorRenderer) -> None:
    app.extensions.setdefault("attest.error_renderers", []).append((prefix, renderer))


def _renderer() -> ErrorRenderer | None:
    for prefix, renderer in current_app.extensions.get("attest.error_renderers", ()):
        if request.path.startswith(prefix):
            return renderer
    return None


def error_response(
    status: int,
    message: str | None = None,
    headers: dict[str, str] | None = None,
    exc: BaseException | None = None,
):
    """The error in the form the path's part of the site answers in."""
    renderer = _renderer()
    if renderer is not None:
        return renderer(status, message, headers, exc)
    page, status = error_page(status, message)
    return page, status, headers or {}


def error_page(status: int, message: str | None = None):
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=ERROR_TITLES.get(status, _l("Fel")),
            message=message or ERROR_MESSAGES.get(status, ""),
        ),
        status,
    )


NUL_MESSAGE = _l(
    "Det du skickade innehåller ett otillåtet tecken (NUL). Ta bort det och försök igen."
)


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()

    @app.before_request
    def _refuse_nul_characters():
        # No text a person types holds a NUL, and PostgreSQL cannot store one: refuse it
        # here, once for every form and query string, instead of failing deep in a save.
        values = list(request.args.values()) + list(request.form.values())
        if any("\x00" in value for value in values):
            return error_response(400, NUL_MESSAGE)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        db.session().rollback()
        return error_response(400, CSRF_MESSAGE)

    @app.errorhandler(AttestError)
    def _domain_error(exc: AttestError):
        db.session().rollback()
        record_refused_access(exc.status)
        return error_response(exc.status, exc.message, getattr(exc, "headers", None), exc)

    @app.errorhandler(sa_exc.OperationalError)  # connection lost or refused (a restart)
    @app.errorhandler(sa_exc.TimeoutError)  # no connection free in the pool
    def _database_unavailable(exc: sa_exc.SQLAlchemyError):
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines() or [repr(exc)]
        log.warning("database unavailable: %s", reason[0])  # an outage, not a bug: no trace
        with contextlib.suppress(sa_exc.SQLAlchemyError):
            db.session().rollback()  # nothing of the request is kept
        # Who is logged in is read from the database: draw the page for nobody in particular.
        g._login_user = app.login_manager.anonymous_user()  # type: ignore[attr-defined]
        return error_response(503, None, {"Retry-After": "5"}, exc)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge):
        # Nothing of the body is read (the page around it reads no form either): the
        # connection is closed after this answer.
        limit = app.config["MAX_CONTENT_LENGTH"] or 0
        message = _l(
            "Det du skickade är större än vad som tillåts: högst %(megabytes)d MB på en gång. "
            "Skicka färre eller mindre bilagor åt gången.",
            megabytes=limit // (1024 * 1024),
        )
        return error_response(413, message, None, exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        if status in REFUSALS:
            db.session().rollback()
            record_refused_access(status)
        return error_response(status, None, None, exc)
