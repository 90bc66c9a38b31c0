from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_login.utils import login_url

from attest import audit, db, security
from attest.auth import ratelimit, sessions
from attest.auth.forms import LoginForm, LogoutForm
from attest.i18n import _l
from attest.users.models import User
from attest.users.operations import authenticate

bp = Blueprint("auth", __name__, url_prefix="/auth")

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Logga in för att fortsätta.")
login_manager.login_message_category = "info"
login_manager.session_protection = None  # the server-side session is the protection


@login_manager.user_loader
def _load_user(token: str) -> User | None:
    return sessions.load_session_user(token)


@login_manager.unauthorized_handler
def _login_required():
    """To the login page, and back here afterwards (a GET); it says why if a session ended."""
    if not security.session_just_expired():  # that message is flashed already
        flash(str(login_manager.login_message), login_manager.login_message_category)
    back = request.url if request.method in ("GET", "HEAD") else None
    return redirect(login_url("auth.login", next_url=back))


LOGIN_FAILED = _l("Fel användarnamn eller lösenord.")
LOCAL_LOGIN_OFF = _l("Logga in med knappen nedan.")


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
    if not current_app.config["LOCAL_LOGIN"]:  # only the identity provider's button
        if request.method == "POST":
            return _login_page(form, error=LOCAL_LOGIN_OFF), 403
        return _login_page(form)
    if form.validate_on_submit():
        username = form.username.data or ""
        reservation = ratelimit.reserve_login(username)  # counted before the password is tried
        if isinstance(reservation, ratelimit.Throttle):
            ratelimit.record_refused_login(username)
            db.session().commit()
            return _throttled(form, reservation)
        user = authenticate(username, form.password.data or "")
        if user is None:
            audit.record(ratelimit.LOGIN_FAILED, data=ratelimit.login_data(username))
            db.session().commit()
            throttle = reservation.throttle_after_failure()
            if throttle is not None:  # that was the last try for now: say so at once
                return _throttled(form, throttle, f"{LOGIN_FAILED} ")
            return _login_page(form, error=LOGIN_FAILED)
        ratelimit.release(reservation)
        next_url = _safe_next(request.args.get("next"))
        from attest.attestation.personal import ensure_key

        ensure_key(user, form.password.data or "")  # created before the organisation had keys
        session.clear()  # nothing from before the login survives it
        sessions.start_session(user)
        login_user(user)
        audit.record("user:login", actor=user, organisation=user.organisation)
        db.session().commit()
        response = redirect(next_url)
        ratelimit.remember_device(response, user)
        return response
    return _login_page(form)


def _login_page(form: LoginForm, error: str | None = None) -> str:
    """The local form (unless LOCAL_LOGIN is off) and a button per identity provider."""
    from attest.sso.views import provider_buttons

    return render_template(
        "auth/login.html",
        form=form,
        error=error,
        local=current_app.config["LOCAL_LOGIN"],
        providers=provider_buttons(),
        next_url=request.args.get("next"),
    )


def _throttled(form: LoginForm, throttle: ratelimit.Throttle, before: str = ""):
    """The login form again, with how long to wait (429)."""
    page = _login_page(form, error=before + throttle.message)
    return page, 429, {"Retry-After": str(throttle.seconds)}


@bp.route("/logout", methods=["POST"])
def logout():
    form = LogoutForm()
    provider_logout = None
    if form.validate_on_submit() and current_user.is_authenticated:
        audit.record("user:logout", actor=current_user, organisation=current_user.organisation)
        sessions.end_session(current_user.get_id())
        db.session().commit()
        from attest.sso.views import LOGOUT_URL

        provider_logout = session.get(LOGOUT_URL)
        logout_user()
        session.clear()
    if provider_logout:  # signed in through a provider that has a logout: offer it
        return render_template("sso/logged_out.html", provider_logout=provider_logout)
    flash(str(_l("Du är utloggad.")), "info")
    return redirect(url_for("auth.login"))


@bp.route("/session")
@login_required
def keep_alive():
    """ "Fortsätt vara inloggad": the session's idle time starts again; how long it now lives.

    A GET like any page's (the before_request hook has checked the session); it changes only
    the session's own last-seen time, as every request does.
    """
    row = sessions.find(current_user.get_id())
    assert row is not None  # a logged-in person's session exists
    security.touch(row)
    db.session().commit()
    return jsonify(seconds_left=security.seconds_left(row))


@bp.app_context_processor
def _session_globals():
    """How long the page's session lives on without a request: the idle warning's clock."""
    if not current_user.is_authenticated:
        return {}
    row = sessions.find(current_user.get_id())
    return {"session_seconds_left": security.seconds_left(row) if row is not None else 0}
