"""The service provider: pysaml2 configured from attest's settings, requests and responses.

pysaml2 does the protocol (signatures with xmlsec1, audience, destination, recipient,
validity times, InResponseTo against the requests we name); this module adds what it leaves
to its caller: outstanding requests kept in the database, the replay store, a Destination
that must be present, and the mapping of an assertion to a subject, a time and a context.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import shutil
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from defusedxml import ElementTree
from flask import current_app

from attest import clock, db
from attest.saml.models import SamlAssertion, SamlRequest

if TYPE_CHECKING:
    from saml2.client import Saml2Client

# pysaml2 is imported where it is used, not with the app: its import reads XML schemas and
# costs most of a second of CPU in every process (each gunicorn worker, each `attest`
# command), also where SAML is not configured.

log = logging.getLogger(__name__)

METADATA_PATH = "/saml/metadata"
ACS_PATH = "/saml/acs"
# A SAMLResponse larger than this is refused before it is decoded or parsed.
MAX_RESPONSE_BYTES = 256 * 1024
PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol"


class Refused(Exception):
    """The IdP's answer is not accepted; ``reason`` goes to the audit log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Answer:
    """What a verified assertion says, and which request it answers."""

    request_id: str
    subject: str
    authenticated_at: dt.datetime
    context: str
    email: str | None = None
    employee_number: str | None = None
    name: str | None = None


def enabled() -> bool:
    return bool(current_app.config.get("SAML_IDP_METADATA"))


def entity_id() -> str:
    config = current_app.config
    return config.get("SAML_ENTITY_ID") or config["BASE_URL"].rstrip("/") + METADATA_PATH


def acs_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/") + ACS_PATH


def step_up_contexts() -> list[str]:
    """The authentication context classes a step-up asks for (empty: any)."""
    return (current_app.config.get("SAML_AUTHN_CONTEXT") or "").split()


def client() -> Saml2Client:
    config = current_app.config
    return _client(
        entity_id(),
        acs_url(),
        config["SAML_IDP_METADATA"],
        config["SAML_SP_KEY"],
        config["SAML_SP_CERT"],
    )


@lru_cache(maxsize=4)
def _client(entity: str, acs: str, idp_metadata: str, key: str, cert: str) -> Saml2Client:
    # Loading the metadata and the schema costs tens of milliseconds: once per process and
    # configuration, not per request.
    from saml2 import BINDING_HTTP_POST
    from saml2.client import Saml2Client
    from saml2.config import SPConfig
    from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

    settings: dict[str, Any] = {
        "entityid": entity,
        "xmlsec_binary": shutil.which("xmlsec1"),
        "key_file": key,
        "cert_file": cert,
        "metadata": {"local": [idp_metadata]},
        "allow_unknown_attributes": True,
        # The IdP's clock may differ a little from ours (seconds).
        "accepted_time_diff": 60,
        "service": {
            "sp": {
                "name": "attest",
                "endpoints": {"assertion_consumer_service": [(acs, BINDING_HTTP_POST)]},
                "authn_requests_signed": True,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "allow_unsolicited": False,
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
            }
        },
    }
    sp_config = SPConfig()
    sp_config.load(settings)
    return Saml2Client(config=sp_config)


def idp_entity_id(saml: Saml2Client) -> str:
    """The one IdP of the metadata file."""
    idps = list(saml.metadata.identity_providers())
    if len(idps) != 1:
        raise RuntimeError("SAML_IDP_METADATA ska beskriva exakt en IdP.")
    return idps[0]


def metadata_xml() -> str:
    """The SP's metadata (signed requests, signed assertions wanted)."""
    from saml2.metadata import create_metadata_string

    saml = client()
    return create_metadata_string(None, config=saml.config, valid=None).decode()


def provider_name() -> str:
    """How attest.sso names this IdP (links of people to subjects are per provider)."""
    return "saml:" + idp_entity_id(client())


def start(*, user_id: int | None, force: bool) -> tuple[str, str]:
    """A signed AuthnRequest for the HTTP-Redirect binding: (its ID, the IdP URL to go to).

    ``force`` (a step-up) asks for a fresh authentication in the configured contexts.
    """
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.saml import AuthnContextClassRef
    from saml2.samlp import RequestedAuthnContext
    from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

    saml = client()
    extra: dict[str, Any] = {}
    contexts = step_up_contexts()
    if force:
        extra["force_authn"] = "true"
        if contexts:
            extra["requested_authn_context"] = RequestedAuthnContext(
                authn_context_class_ref=[AuthnContextClassRef(text=c) for c in contexts],
                comparison="exact",
            )
    request_id, info = saml.prepare_for_authenticate(
        entityid=idp_entity_id(saml),
        binding=BINDING_HTTP_REDIRECT,
        sign=True,
        sigalg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
        **extra,
    )
    now = clock.now()
    minutes = current_app.config["SAML_REQUEST_MINUTES"]
    db.session().add(
        SamlRequest(
            id=request_id,
            created_at=now,
            expires_at=now + dt.timedelta(minutes=minutes),
            user_id=user_id,
        )
    )
    location = dict(info["headers"])["Location"]
    return request_id, location


