"""Public PKI material (CA certificate, CRL) and the organisations' own RFC 3161 TSA."""

from __future__ import annotations

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from flask import Blueprint, Response, abort, request

from attest import clock, db
from attest.attestation import keystore
from attest.attestation.personal import current_crl
from attest.orgs.models import Organisation
from attest.pki.ca import certificate_pem
from attest.signing import answer_timestamp_request

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


@bp.route("/tsa/<code>", methods=["POST"])
def timestamp(code: str):
    """RFC 3161 over HTTP: application/timestamp-query in, application/timestamp-reply out."""
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
