from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from attest.i18n import _l


class LoginForm(FlaskForm):
    username = StringField(
        _l("Användarnamn"),
        validators=[DataRequired(_l("Ange ditt användarnamn.")), Length(max=80)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        _l("Lösenord"),
        validators=[DataRequired(_l("Ange ditt lösenord.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Logga in"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Logga ut"))
