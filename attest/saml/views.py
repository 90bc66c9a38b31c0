"""SAML endpoints: the SP's metadata, login and step-up (HTTP-Redirect), the ACS (HTTP-POST).

The IdP's answer arrives by a cross-site POST, on which the browser may not send attest's
session cookie (SameSite=Lax): the ACS only verifies it and records it on its request, then
sends the browser on (303) to a GET of ours, where the cookie is back and must name that
same request. So an answer is only ever taken by the browser that asked for it.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from attest import audit, db
from attest.auth.views import _safe_next
from attest.saml import provider
from attest.web import ERROR_TITLES

bp = Blueprint("saml", __name__, url_prefix="/saml")

SESSION_KEY = "saml_request"
REFUSED = "user:saml:refused"

# Why an answer was refused -> what the person reads (the audit log keeps the reason).
REFUSAL_MESSAGES = {
    "unsolicited": "Svaret från inloggningstjänsten hör inte till någon pågående inloggning "
    "härifrån (eller har redan använts). Börja om inloggningen.",
    "replay": "Svaret från inloggningstjänsten har redan använts. Börja om inloggningen.",
    "expired": "Svaret från inloggningstjänsten är för gammalt. Börja om inloggningen.",
}
DEFAULT_REFUSAL = (
    "Inloggningstjänstens svar kunde inte godtas (underskrift, mottagare eller giltighet "
    "stämmer inte). Ingen har loggats in."
)


def init_app(app) -> None:
    from flask_wtf.csrf import CSRFProtect

    csrf: CSRFProtect = app.extensions["csrf"]
    # The IdP posts the response from its own site: no CSRF token can be in it. The ACS
    # only records a verified answer; the browser that asked collects it with its cookie.
    csrf.exempt(acs)
    app.register_blueprint(bp)


def _require_enabled() -> None:
    if not provider.enabled():
        abort(404)


@bp.route("/metadata")
def metadata():
    _require_enabled()
    return Response(provider.metadata_xml(), mimetype="application/samlmetadata+xml")


@bp.route("/login")
def login():
    """To the IdP with a signed AuthnRequest (a GET: the CSP's form-action stays 'self')."""
    _require_enabled()
    return _to_idp(user_id=None, next_url=_safe_next(request.args.get("next")), force=False)


@bp.route("/step-up")
@login_required
def step_up():
    """To the IdP for a fresh authentication (ForceAuthn and the configured context)."""
    _require_enabled()
    return _to_idp(
        user_id=current_user.id, next_url=_safe_next(request.args.get("next")), force=True
    )


def _to_idp(*, user_id: int | None, next_url: str, force: bool):
    provider.prune()
    request_id, location = provider.start(user_id=user_id, next_url=next_url, force=force)
    db.session().commit()
    session[SESSION_KEY] = request_id
    return redirect(location)


@bp.route("/acs", methods=["POST"])
def acs():
    _require_enabled()
    encoded = request.form.get("SAMLResponse", "")
    try:
        answer = provider.verify(encoded)
    except provider.Refused as exc:
        db.session().rollback()
        audit.record(REFUSED, data={"reason": exc.reason})
        db.session().commit()
        return refusal(REFUSAL_MESSAGES.get(exc.reason, DEFAULT_REFUSAL))
    db.session().commit()
    return redirect(url_for("saml.collect", request_id=answer.request_id), code=303)


@bp.route("/fortsatt/<request_id>")
def collect(request_id: str):
    """The browser that sent the request takes its verified answer."""
    _require_enabled()
    if session.get(SESSION_KEY) != request_id:
        audit.record(REFUSED, data={"reason": "other_browser"})
        db.session().commit()
        return refusal(REFUSAL_MESSAGES["unsolicited"])
    taken = provider.collect(request_id)
    session.pop(SESSION_KEY, None)
    if taken is None:
        db.session().commit()
        return refusal(REFUSAL_MESSAGES["unsolicited"])
    row, answer = taken
    return _finish(row, answer)


def _finish(row, answer):
    raise NotImplementedError  # replaced by the common sign-in layer (attest.sso)


def refusal(message: str, status: int = 400):
    page = render_template(
        "errors/error.html",
        status=status,
        title=ERROR_TITLES[status],
        message=message,
        link=(url_for("auth.login"), "Till inloggningen"),
    )
    return page, status
