"""The person's own pages: the enrolment link (/aktivera/<token>) and "Byt lösenord"."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from attest import audit, db
from attest.auth import ratelimit
from attest.errors import AttestError, Invalid
from attest.i18n import _l
from attest.users.forms import ChangePasswordForm, EnrolForm
from attest.users.operations import (
    LinkGone,
    WrongCurrentPassword,
    change_own_password,
    enrol,
    find_enrolment,
    must_choose_own_password,
)
from attest.web import ERROR_TITLES

bp = Blueprint("users", __name__)

ENROLMENT_REFUSED = "user:enrolment:refused"
ENROLLED = _l("Ditt konto är aktiverat. Logga in med ditt nya lösenord.")
PASSWORD_CHANGED = _l("Ditt lösenord är bytt. Dina andra inloggningar är avslutade.")


def _throttled_page(template: str, throttle: ratelimit.Throttle, **context):
    page = render_template(template, error=throttle.message, **context)
    return page, 429, {"Retry-After": str(throttle.seconds)}


@bp.route("/aktivera/<token>", methods=["GET", "POST"])
def enrolment(token: str):
    """Choose a password with a one-time link; the signing key is made under it."""
    reservation = ratelimit.reserve_enrolment()  # each link tried counts, per address
    if isinstance(reservation, ratelimit.Throttle):
        audit.record(ENROLMENT_REFUSED, data={"reason": "throttled"})
        db.session().commit()
        page = render_template(
            "errors/error.html", status=429, title=ERROR_TITLES[429], message=reservation.message
        )
        return page, 429, {"Retry-After": str(reservation.seconds)}
    try:
        found = find_enrolment(token)
    except AttestError as exc:
        db.session().rollback()
        reason = "gone" if isinstance(exc, LinkGone) else "unknown"
        audit.record(ENROLMENT_REFUSED, data={"reason": reason})
        db.session().commit()
        page = render_template(
            "errors/error.html",
            status=exc.status,
            title=_l("Länken kan inte användas"),
            message=exc.message,
        )
        return page, exc.status
    ratelimit.release(reservation)  # a good link is no failure
    db.session().commit()
    person = found.user
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            enrol(token, form.new_password.data or "")
            db.session().commit()
        except Invalid as exc:
            db.session().rollback()
            form.new_password.errors = [exc.message]
        else:
            flash(str(ENROLLED), "success")
            return redirect(url_for("auth.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("users/enrol.html", form=form, person=person), status


@bp.route("/konto/losenord", methods=["GET", "POST"])
@login_required
def change_password():
    """ "Byt lösenord": the current password, the new one twice."""
    form = ChangePasswordForm()
    must_choose = must_choose_own_password(current_user)
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("users/password.html", form=form, must_choose=must_choose), status
    user = current_user._get_current_object()
    reservation = ratelimit.reserve_password_check(user)  # the current password is a guess
    if isinstance(reservation, ratelimit.Throttle):
        ratelimit.record_refused_login(user.username)
        db.session().commit()
        return _throttled_page(
            "users/password.html", reservation, form=form, must_choose=must_choose
        )
    try:
        change_own_password(
            user,
            form.current_password.data or "",
            form.new_password.data or "",
            keep_session=user.get_id(),
        )
        ratelimit.release(reservation)
        db.session().commit()
    except WrongCurrentPassword as exc:
        db.session().rollback()
        audit.record(ratelimit.LOGIN_FAILED, data=ratelimit.login_data(user.username))
        db.session().commit()
        form.current_password.errors = [exc.message]
        throttle = reservation.throttle_after_failure()
        if throttle is not None:
            return _throttled_page(
                "users/password.html", throttle, form=form, must_choose=must_choose
            )
        return render_template("users/password.html", form=form, must_choose=must_choose), 400
    except Invalid as exc:
        db.session().rollback()
        ratelimit.release(reservation)
        db.session().commit()
        form.new_password.errors = [exc.message]
        return render_template("users/password.html", form=form, must_choose=must_choose), 400
    flash(str(PASSWORD_CHANGED), "success")
    return redirect(url_for("start.index"))
