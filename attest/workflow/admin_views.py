"""The administrator's pages for memo types: each type's title, the sections it requires
before sending, and its route. Thin: the verbs are attest.workflow.memo_types'."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import FieldList, SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length

from attest import db
from attest.errors import AttestError
from attest.i18n import _l
from attest.memos.models import MemoType
from attest.memos.types import DEFAULT_REQUIRED, REQUIRABLE
from attest.users import roles
from attest.workflow import memo_types as operations
from attest.workflow.routes import route_roles

bp = Blueprint("memo_types", __name__, url_prefix="/admin/memotyper")


class _Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class MemoTypeForm(FlaskForm):
    title = StringField(
        _l("Namn"),
        validators=[
            DataRequired(_l("Ange typens namn.")),
            Length(max=operations.MAX_TITLE_LENGTH),
        ],
    )
    required = _Checkboxes(_l("Måste fyllas i innan tjänsteutlåtandet skickas"))
    # The route, first attester first; an empty choice leaves the step out.
    steps = FieldList(
        SelectField(_l("Steg"), validate_choice=False),
        min_entries=operations.MAX_STEPS,
        max_entries=operations.MAX_STEPS,
    )


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


def _require_administrator() -> None:
    if not current_user.has_role(roles.ADMINISTRATOR):
        abort(403)


def _form(memo_type: MemoType | None = None, *, empty: bool = False) -> MemoTypeForm:
    """The form as posted, or (``empty``) filled in from the type or with the defaults."""
    if empty:
        data: dict[str, object]
        if memo_type is None:
            data = {"required": list(DEFAULT_REQUIRED), "steps": []}
        else:
            route = route_roles(memo_type.organisation_id, memo_type.code)
            data = {
                "title": memo_type.title,
                "required": list(memo_type.required_fields),
                "steps": [r.code for r in route],
            }
        form = MemoTypeForm(formdata=None, data=data)
    else:
        form = MemoTypeForm()
    form.required.choices = [(name, _l(label)) for name, label in REQUIRABLE.items()]
    choices = [("", _("Inget steg"))] + [
        (r.code, r.shown_title) for r in operations.attesting_roles(current_user.organisation)
    ]
    while len(form.steps.entries) < operations.MAX_STEPS:
        form.steps.append_entry()
    for entry in form.steps:
        entry.choices = choices
    return form


def _index_page(form: MemoTypeForm, *, status: int = 200, errors=()):
    page = render_template(
        "workflow/memo_types.html",
        types=operations.list_memo_types(current_user.organisation),
        form=form,
        action_form=ActionForm(),
        errors=list(errors),
    )
    return page, status


def _edit_page(memo_type: MemoType, form: MemoTypeForm, *, status: int = 200, errors=()):
    page = render_template(
        "workflow/memo_type.html", memo_type=memo_type, form=form, errors=list(errors)
    )
    return page, status


@bp.route("/")
@login_required
def index():
    _require_administrator()
    return _index_page(_form(empty=True))


@bp.route("/ny", methods=["POST"])
@login_required
def create():
    _require_administrator()
    form = _form()
    if not form.validate_on_submit():
        return _index_page(form, status=400, errors=_errors(form))
    try:
        made = operations.save_memo_type(
            current_user.organisation,
            actor=current_user,
            title=form.title.data or "",
            required=form.required.data or [],
            route=[entry.data or "" for entry in form.steps],
        )
        db.session().commit()
    except AttestError as exc:
        db.session().rollback()
        return _index_page(form, status=exc.status, errors=[(None, exc.message)])
    flash(_("Typen %(title)s är skapad.", title=made.title), "success")
    return redirect(url_for(".index"))


@bp.route("/<int:type_id>")
@login_required
def edit(type_id: int):
    _require_administrator()
    memo_type = operations.get_memo_type(current_user.organisation, type_id)
    return _edit_page(memo_type, _form(memo_type, empty=True))


@bp.route("/<int:type_id>/spara", methods=["POST"])
@login_required
def save(type_id: int):
    _require_administrator()
    memo_type = operations.get_memo_type(current_user.organisation, type_id)
    form = _form(memo_type)
    if not form.validate_on_submit():
        return _edit_page(memo_type, form, status=400, errors=_errors(form))
    try:
        operations.save_memo_type(
            current_user.organisation,
            actor=current_user,
            title=form.title.data or "",
            required=form.required.data or [],
            route=[entry.data or "" for entry in form.steps],
            memo_type=memo_type,
        )
        db.session().commit()
    except AttestError as exc:
        db.session().rollback()
        memo_type = operations.get_memo_type(current_user.organisation, type_id)
        return _edit_page(memo_type, form, status=exc.status, errors=[(None, exc.message)])
    flash(
        _(
            "Typen %(title)s är sparad. Tjänsteutlåtanden som redan är skickade behåller "
            "sin attestordning.",
            title=memo_type.title,
        ),
        "success",
    )
    return redirect(url_for(".index"))


@bp.route("/<int:type_id>/avveckla", methods=["POST"])
@login_required
def retire(type_id: int):
    _require_administrator()
    memo_type = operations.get_memo_type(current_user.organisation, type_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        operations.retire_memo_type(current_user.organisation, memo_type, actor=current_user)
        db.session().commit()
    except AttestError as exc:
        db.session().rollback()
        return _index_page(_form(empty=True), status=exc.status, errors=[(None, exc.message)])
    flash(
        _("Typen %(title)s erbjuds inte längre för nya ärenden.", title=memo_type.title), "success"
    )
    return redirect(url_for(".index"))


@bp.route("/<int:type_id>/ateruppta", methods=["POST"])
@login_required
def reinstate(type_id: int):
    _require_administrator()
    memo_type = operations.get_memo_type(current_user.organisation, type_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    operations.reinstate_memo_type(current_user.organisation, memo_type, actor=current_user)
    db.session().commit()
    flash(_("Typen %(title)s erbjuds igen för nya ärenden.", title=memo_type.title), "success")
    return redirect(url_for(".index"))


def _errors(form: FlaskForm) -> list[tuple[str | None, str]]:
    found: list[tuple[str | None, str]] = []
    for field in form:
        for message in field.errors if isinstance(field.errors, list) else []:
            if not isinstance(message, (list, dict)):  # a text, not a sub-form's errors
                found.append((field.id, message))
    return found
