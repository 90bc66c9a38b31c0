"""The administrator's pages for the API: tokens, webhooks, the delivery log and
"Skicka igen". Thin: the verbs are attest.api.tokens' and attest.webhooks.operations'."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, SubmitField, widgets
from wtforms.validators import DataRequired, Length

from attest import db
from attest.api import tokens
from attest.api.models import ApiToken
from attest.errors import AttestError, NotFound
from attest.i18n import _l
from attest.users import roles
from attest.webhooks import operations as webhooks
from attest.webhooks.events import EVENTS

bp = Blueprint("api_admin", __name__, url_prefix="/admin/api")


class _Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class TokenForm(FlaskForm):
    name = StringField(
        _l("Namn"),
        validators=[DataRequired(_l("Ange ett namn.")), Length(max=tokens.MAX_NAME_LENGTH)],
    )
    scopes = _Checkboxes(
        _l("Behörigheter"), validators=[DataRequired(_l("Välj minst en behörighet."))]
    )
    submit = SubmitField(_l("Skapa token"))


class WebhookForm(FlaskForm):
    url = StringField(
        _l("Adress (URL)"), validators=[DataRequired(_l("Ange en adress.")), Length(max=2000)]
    )
    events = _Checkboxes(_l("Händelser"), validators=[DataRequired(_l("Välj minst en händelse."))])
    submit = SubmitField(_l("Lägg till webhook"))


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


def _require_administrator() -> None:
    if not current_user.has_role(roles.ADMINISTRATOR):
        abort(403)


def _forms(empty: bool = False) -> tuple[TokenForm, WebhookForm]:
    """The page's two forms: as posted, or (``empty``, after a success) blank."""
    data = {"formdata": None} if empty else {}
    token_form = TokenForm(prefix="token", **data)
    token_form.scopes.choices = [(name, f"{name}: {text}") for name, text in tokens.SCOPES.items()]
    webhook_form = WebhookForm(prefix="webhook", **data)
    webhook_form.events.choices = [(name, f"{name}: {text}") for name, text in EVENTS.items()]
    return token_form, webhook_form


def _page(token_form, webhook_form, *, status: int = 200, shown=None, errors=()):
    organisation = current_user.organisation
    return (
        render_template(
            "api/admin.html",
            tokens=tokens.list_tokens(organisation),
            endpoints=webhooks.active_endpoints(organisation),
            token_form=token_form,
            webhook_form=webhook_form,
            action_form=ActionForm(),
            shown=shown,
            errors=list(errors),
        ),
        status,
    )


@bp.route("/")
@login_required
def index():
    _require_administrator()
    return _page(*_forms())


@bp.route("/tokens", methods=["POST"])
@login_required
def create_token():
    _require_administrator()
    token_form, webhook_form = _forms()
    if not token_form.validate_on_submit():
        return _page(token_form, webhook_form, status=400, errors=_errors(token_form))
    try:
        created = tokens.create_token(
            current_user.organisation,
            token_form.name.data or "",
            token_form.scopes.data or [],
            actor=current_user,
        )
        db.session().commit()
    except AttestError as exc:
        db.session().rollback()
        return _page(token_form, webhook_form, status=exc.status, errors=[(None, exc.message)])
    # Shown on this page once, never stored where it could be read back (not in a flash).
    shown = ("token", created.token.name, created.secret)
    return _page(*_forms(empty=True), shown=shown)


@bp.route("/tokens/<int:token_id>/aterkalla", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    _require_administrator()
    if not ActionForm().validate_on_submit():
        abort(400)
    token = db.session().get(ApiToken, token_id)
    if token is None or token.organisation_id != current_user.organisation_id:
        raise NotFound(_l("Token finns inte."))
    tokens.revoke_token(current_user.organisation, token.name, actor=current_user)
    db.session().commit()
    flash(_("Token %(name)s är återkallad.", name=token.name), "success")
    return redirect(url_for(".index"))


@bp.route("/webhooks", methods=["POST"])
@login_required
def add_webhook():
    _require_administrator()
    token_form, webhook_form = _forms()
    if not webhook_form.validate_on_submit():
        return _page(token_form, webhook_form, status=400, errors=_errors(webhook_form))
    try:
        added = webhooks.add_endpoint(
            current_user.organisation,
            webhook_form.url.data or "",
            webhook_form.events.data or [],
            actor=current_user,
        )
        db.session().commit()
    except AttestError as exc:
        db.session().rollback()
        return _page(token_form, webhook_form, status=exc.status, errors=[(None, exc.message)])
    return _page(*_forms(empty=True), shown=("webhook", added.endpoint.url, added.secret))


@bp.route("/webhooks/<int:endpoint_id>/ta-bort", methods=["POST"])
@login_required
def remove_webhook(endpoint_id: int):
    _require_administrator()
    if not ActionForm().validate_on_submit():
        abort(400)
    endpoint = webhooks.remove_endpoint(current_user.organisation, endpoint_id, current_user)
    db.session().commit()
    flash(_("Webhooken till %(url)s är borttagen.", url=endpoint.url), "success")
    return redirect(url_for(".index"))


@bp.route("/leveranser")
@login_required
def deliveries():
    """The delivery log: every webhook message, its state, attempts and last answer."""
    _require_administrator()
    page = request.args.get("sida", 1, type=int) or 1
    log = webhooks.delivery_log(current_user.organisation, page)
    return render_template("api/deliveries.html", deliveries=log, action_form=ActionForm())


@bp.route("/leveranser/<int:delivery_id>/skicka-igen", methods=["POST"])
@login_required
def send_again(delivery_id: int):
    """ "Skicka igen": the same message due now; the worker sends it."""
    _require_administrator()
    if not ActionForm().validate_on_submit():
        abort(400)
    delivery = webhooks.send_again(current_user.organisation, delivery_id, current_user)
    db.session().commit()
    flash(_("Leverans %(id)s skickas igen.", id=delivery.id), "success")
    return redirect(url_for(".deliveries"))


def _errors(form: FlaskForm) -> list[tuple[str | None, str]]:
    return [(getattr(form, name).id, m) for name, messages in form.errors.items() for m in messages]
