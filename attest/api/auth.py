"""Who is calling the API: a token in ``Authorization: Bearer``, checked before the
request's body is read, with the scope its route requires; every use is audited."""

from __future__ import annotations

import logging
from typing import Any, Callable, TypeVar

from flask import current_app, g, request
from flask_babel import gettext as _
from sqlalchemy import exc as sa_exc

from attest import db
from attest.api import tokens
from attest.errors import AttestError, Forbidden

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


class Unauthenticated(AttestError):
    status = 401


def requires(scope: str) -> Callable[[F], F]:
    """Marks the scope a route needs; a route without one answers nobody."""
    assert scope in tokens.SCOPES, scope

    def mark(view: F) -> F:
        view._api_scope = scope  # type: ignore[attr-defined]
        return view

    return mark


def authenticate() -> None:
    """Before every API view: the token, then its scope for this route."""
    view = current_app.view_functions.get(request.endpoint or "")
    scope = getattr(view, "_api_scope", None)
    header = request.headers.get("Authorization", "")
    kind, _sep, secret = header.partition(" ")
    if kind.lower() != "bearer" or not secret.strip():
        raise Unauthenticated(_("Ange en giltig API-token: Authorization: Bearer <token>."))
    token = tokens.find(secret.strip())
    if token is None:
        log.warning("API request with an unknown token from %s", request.remote_addr)
        raise Unauthenticated(_("Token är okänd."))
    g.api_token = token
    if token.revoked_at is not None:
        raise Unauthenticated(_("Token är återkallad."))
    if scope is None or scope not in token.scope_set:
        raise Forbidden(_("Token saknar behörigheten %(scope)s.", scope=scope or "?"))


def record_use(response: Any) -> Any:
    """After every API request made with a known token: an audit event (own transaction)."""
    token = g.pop("api_token", None)
    if token is None:
        return response
    try:
        db.session().rollback()  # whatever the view left uncommitted is not ours to keep
        token = db.session().merge(token)
        tokens.record_use(
            token,
            method=request.method,
            path=request.full_path.rstrip("?"),
            status=response.status_code,
        )
        db.session().commit()
    except sa_exc.SQLAlchemyError:
        db.session().rollback()
        log.exception("could not audit an API request")
    return response
