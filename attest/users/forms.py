"""The person's own forms: choose a password with an enrolment link, change it."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from attest.i18n import _l
from attest.users.passwords import MAX_LENGTH

SAME_TWICE = _l("Skriv samma nya lösenord två gånger.")
NEW_PASSWORD_HINT = _l(
    "Minst 12 tecken. Till exempel tre eller fyra ord som inte hör ihop. Inte ditt namn och "
    "inte ett vanligt lösenord. Lösenordet låser också upp din signeringsnyckel."
)


def _new_password(label: str = _l("Nytt lösenord")) -> PasswordField:
    return PasswordField(
        label,
        validators=[DataRequired(_l("Välj ett lösenord.")), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "new-password"},
        description=NEW_PASSWORD_HINT,
    )


def _again() -> PasswordField:
    return PasswordField(
        _l("Nytt lösenord igen"),
        validators=[DataRequired(SAME_TWICE), EqualTo("new_password", SAME_TWICE)],
        render_kw={"autocomplete": "new-password"},
    )


class EnrolForm(FlaskForm):
    new_password = _new_password(_l("Välj lösenord"))
    new_password_again = _again()
    submit = SubmitField(_l("Aktivera kontot"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Nuvarande lösenord"),
        validators=[DataRequired(_l("Ange ditt nuvarande lösenord.")), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = _new_password()
    new_password_again = _again()
    submit = SubmitField(_l("Byt lösenord"))
