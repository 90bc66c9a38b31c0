"""Sign-in through an identity provider, the step-up before an attestation, the signing PIN.

The protocols (attest.sso.oidc, attest.sso.saml) own their routes' protocol work and call
:func:`finish_sign_in` or :func:`finish_step_up` with the :class:`Authentication` they
checked; a protocol registers how it starts a step-up in :data:`STEP_UP_STARTERS`.
"""

from __future__ import annotations

from typing import Callable

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from attest import db
from attest.auth import sessions
from attest.errors import Invalid
from attest.i18n import LazyText, _l
from attest.memos.operations import get_memo
from attest.sso import identity
from attest.sso.identity import Authentication
from attest.users.models import User
from attest.users.operations import choose_signing_pin, uses_signing_pin

bp = Blueprint("sso", __name__, url_prefix="/sso")

# Session keys (the signed cookie): where to go after sign-in, the step-up under way, the
# step-up completed (its token, for the attest form), the provider's logout.
NEXT, STEP_UP, STEP_UP_DONE, PROVIDER, LOGOUT_URL = (
    "sso_next",
    "sso_step_up",
    "sso_step_up_done",
    "sso_provider",
    "sso_logout_url",
)

# "oidc" -> a function of the step-up's token that sends the person to the provider.
STEP_UP_STARTERS: dict[str, Callable[[str], Response]] = {}


def protocol_of(provider: str) -> str:
    return provider.split(":", 1)[0]


def finish_sign_in(auth: Authentication, *, logout_url: str | None = None) -> Response:
    """Start the attest session of the person the provider authenticated (or refuse)."""
    next_url = session.get(NEXT)
    user = identity.sign_in(auth)  # SsoRefused: the error page, audited
    session.clear()  # nothing from before the login survives it
    sessions.start_session(user)
    login_user(user)
    session[PROVIDER] = auth.provider
    if logout_url:
        session[LOGOUT_URL] = logout_url
    db.session().commit()
    from attest.auth.views import _safe_next

    if needs_signing_pin(user):
        return redirect(url_for("sso.signing_pin"))
    return redirect(_safe_next(next_url))


def needs_signing_pin(user: User) -> bool:
    """A person with an attesting role who has no signing PIN (nor a password of their own)."""
    from attest.attestation.personal import attesting_titles, signing_enabled

    return (
        signing_enabled()
        and not uses_signing_pin(user)
        and not user.own_password
        and bool(attesting_titles(user))
    )


def finish_step_up(auth: Authentication) -> Response:
    """Accept the provider's fresh authentication for the step-up under way, then show the
    attest form (asking for the signing PIN)."""
    if not current_user.is_authenticated:
        abort(401)
    token = session.pop(STEP_UP, "")
    attempt = identity.find_step_up(token, current_user, _token())
    identity.complete_step_up(auth, current_user, attempt)
    db.session().commit()
    session[STEP_UP_DONE] = token
    return redirect(url_for("sso.attest_form", memo_id=attempt.memo_id))


def _token() -> str:
    return current_user.session_token or ""


@bp.route("/steg-upp/<int:memo_id>")
@login_required
def step_up(memo_id: int):
    """ "Attestera" for a person who signs in through a provider: a fresh authentication
    there first. A GET link, since a form POST that redirects to the provider breaks the
    CSP's form-action 'self'."""
    memo = get_memo(memo_id, current_user)
    ticket = identity.begin_step_up(current_user, memo.id, _token())
    starter = STEP_UP_STARTERS.get(protocol_of(ticket.provider))
    if starter is None:
        raise Invalid(_l("Identitetsleverantören du loggade in med är inte längre konfigurerad."))
    db.session().commit()
    session[STEP_UP] = ticket.token
    return starter(ticket.token)


def step_up_token() -> str | None:
    """The completed step-up's token for the attest form (one-time: the attestation uses it)."""
    return session.get(STEP_UP_DONE)


@bp.route("/attestera/<int:memo_id>")
@login_required
def attest_form(memo_id: int):
    """Back from the step-up: the attest form (posting to the workflow) asks for the PIN."""
    from attest.workflow.definition import TRANSITIONS, Action
    from attest.workflow.forms import AttestForm

    memo = get_memo(memo_id, current_user)
    token = step_up_token()
    if not token:
        return redirect(url_for("memos.show", memo_id=memo.id))
    form = AttestForm(formdata=None, data={"lock_version": memo.lock_version, "step_up": token})
    if uses_signing_pin(current_user):
        form.use_signing_pin()
    return render_template(
        "workflow/action.html",
        memo=memo,
        action=Action.ATTESTERA.value,
        title=TRANSITIONS[Action.ATTESTERA].title,
        form=form,
        steps=None,
        message=None,
        fresh=True,
    )


class SigningPinForm(FlaskForm):
    pin = PasswordField(
        _l("Signerings-PIN"),
        validators=[DataRequired(_l("Välj en signerings-PIN.")), Length(max=128)],
        render_kw={"autocomplete": "new-password", "inputmode": "numeric"},
    )
    confirm = PasswordField(
        _l("Upprepa signerings-PIN"),
        validators=[EqualTo("pin", _l("De två PIN-koderna är inte lika."))],
        render_kw={"autocomplete": "new-password", "inputmode": "numeric"},
    )
    submit = SubmitField(_l("Spara signerings-PIN"))


@bp.route("/signerings-pin", methods=["GET", "POST"])
@login_required
def signing_pin():
    """The person chooses the PIN that protects their signing key; nobody else ever knows it."""
    if uses_signing_pin(current_user):
        flash(str(_l("Du har redan en signerings-PIN.")), "info")
        return redirect(url_for("start.index"))
    form = SigningPinForm()
    error = None
    if form.validate_on_submit():
        try:
            choose_signing_pin(current_user, form.pin.data or "")
        except Invalid as exc:
            db.session().rollback()
            error = exc.message
        else:
            db.session().commit()
            flash(
                str(_l("Din signerings-PIN är sparad. Du anger den varje gång du attesterar.")),
                "success",
            )
            return redirect(url_for("start.index"))
    status = 400 if form.is_submitted() else 200
    return render_template("sso/signing_pin.html", form=form, error=error), status


def provider_buttons() -> list[tuple[str, LazyText]]:
    """(url, text) of each configured provider's sign-in button, for the login page."""
    buttons = []
    config = current_app.config
    if config.get("OIDC_ISSUER"):
        buttons.append(
            (url_for("sso.oidc_login"), _l("Logga in med %(name)s", name=config["OIDC_NAME"]))
        )
    if config.get("SAML_IDP_METADATA") and "sso.saml_login" in current_app.view_functions:
        buttons.append(
            (url_for("sso.saml_login"), _l("Logga in med %(name)s", name=config["SAML_NAME"]))
        )
    return buttons
