"""The administrator's page for the organisation's settings: the PDF's letterhead and
footer, the public address in its verification link, and who numbers the memos. Thin:
the verb is attest.orgs.operations.update_settings."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from attest import db
from attest.errors import AttestError
from attest.i18n import _l
from attest.orgs.models import DNR_ATTEST, DNR_DIARIUM
from attest.orgs.operations import Settings, update_settings
from attest.users import roles

bp = Blueprint("org_settings", __name__, url_prefix="/admin/organisation")

DNR_SOURCES = [
    (DNR_ATTEST, _l("attest numrerar tjänsteutlåtandena (kod år/löpnummer)")),
    (DNR_DIARIUM, _l("Diariet numrerar: handläggaren skriver in diariets Dnr")),
]
_LONG = Length(max=200, message=_l("Högst 200 tecken."))


class SettingsForm(FlaskForm):
    name = StringField(
        _l("Förvaltningens namn"), validators=[DataRequired(_l("Ange ett namn.")), _LONG]
    )
    short_name = StringField(_l("Kort namn"), validators=[_LONG])
    board = StringField(_l("Nämnd"), validators=[DataRequired(_l("Ange nämnden.")), _LONG])
    letterhead = TextAreaField(_l("Rader i brevhuvudet"), validators=[Length(max=1000)])
    postal_address = TextAreaField(_l("Postadress"), validators=[Length(max=1000)])
    switchboard = StringField(_l("Växel"), validators=[Length(max=40)])
    website = StringField(_l("Webbplats"), validators=[_LONG])
    public_base_url = StringField(_l("Publik adress för verifiering"), validators=[_LONG])
    dnr_source = RadioField(_l("Diarienummer"), validate_choice=False)  # DNR_SOURCES

    def settings(self) -> Settings:
        return Settings(**{name: self[name].data or "" for name in Settings.__dataclass_fields__})


def _require_administrator() -> None:
    if not current_user.has_role(roles.ADMINISTRATOR):
        abort(403)


def _page(form: SettingsForm, *, status: int = 200, errors=()):
    form.dnr_source.choices = DNR_SOURCES
    organisation = current_user.organisation
    base = organisation.public_base_url or current_app.config["BASE_URL"]
    page = render_template(
        "orgs/settings.html",
        organisation=organisation,
        form=form,
        example_link=f"{base.rstrip('/')}/v/ABCD234567",
        errors=list(errors),
    )
    return page, status


@bp.route("/")
@login_required
def index():
    _require_administrator()
    organisation = current_user.organisation
    form = SettingsForm(formdata=None, data=vars(Settings.of(organisation)))
    return _page(form)


@bp.route("/spara", methods=["POST"])
@login_required
def save():
    _require_administrator()
    form = SettingsForm()
    if not form.validate_on_submit():
        errors = [(form[name].id, m) for name, messages in form.errors.items() for m in messages]
        return _page(form, status=400, errors=errors)
    try:
        changed = update_settings(current_user.organisation, form.settings(), actor=current_user)
        db.session().commit()
    except AttestError as exc:
        db.session().rollback()
        return _page(form, status=exc.status, errors=[(None, exc.message)])
    if changed:
        flash(
            _(
                "Inställningarna är sparade. De gäller förhandsgranskningar och "
                "tjänsteutlåtanden som skickas från och med nu."
            ),
            "success",
        )
    else:
        flash(_("Inget var ändrat."), "success")
    return redirect(url_for(".index"))
