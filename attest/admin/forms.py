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

from attest.i18n import N_


class Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class PersonForm(FlaskForm):
    """A person's details and roles; the username only when the person is created."""

    full_name = StringField(
        N_("Namn"), validators=[DataRequired(N_("Ange personens namn.")), Length(max=200)]
    )
    username = StringField(
        N_("Användarnamn"),
        validators=[DataRequired(N_("Ange ett användarnamn.")), Length(max=80)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    title = StringField(N_("Titel"), validators=[Length(max=200)])
    department = StringField(N_("Avdelning"), validators=[Length(max=200)])
    phone = StringField(N_("Telefon"), validators=[Length(max=40)])
    email = StringField(
        N_("E-post"),
        validators=[
            Optional(),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=N_("Ange en giltig e-postadress.")),
            Length(max=254),
        ],
        render_kw={"type": "email", "autocomplete": "off"},
    )
    # What the organisation's identity provider knows the person by (attest.sso): a first
    # sign-in through it finds the person by this number (or by the e-mail address).
    employee_number = StringField(
        N_("Anställningsnummer"),
        validators=[Length(max=64)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    roles = Checkboxes(N_("Roller"), validators=[DataRequired(N_("Välj minst en roll."))])
    submit = SubmitField(N_("Spara"))


class RoleForm(FlaskForm):
    code = StringField(
        N_("Kod"),
        validators=[DataRequired(N_("Ange en kod, till exempel ekonomichef.")), Length(max=40)],
        render_kw={"spellcheck": "false"},
    )
    title = StringField(
        N_("Titel"),
        validators=[DataRequired(N_("Ange titeln som visas.")), Length(max=100)],
    )
    submit = SubmitField(N_("Lägg till roll"))


class RenameRoleForm(FlaskForm):
    title = StringField(
        N_("Ny titel"), validators=[DataRequired(N_("Ange titeln som visas.")), Length(max=100)]
    )


class SubstituteForm(FlaskForm):
    substitute = SelectField(
        N_("Person som är t.f."), coerce=int, validators=[DataRequired(N_("Välj en person."))]
    )
    role = SelectField(N_("Roll"), validators=[DataRequired(N_("Välj en roll."))])
    for_user = SelectField(N_("För"), coerce=int)
    starts_on = DateField(N_("Från och med"), validators=[DataRequired(N_("Ange ett datum."))])
    ends_on = DateField(N_("Till och med"), validators=[DataRequired(N_("Ange ett datum."))])
    submit = SubmitField(N_("Registrera t.f."))


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
