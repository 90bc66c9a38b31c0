from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request
from flask_login import current_user, login_required

from attest import db, i18n
from attest.orgs.models import Organisation
from attest.users.models import User

bp = Blueprint("start", __name__)


@bp.route("/")
@login_required
def index():
    return render_template("start/index.html")


def get_own_organisation(code: str) -> Organisation:
    """The organisation with this code if it is the current user's; 404 otherwise.

    Another organisation's pages are answered exactly like pages that do not exist.
    """
    org = current_user.organisation
    if org.code != code:
        abort(404)
    return org


@bp.route("/organisation/<code>")
@login_required
def organisation(code: str):
    org = get_own_organisation(code)
    users = db.session().scalars(
        sa.select(User).where(User.organisation_id == org.id, User.active).order_by(User.full_name)
    )
    return render_template("start/organisation.html", organisation=org, users=list(users))


@bp.route("/tillganglighet")
def accessibility():
    """The accessibility statement (tillgänglighetsredogörelse), open to everyone.

    It names who answers for the service: the signed-in person's förvaltning, otherwise
    every förvaltning that uses this installation.
    """
    if current_user.is_authenticated:
        organisations = [current_user.organisation]
    else:
        organisations = list(
            db.session().scalars(sa.select(Organisation).order_by(Organisation.name))
        )
    return render_template("start/accessibility.html", organisations=organisations)


def _safe_next(target: str | None) -> str:
    """A path on this site to go back to; never another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        if not urlsplit(target).netloc:
            return target
    return "/"


@bp.route("/sprak", methods=["POST"])
def language():
    """Choose the language of the pages ("sv" or "en"); back to the page it was chosen on."""
    chosen = request.form.get("lang", "")
    response = redirect(_safe_next(request.form.get("next")))
    if chosen in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE,
            chosen,
            max_age=i18n.COOKIE_MAX_AGE,
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
    return response