def verify(encoded: str) -> Answer:
    """The verified answer of a posted SAMLResponse, recorded on its request; or Refused."""
    if len(encoded) > MAX_RESPONSE_BYTES:
        raise Refused("too_large")
    request_id = _in_response_to(encoded)
    now = clock.now()
    row = db.session().get(SamlRequest, request_id) if request_id else None
    if row is None or row.answered_at is not None or row.expires_at <= now:
        raise Refused("unsolicited")  # unknown, expired or already answered
    from saml2 import BINDING_HTTP_POST

    saml = client()
    try:
        response = saml.parse_authn_request_response(
            encoded,
            BINDING_HTTP_POST,
            outstanding={row.id: ""},
            # With conv_info pysaml2 checks the SubjectConfirmation's Recipient too.
            conv_info={"entity_id": entity_id()},
        )
    except Exception as exc:  # pysaml2 says what failed only by the exception's type
        log.info("SAML response refused: %s: %s", type(exc).__name__, exc)
        raise Refused(_reason(exc)) from None
    if response is None:
        raise Refused("invalid")
    if response.response.destination != acs_url():
        raise Refused("destination")  # pysaml2 accepts a missing Destination
    assertion = response.assertion
    confirmation_ids = {
        c.subject_confirmation_data.in_response_to
        for c in assertion.subject.subject_confirmation
        if c.subject_confirmation_data is not None
    }
    if confirmation_ids != {row.id}:
        raise Refused("unsolicited")  # the signed assertion answers another request
    answer = _answer(row.id, response)
    _take_once(assertion.id, response)
    row.answered_at = now
    row.subject = answer.subject
    row.authenticated_at = answer.authenticated_at
    row.context = answer.context
    row.email = answer.email
    row.employee_number = answer.employee_number
    row.name = answer.name
    return answer


def _in_response_to(encoded: str) -> str | None:
    """The response's InResponseTo, read before any check: it says which request to expect."""
    try:
        document = ElementTree.fromstring(base64.b64decode(encoded, validate=False))
    except Exception:  # not base64, not XML, or XML defusedxml refuses (entities, DTDs)
        raise Refused("malformed") from None
    if document.tag != f"{{{PROTOCOL_NS}}}Response":
        raise Refused("malformed")
    value = document.get("InResponseTo")
    return value[:100] if value else None


def _reason(exc: Exception) -> str:
    name = type(exc).__name__
    text = str(exc)
    if "AudienceRestrictions" in text:
        return "audience"
    if "recipient" in text.lower():
        return "recipient"
    if "Signature" in name or "Signed" in name or "signature" in text.lower():
        return "signature"
    if "Unsolicited" in name or "recall" in text:
        return "unsolicited"
    if "too old" in text or "ToEarly" in name or "TooLate" in name or "expired" in text.lower():
        return "expired"
    return name[:60]


def _attribute(response: Any, name: str | None, limit: int) -> str | None:
    """The first value of an attribute (by its friendly or its full name), or None."""
    values = (response.ava or {}).get(name) or [] if name else []
    value = str(values[0]).strip()[:limit] if values else ""
    return value or None


def _answer(request_id: str, response: Any) -> Answer:
    config = current_app.config
    attribute = config.get("SAML_SUBJECT_ATTRIBUTE")
    if attribute:
        subject = _attribute(response, attribute, 256) or ""
    else:
        name_id = response.name_id
        subject = (name_id.text or "").strip() if name_id is not None else ""
    if not subject or len(subject) > 255:
        raise Refused("no_subject")
    statements = response.assertion.authn_statement
    if len(statements) != 1:
        raise Refused("no_authn_statement")
    statement = statements[0]
    context_ref = (
        statement.authn_context.authn_context_class_ref if statement.authn_context else None
    )
    context = (context_ref.text or "").strip() if context_ref is not None else ""
    return Answer(
        request_id=request_id,
        subject=subject,
        authenticated_at=_instant(statement.authn_instant),
        context=context[:255],
        email=_attribute(response, config["SAML_EMAIL_ATTRIBUTE"], 254),
        employee_number=_attribute(response, config["SAML_EMPLOYEE_NUMBER_ATTRIBUTE"], 100),
        name=_attribute(response, "displayName", 200),
    )


def _instant(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise Refused("no_authn_instant") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def _take_once(assertion_id: str, response: Any) -> None:
    """Record the assertion's ID until its NotOnOrAfter; a second time is a replay."""
    session = db.session()
    now = clock.now()
    session.execute(sa.delete(SamlAssertion).where(SamlAssertion.expires_at < now))
    expires = now + dt.timedelta(minutes=current_app.config["SAML_REQUEST_MINUTES"])
    conditions = response.assertion.conditions
    if conditions is not None and conditions.not_on_or_after:
        expires = max(expires, _instant(conditions.not_on_or_after))
    try:
        with session.begin_nested():
            session.add(SamlAssertion(id=(assertion_id or "")[:100], expires_at=expires))
    except sa.exc.IntegrityError:
        raise Refused("replay") from None
    if not assertion_id:
        raise Refused("invalid")


def collect(request_id: str) -> tuple[SamlRequest, Answer] | None:
    """The answered request of this ID, deleted as it is taken; None if there is none."""
    session = db.session()
    row = session.get(SamlRequest, request_id, with_for_update=True)
    if row is None or row.answered_at is None:
        return None
    if row.subject is None or row.authenticated_at is None:  # answered rows always have both
        return None
    answer = Answer(
        request_id=row.id,
        subject=row.subject,
        authenticated_at=row.authenticated_at,
        context=row.context or "",
        email=row.email,
        employee_number=row.employee_number,
        name=row.name,
    )
    session.delete(row)
    return row, answer


def prune() -> None:
    """Forget requests never answered in time (bounded: called when a new one is made)."""
    db.session().execute(sa.delete(SamlRequest).where(SamlRequest.expires_at < clock.now()))
