"""Public PKI material (CA certificate, CRL) and the organisations' own RFC 3161 TSA.

The TSA's HTTP endpoint is for other systems of the organisation (attest timestamps
in-process): off unless TSA_HTTP_ENABLED, and then only for the HTTP Basic users of
TSA_HTTP_USERS, each at most TSA_HTTP_RATE_PER_MINUTE tokens a minute. A public TSA would
let anyone re-stamp a changed memo or a rewritten audit log in the organisation's name.
"""

from __future__ import annotations

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from flask import Blueprint, Response, abort, current_app, request

from attest import audit, clock, db
from attest.attestation import keystore
from attest.attestation.personal import current_crl
from attest.auth import ratelimit
from attest.orgs.models import Organisation
from attest.pki.ca import certificate_pem
from attest.signing import answer_timestamp_request
from attest.users import passwords

bp = Blueprint("pki", __name__)

MAX_TIMESTAMP_REQUEST = 16 * 1024


def _organisation_with_pki(code: str) -> Organisation:
    org = db.session().scalar(sa.select(Organisation).where(Organisation.code == code))
    if org is None or not keystore.has_pki(org):
        abort(404)
    return org


@bp.route("/pki/<code>/ca.pem")
def ca_certificate(code: str):
    """Anyone may fetch it: verification must not depend on logging in to us."""
    pki = keystore.org_pki(_organisation_with_pki(code))
    return Response(
        certificate_pem(pki.ca_cert),
        mimetype="application/x-pem-file",
        headers={"Content-Disposition": f'attachment; filename="{_ascii(code)}-ca.pem"'},
    )


@bp.route("/pki/<code>/crl.pem")
def crl(code: str):
    crl = current_crl(_organisation_with_pki(code))
    return Response(
        crl.public_bytes(serialization.Encoding.PEM),
        mimetype="application/x-pem-file",
        headers={"Content-Disposition": f'attachment; filename="{_ascii(code)}-crl.pem"'},
    )


def _tsa_user() -> str | Response:
    """The authenticated TSA user's name, or the response that refuses the request."""
    attempt = ratelimit.reserve_tsa_credentials()
    if isinstance(attempt, ratelimit.Throttle):
        return _refusal(429, attempt.message, {"Retry-After": str(attempt.seconds)})
    credentials = request.authorization
    users: dict[str, str] = current_app.config["TSA_HTTP_USERS"] or {}
    username = credentials.username if credentials and credentials.type == "basic" else None
    password = credentials.password if credentials else None
    stored = users.get(username or "")
    if stored is None:
        passwords.burn_time(password or "")  # the same time for an unknown name
    if username and stored is not None and passwords.verify_password(stored, password or ""):
        ratelimit.release(attempt)
        db.session().commit()
        return username
    if credentials is not None:
        audit.record(ratelimit.TSA_AUTH_FAILED, data={"user": (username or "")[:80]})
        db.session().commit()
    return _refusal(
        401,
        "Tidsstämpeltjänsten kräver inloggning.",
        {"WWW-Authenticate": 'Basic realm="attest TSA", charset="UTF-8"'},
    )


def _refusal(status: int, message: str, headers: dict[str, str]) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain", headers=headers)


@bp.route("/tsa/<code>", methods=["POST"])
def timestamp(code: str):
    """RFC 3161 over HTTP: application/timestamp-query in, application/timestamp-reply out."""
    if not current_app.config["TSA_HTTP_ENABLED"]:
        abort(404)
    user = _tsa_user()
    if isinstance(user, Response):
        return user
    issued = ratelimit.reserve_tsa_token(user)
    if isinstance(issued, ratelimit.Throttle):
        message = f"För många tidsstämplar i minuten. Försök igen om {issued.seconds} sekunder."
        return _refusal(429, message, {"Retry-After": str(issued.seconds)})
    org = _organisation_with_pki(code)
    if request.mimetype != "application/timestamp-query":
        abort(415)
    if (request.content_length or 0) > MAX_TIMESTAMP_REQUEST:
        abort(413)
    body = request.get_data(cache=False)[: MAX_TIMESTAMP_REQUEST + 1]
    if len(body) > MAX_TIMESTAMP_REQUEST:
        abort(413)
    pki = keystore.org_pki(org)
    answer = answer_timestamp_request(
        body, tsa_key=pki.tsa_key, tsa_cert=pki.tsa_cert, chain=pki.chain, now=clock.now()
    )
    # Every token in the organisation's name is on the record.
    audit.record(ratelimit.TSA_ISSUED, organisation=org, data={"user": user[:80]})
    db.session().commit()
    return Response(answer, mimetype="application/timestamp-reply")


def _ascii(code: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", code).encode("ascii", "ignore").decode() or "org"


def init_app(app) -> None:
    from flask_wtf.csrf import CSRFProtect

    csrf: CSRFProtect = app.extensions["csrf"]
    csrf.exempt(timestamp)  # a machine protocol with no session; it changes nothing
    app.register_blueprint(bp)

    from attest.workflow.engine import transition_applied

    transition_applied.connect(_anchor_audit_on_attestation, sender=app, weak=False)


def _anchor_audit_on_attestation(sender, *, memo, entry, submission) -> None:
    """Each attestation timestamps the audit chain's head (with the signing TSA)."""
    if entry.action == "attestera" and sender.config["SIGNING"] == "pades":
        from attest.attestation.audit_anchor import timestamp_head

        timestamp_head(memo.organisation)
