"""/healthz: the database answers and every organisation's keys can be loaded."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify

from attest import db

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    checks: dict[str, str] = {}
    try:
        db.session().execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure is "unhealthy", never a 500
        db.session().rollback()
        checks["database"] = "fel"
    if checks["database"] == "ok":
        checks["keys"] = _keys()
    healthy = all(value == "ok" for value in checks.values())
    response = jsonify(status="ok" if healthy else "fel", checks=checks)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _keys() -> str:
    from flask import current_app

    from attest.attestation import keystore
    from attest.errors import AttestError
    from attest.orgs.models import Organisation

    if current_app.config["SIGNING"] != "pades":
        return "ok"
    try:
        for org in db.session().scalars(sa.select(Organisation)):
            if keystore.has_pki(org):
                keystore.org_pki(org)
    except (AttestError, OSError, ValueError):
        return "fel"
    return "ok"
