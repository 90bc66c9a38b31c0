from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField(
        "Användarnamn",
        validators=[DataRequired("Ange ditt användarnamn."), Length(max=80)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        "Lösenord",
        validators=[DataRequired("Ange ditt lösenord."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Logga in")


class LogoutForm(FlaskForm):
    submit = SubmitField("Logga ut")
