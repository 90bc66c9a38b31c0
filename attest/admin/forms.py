"""The administrator's forms. Labels and messages are Swedish source strings (N_), shown
through the catalogue by the templates."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from attest.i18n import _l


class Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class PersonForm(FlaskForm):
    """A person's details and roles; the username only when the person is created."""

    full_name = StringField(
        _l("Namn"), validators=[DataRequired(_l("Ange personens namn.")), Length(max=200)]
    )
    username = StringField(
        _l("Användarnamn"),
        validators=[DataRequired(_l("Ange ett användarnamn.")), Length(max=80)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    title = StringField(_l("Titel"), validators=[Length(max=200)])
    department = StringField(_l("Avdelning"), validators=[Length(max=200)])
    phone = StringField(_l("Telefon"), validators=[Length(max=40)])
    email = StringField(
        _l("E-post"),
        validators=[
            Optional(),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Ange en giltig e-postadress.")),
            Length(max=254),
        ],
        render_kw={"type": "email", "autocomplete": "off"},
    )
    # What the organisation's identity provider knows the person by (attest.sso): a first
    # sign-in through it finds the person by this number (or by the e-mail address).
    employee_number = StringField(
        _l("Anställningsnummer"),
        validators=[Length(max=64)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    roles = Checkboxes(_l("Roller"), validators=[DataRequired(_l("Välj minst en roll."))])
    submit = SubmitField(_l("Spara"))


class RoleForm(FlaskForm):
    code = StringField(
        _l("Kod"),
        validators=[DataRequired(_l("Ange en kod, till exempel ekonomichef.")), Length(max=40)],
        render_kw={"spellcheck": "false"},
    )
    title = StringField(
        _l("Titel"),
        validators=[DataRequired(_l("Ange titeln som visas.")), Length(max=100)],
    )
    submit = SubmitField(_l("Lägg till roll"))


class RenameRoleForm(FlaskForm):
    title = StringField(
        _l("Ny titel"), validators=[DataRequired(_l("Ange titeln som visas.")), Length(max=100)]
    )


class SubstituteForm(FlaskForm):
    substitute = SelectField(
        _l("Person som är t.f."), coerce=int, validators=[DataRequired(_l("Välj en person."))]
    )
    role = SelectField(_l("Roll"), validators=[DataRequired(_l("Välj en roll."))])
    for_user = SelectField(_l("För"), coerce=int)
    starts_on = DateField(_l("Från och med"), validators=[DataRequired(_l("Ange ett datum."))])
    ends_on = DateField(_l("Till och med"), validators=[DataRequired(_l("Ange ett datum."))])
    submit = SubmitField(_l("Registrera t.f."))


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
