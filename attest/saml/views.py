"""SAML endpoints: the SP's metadata, login and step-up (HTTP-Redirect), the ACS (HTTP-POST).

The IdP's answer arrives by a cross-site POST, on which the browser may not send attest's
session cookie (SameSite=Lax): the ACS only verifies it and records it on its request, then
sends the browser on (303) to a GET of ours, where the cookie is back and must name that
same request. So an answer is only ever taken by the browser that asked for it.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from attest import db
from attest.auth.views import _safe_next
from attest.i18n import _l
from attest.saml import provider
from attest.sso import identity
from attest.sso import views as sso_views
from attest.sso.identity import PROTOCOL_REFUSED, Authentication

bp = Blueprint("saml", __name__, url_prefix="/saml")  # the stable URLs the IdP knows

SESSION_KEY = "saml_request"

# Why an answer was refused -> what the person reads (the audit log keeps the reason).
REFUSAL_MESSAGES = {
    "unsolicited": _l(
        "Svaret från inloggningstjänsten hör inte till någon pågående inloggning "
        "härifrån (eller har redan använts). Börja om inloggningen."
    ),
    "replay": _l("Svaret från inloggningstjänsten har redan använts. Börja om inloggningen."),
    "expired": _l("Svaret från inloggningstjänsten är för gammalt. Börja om inloggningen."),
}


def init_app(app) -> None:
    from flask_wtf.csrf import CSRFProtect

    csrf: CSRFProtect = app.extensions["csrf"]
    # The IdP posts the response from its own site: no CSRF token can be in it. The ACS
    # only records a verified answer; the browser that asked collects it with its cookie.
    csrf.exempt(acs)
    app.register_blueprint(bp)
    sso_views.STEP_UP_STARTERS["saml"] = start_step_up


def _require_enabled() -> None:
    if not provider.enabled():
        abort(404)


@bp.route("/metadata")
def metadata():
    _require_enabled()
    return Response(provider.metadata_xml(), mimetype="application/samlmetadata+xml")


# On the common layer's blueprint, as its login page expects (endpoint sso.saml_login).
@sso_views.bp.route("/saml/login", endpoint="saml_login")
def login():
    """To the IdP with a signed AuthnRequest (a GET: the CSP's form-action stays 'self')."""
    _require_enabled()
    session[sso_views.NEXT] = _safe_next(request.args.get("next"))
    return _to_idp(user_id=None, force=False)


def start_step_up(token: str) -> BaseResponse:
    """The common layer's step-up (its token is in the session): to the IdP for a fresh
    authentication, with ForceAuthn and the configured context."""
    _require_enabled()
    return _to_idp(user_id=current_user.id, force=True)


def _to_idp(*, user_id: int | None, force: bool) -> BaseResponse:
    provider.prune()
    request_id, location = provider.start(user_id=user_id, force=force)
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
        message = REFUSAL_MESSAGES.get(exc.reason, PROTOCOL_REFUSED)
        raise identity.refuse(f"saml_{exc.reason}", message, data=_data()) from None
    db.session().commit()
    return redirect(url_for("saml.collect", request_id=answer.request_id), code=303)


@bp.route("/fortsatt/<request_id>")
def collect(request_id: str):
    """The browser that sent the request takes its verified answer, once."""
    _require_enabled()
    if session.pop(SESSION_KEY, None) != request_id:
        raise identity.refuse("saml_other_browser", REFUSAL_MESSAGES["unsolicited"], data=_data())
    taken = provider.collect(request_id)
    db.session().commit()  # taken (deleted) whatever follows
    if taken is None:
        raise identity.refuse("saml_unsolicited", REFUSAL_MESSAGES["unsolicited"], data=_data())
    row, answer = taken
    auth = Authentication(
        provider=provider.provider_name(),
        subject=answer.subject,
        email=answer.email,
        employee_number=answer.employee_number,
        name=answer.name,
        auth_time=answer.authenticated_at,
        context=answer.context or None,
    )
    if row.user_id is None:
        return sso_views.finish_sign_in(auth)
    if not current_user.is_authenticated or current_user.id != row.user_id:
        raise identity.refuse("saml_other_person", REFUSAL_MESSAGES["unsolicited"], data=_data())
    return sso_views.finish_step_up(auth)


def _data() -> dict[str, str]:
    return {"provider": provider.provider_name()}
