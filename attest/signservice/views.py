"""The signature service's pages: the SignRequest posted on, the SignResponse received."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from attest import db
from attest.errors import AttestError
from attest.i18n import _l, swedish
from attest.signservice import operations
from attest.signservice.protocol import MAX_RESPONSE_BYTES, ResponseRefused
from attest.web import ERROR_TITLES

bp = Blueprint("signservice", __name__)


def begin_page(memo, form):
    """ "Attestera" for a person who signs through the service: the page that posts the
    signed SignRequest to it (a script submits it; "Fortsätt" does without one)."""
    post = operations.begin(memo, current_user, expected_lock_version=form.expected_lock_version())
    db.session().commit()
    return render_template("signservice/post.html", memo=memo, post=post)


@bp.route("/underskrift/svar", methods=["POST"])
def response():
    """The service's SignResponse (ELN-0609 POST binding), often without our session cookie
    (a cross-site POST): checked, kept, and the browser sent on to complete it."""
    encoded = request.form.get("EidSignResponse", "")
    relay_state = request.form.get("RelayState", "")
    try:
        if len(encoded) > 2 * MAX_RESPONSE_BYTES:
            operations.refuse(_l("Svaret från underskriftstjänsten är för stort."))
        if request.form.get("Binding", "") != "POST/XML/1.0" or not encoded:
            operations.refuse(_l("Svaret från underskriftstjänsten saknar ett SignResponse."))
        kept = operations.receive(encoded, relay_state)
    except ResponseRefused as exc:
        return _refused(exc)
    db.session().commit()
    return redirect(url_for("signservice.finish", request_id=kept.request_id), code=303)


@bp.route("/underskrift/<request_id>")
@login_required
def finish(request_id: str):
    """The attester, back from the service: a page that posts on (a script submits it;
    "Slutför attesteringen" does without one). A GET changes nothing; the POST, with the
    attester's own session and CSRF token, attests."""
    if not operations.is_known(request_id):
        abort(404)
    return render_template("signservice/finish.html", request_id=request_id)


@bp.route("/underskrift/<request_id>", methods=["POST"])
@login_required
def complete(request_id: str):
    """Their attestation made with the service's signature."""
    try:
        memo = operations.complete(request_id, current_user)
    except ResponseRefused as exc:
        return _refused(exc)
    except AttestError as exc:  # the workflow refused (the step moved on, ...)
        refusal = ResponseRefused(swedish(exc.message))  # kept in the audit log
        refusal.request_id = request_id
        return _refused(refusal, exc.status)
    db.session().commit()
    flash(_("Du har attesterat tjänsteutlåtandet."), "success")
    return redirect(url_for("memos.show", memo_id=memo.id))


def _refused(exc: ResponseRefused, status: int = 400):
    """Nothing signed; the refusal is on the record; the person reads why."""
    db.session().rollback()
    operations.record_refusal(exc)
    db.session().commit()
    page = render_template(
        "errors/error.html",
        status=status,
        title=ERROR_TITLES.get(status, ERROR_TITLES[400]),
        message=_("Inget har signerats. %(reason)s", reason=exc.reason),
    )
    return page, status


def init_app(app) -> None:
    from flask_wtf.csrf import CSRFProtect

    from attest.security import CONTENT_SECURITY_POLICY

    csrf: CSRFProtect = app.extensions["csrf"]
    csrf.exempt(response)  # posted by the service's page; its XML signature authenticates it
    app.register_blueprint(bp)
    url = app.config.get("SIGNSERVICE_URL")
    if url:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        app.extensions["attest.csp"] = CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'", f"form-action 'self' {parts.scheme}://{parts.netloc}"
        )


__all__ = ["begin_page", "bp", "init_app"]
