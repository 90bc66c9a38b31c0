from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user

from attest import audit, db
from attest.auth import sessions
from attest.auth.forms import LoginForm, LogoutForm
from attest.users.models import User
from attest.users.operations import authenticate

bp = Blueprint("auth", __name__, url_prefix="/auth")

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Logga in för att fortsätta."
login_manager.login_message_category = "info"
login_manager.session_protection = None  # the server-side session is the protection


@login_manager.user_loader
def _load_user(token: str) -> User | None:
    return sessions.load_session_user(token)


LOGIN_FAILED = "Fel användarnamn eller lösenord."


def _safe_next(target: str | None) -> str:
    """Only a path on this site; never another host."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("start.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("start.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data or "", form.password.data or "")
        if user is None:
            audit.record("user:login:failed", data={"username": (form.username.data or "")[:80]})
            db.session().commit()
            return render_template("auth/login.html", form=form, error=LOGIN_FAILED)
        next_url = _safe_next(request.args.get("next"))
        from attest.attestation.personal import ensure_key

        ensure_key(user, form.password.data or "")  # created before the organisation had keys
        session.clear()  # nothing from before the login survives it
        sessions.start_session(user)
        login_user(user)
        audit.record("user:login", actor=user, organisation=user.organisation)
        db.session().commit()
        return redirect(next_url)
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    form = LogoutForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        audit.record("user:logout", actor=current_user, organisation=current_user.organisation)
        sessions.end_session(current_user.get_id())
        db.session().commit()
        logout_user()
        session.clear()
    flash("Du är utloggad.", "info")
    return redirect(url_for("auth.login"))
