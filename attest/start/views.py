from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from attest import db
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
