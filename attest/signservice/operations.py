"""Attesting through the Sweden Connect signature service: begin, receive, complete.

``begin`` (the attester pressed "Attestera"): the row's signature is laid out with pyHanko's
interrupted signing, and a signed SignRequest is made for the browser to post to the
service. ``receive`` (the service posts the SignResponse back, possibly without our session
cookie, as a cross-site POST): its XML signature, request id, freshness and single use are
checked and it is kept. ``complete`` (the attester's browser, logged in, follows): the
signer's attributes and certificate are checked against the attester and the service's
CA, and the attestation is made through the workflow engine, which embeds the signature
(``embed_remote``) and goes on with the timestamp, the row and the closing seal.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import current_app

from attest import audit, blobs, clock, db
from attest.errors import Forbidden, Invalid
from attest.i18n import LazyText, _l, swedish
from attest.memos.models import Memo
from attest.pki.ca import require_utc
from attest.signing import SigningRefused, TimeStamper
from attest.signing.remote import PreparedSignature, finish_field, prepare_field
from attest.signing.rows import row_appearance_pdf
from attest.signservice.custody import SIGNSERVICE
from attest.signservice.models import SignServiceRequest
from attest.signservice.protocol import (
    BINDING,
    ResponseRefused,
    SignRequestSpec,
    SignResult,
    build_sign_request,
    parse_sign_response,
    sign_xml,
)
from attest.users.models import User
from attest.verify.trust import fingerprint, issuer_in

REQUESTED = "memo:signservice:requested"
REFUSED = "memo:signservice:refused"
# A response may be stamped this much after our clock (the service's clock runs ahead).
CLOCK_SKEW = dt.timedelta(seconds=60)

_lock = threading.Lock()


@dataclass(frozen=True)
class ServiceSettings:
    """The configured signature service, its certificates and our signing key, loaded once."""

    url: str
    entity_id: str
    sp_entity_id: str
    sp_key: rsa.RSAPrivateKey
    sp_cert: x509.Certificate
    service_cert: x509.Certificate
    ca_cert: x509.Certificate
    idp: str
    id_attribute: str
    max_age: dt.timedelta

    @property
    def origin(self) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


def _read_certificate(path: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(Path(path).read_bytes())


def settings() -> ServiceSettings | None:
    """The service as configured (SIGNSERVICE_*), or None when none is."""
    config = current_app.config
    if not config.get("SIGNSERVICE_URL"):
        return None
    with _lock:
        found = current_app.extensions.get("attest.signservice")
        if found is None:
            password = config.get("SIGNSERVICE_SP_KEY_PASSWORD")
            key = serialization.load_pem_private_key(
                Path(config["SIGNSERVICE_SP_KEY"]).read_bytes(),
                password.encode() if password else None,
            )
            if not isinstance(key, rsa.RSAPrivateKey):
                raise Invalid(_l("SIGNSERVICE_SP_KEY ska vara en RSA-nyckel."))
            found = ServiceSettings(
                url=config["SIGNSERVICE_URL"],
                entity_id=config["SIGNSERVICE_ENTITY_ID"],
                sp_entity_id=config["SIGNSERVICE_SP_ENTITY_ID"],
                sp_key=key,
                sp_cert=_read_certificate(config["SIGNSERVICE_SP_CERT"]),
                service_cert=_read_certificate(config["SIGNSERVICE_CERT"]),
                ca_cert=_read_certificate(config["SIGNSERVICE_CA"]),
                idp=config["SIGNSERVICE_IDP"],
                id_attribute=config["SIGNSERVICE_ID_ATTRIBUTE"],
                max_age=dt.timedelta(seconds=config["SIGNSERVICE_MAX_AGE_SECONDS"]),
            )
            current_app.extensions["attest.signservice"] = found
    return found


def signs_through_service(user: User) -> bool:
    return user.signing_method == SIGNSERVICE


def service_binding(signservice_id: str) -> dict[str, str]:
    """The sealed route's binding of a row to the service's CA and the person's identifier
    (attest.signing.route.RouteRow), for a person who signs through the service."""
    found = settings() if signservice_id else None
    if found is None:
        return {}
    return {"service_ca": fingerprint(found.ca_cert), "service_person": signservice_id}


def sign_message(memo: Memo, version_number: int, pdf_sha256: str) -> str:
    """What the service shows the attester before they sign (ELN-0609 SignMessage)."""
    return (
        f"Jag attesterar tjänsteutlåtande {memo.dnr}, version {version_number}, "
        f"SHA-256 {pdf_sha256}"
    )


@dataclass(frozen=True)
class PostForm:
    """What the browser posts to the signature service."""

    url: str
    fields: dict[str, str]


def begin(memo: Memo, actor: User, *, expected_lock_version: int | None = None) -> PostForm:
    """Lay out the actor's row signature and make the signed SignRequest for it."""
    from attest.memos.operations import STALE_MEMO
    from attest.workflow import guards
    from attest.workflow.definition import TRANSITIONS, Action, State
    from attest.workflow.hooks import field_name, row_title
    from attest.workflow.submissions import active_submission

    found = settings()
    if found is None:
        raise Invalid(_l("Ingen underskriftstjänst är konfigurerad. Kontakta en administratör."))
    if not signs_through_service(actor) or not actor.signservice_id:
        raise Invalid(_l("Du är inte inställd för att skriva under med underskriftstjänsten."))
    if expected_lock_version is not None and expected_lock_version != memo.lock_version:
        from attest.errors import Conflict

        raise Conflict(STALE_MEMO)
    if State(memo.state) not in TRANSITIONS[Action.ATTESTERA].sources:
        raise Invalid(_l("Tjänsteutlåtandet väntar inte på attest."))
    submission = active_submission(memo)
    verdict = guards.check(
        TRANSITIONS[Action.ATTESTERA].guard, memo, actor, submission, clock.today()
    )
    if not verdict.allowed:
        raise Forbidden(verdict.reason)
    if verdict.acting_for is not None:
        raise Invalid(_l("Att attestera som t.f. via underskriftstjänsten stöds inte än."))
    assert submission is not None and submission.current_step is not None
    step = submission.current_step
    now = clock.now()
    pdf = blobs.store().get(submission.current_pdf_sha256)
    from attest.attestation import pades

    name = field_name(step.position)
    try:
        x1, y1, x2, y2 = pades.field_rect(pdf, name)
        title = row_title(step.role_title, acting=False)
        prepared = prepare_field(
            pdf,
            field_name=name,
            appearance_pdf=row_appearance_pdf(x2 - x1, y2 - y1, actor.full_name, title, now),
            reason=f"Attesterat av {actor.full_name}, {title}",
            location=memo.organisation.name,
            now=now,
        )
    except (pades.NoSuchField, SigningRefused) as exc:
        raise Invalid(
            _l("Signeringen kunde inte förberedas: %(reason)s", reason=str(exc))
        ) from None
    request_id = "_" + secrets.token_hex(16)
    record = SignServiceRequest(
        request_id=request_id,
        user_id=actor.id,
        memo_id=memo.id,
        submission_id=submission.id,
        position=step.position,
        pdf_sha256_before=submission.current_pdf_sha256,
        prepared_pdf_sha256=blobs.store().put(prepared.pdf),
        document_digest=prepared.document_digest,
        reserved_start=prepared.reserved_start,
        reserved_end=prepared.reserved_end,
        signed_attributes=prepared.signed_attributes,
        signing_time=now,
        created_at=now,
        outcome="",
    )
    db.session().add(record)
    spec = SignRequestSpec(
        request_id=request_id,
        request_time=now,
        signer_attribute=found.id_attribute,
        signer_value=actor.signservice_id,
        identity_provider=found.idp,
        sign_requester=found.sp_entity_id,
        sign_service=found.entity_id,
        destination=found.url,
        sign_message=sign_message(memo, submission.version.number, submission.frozen_pdf_sha256),
        sign_task_id=request_id,
        to_be_signed=prepared.signed_attributes,
        lifetime_seconds=int(found.max_age.total_seconds()),
    )
    signed = sign_xml(build_sign_request(spec), _key_pem(found), found.sp_cert)
    audit.record(
        REQUESTED,
        actor=actor,
        organisation=memo.organisation,
        data={"memo": memo.id, "request": request_id, "step": step.position},
    )
    return PostForm(
        url=found.url,
        fields={
            "Binding": BINDING,
            "RelayState": request_id,
            "EidSignRequest": base64.b64encode(signed).decode(),
        },
    )


def _key_pem(found: ServiceSettings) -> bytes:
    # In memory only, for signxml: the file on disk stays as it was (encrypted or not).
    return found.sp_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def refuse(
    reason: str | LazyText, *, detail: str = "", request: SignServiceRequest | None = None
) -> None:
    """Raise the refusal, naming the request it concerns (record_refusal records it)."""
    exc = ResponseRefused(reason, detail)
    exc.request_id = request.request_id if request is not None else ""
    raise exc


def record_refusal(exc: ResponseRefused) -> None:
    """After the rollback: the refusal in the audit log, and the request closed for good
    (a response that was refused is never tried again). The caller commits."""
    request = _request(exc.request_id)
    data: dict[str, object] = {"reason": swedish(exc.reason), "detail": exc.detail[:300]}
    actor = None
    organisation = None
    if request is not None:
        data.update(request=request.request_id, memo=request.memo_id)
        request.outcome = request.outcome or "refused"
        request.answered_at = request.answered_at or clock.now()
        actor = db.session().get(User, request.user_id)
        organisation = actor.organisation if actor is not None else None
    audit.record(REFUSED, actor=actor, organisation=organisation, data=data)


def _decode(encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded.strip(), validate=True)
    except ValueError:
        refuse(_l("Svaret från underskriftstjänsten är inte base64-kodat."))
        raise AssertionError  # pragma: no cover - refuse raises


def receive(encoded_response: str, relay_state: str) -> SignServiceRequest:
    """The service's SignResponse: signed by the service, for a request of ours still
    open, fresh. Kept for ``complete``; ResponseRefused (recorded) otherwise."""
    found = settings()
    if found is None:
        refuse(_l("Ingen underskriftstjänst är konfigurerad."))
        raise AssertionError  # pragma: no cover
    data = _decode(encoded_response)
    try:
        result = parse_sign_response(data, found.service_cert)
    except ResponseRefused as exc:
        request = _request(relay_state)
        refuse(exc.reason, detail=exc.detail, request=request)
        raise AssertionError  # pragma: no cover
    request = _request(result.request_id)
    if request is None or result.request_id != relay_state:
        refuse(_l("Svaret hör inte till någon begäran från attest."), detail=result.request_id)
        raise AssertionError  # pragma: no cover
    if request.answered_at is not None:
        refuse(_l("Svaret har redan använts en gång."), request=request)
    now = clock.now()
    if now - require_utc(request.created_at) > found.max_age:
        refuse(_l("Begäran är för gammal. Attestera igen."), request=request)
    if not now - found.max_age <= result.response_time <= now + CLOCK_SKEW:
        refuse(_l("Svaret från underskriftstjänsten är inte färskt."), request=request)
    request.response = data
    request.answered_at = now
    return request


def is_known(request_id: str) -> bool:
    """Whether attest sent a SignRequest of this id (answered or not)."""
    return _request(request_id) is not None


def _request(request_id: str) -> SignServiceRequest | None:
    if not request_id or len(request_id) > 64:
        return None
    return db.session().scalar(
        sa.select(SignServiceRequest).where(SignServiceRequest.request_id == request_id)
    )


@dataclass(frozen=True)
class RemoteSignature:
    """The service's signature for a request, checked against the attester: what the
    signing hooks embed instead of signing with a personal key."""

    request: SignServiceRequest
    result: SignResult
    ca_cert: x509.Certificate


def _serial_number(cert: x509.Certificate) -> str:
    values = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return str(values[0].value) if len(values) == 1 else ""


def check_signer(request: SignServiceRequest, actor: User) -> RemoteSignature:
    """The kept response, read again, names the attester: their attribute, a certificate
    from the service's CA with their identifier, valid now. ResponseRefused otherwise."""
    found = settings()
    if found is None or request.response is None:
        refuse(_l("Det finns inget svar att slutföra."), request=request)
        raise AssertionError  # pragma: no cover
    if request.user_id != actor.id:
        refuse(_l("Svaret gäller en annan persons underskrift."), request=request)
    result = parse_sign_response(request.response, found.service_cert)
    asserted = result.attributes.get(found.id_attribute, "")
    if not actor.signservice_id or asserted != actor.signservice_id:
        refuse(
            _l("Underskriftstjänsten intygar en annan person än den inloggade."),
            detail=f"{found.id_attribute}={asserted}",
            request=request,
        )
    if result.sign_task_id != request.request_id:
        refuse(_l("Svaret gäller ett annat dokument än det som skickades."), request=request)
    cert = result.chain[0]
    if issuer_in(cert, (found.ca_cert,)) is None:
        refuse(
            _l("Underskriftscertifikatet är inte utfärdat av underskriftstjänstens CA."),
            request=request,
        )
    if _serial_number(cert) != actor.signservice_id:
        refuse(_l("Underskriftscertifikatet namnger en annan person."), request=request)
    now = clock.now()
    if not cert.not_valid_before_utc - CLOCK_SKEW <= now <= cert.not_valid_after_utc:
        refuse(_l("Underskriftscertifikatet är inte giltigt nu."), request=request)
    return RemoteSignature(request=request, result=result, ca_cert=found.ca_cert)


def complete(request_id: str, actor: User) -> Memo:
    """Attest with the kept response: the engine embeds it (``embed_remote``)."""
    from attest.workflow.operations import attest_memo

    request = _request(request_id)
    if request is None:
        refuse(_l("Okänd begäran till underskriftstjänsten."), detail=request_id[:64])
        raise AssertionError  # pragma: no cover
    if request.outcome:
        refuse(_l("Svaret har redan använts en gång."), request=request)
    remote = check_signer(request, actor)
    memo = db.session().get(Memo, request.memo_id)
    assert memo is not None
    request.outcome = "signed"
    attest_memo(memo, actor, remote=remote)
    return memo


def embed_remote(
    remote: RemoteSignature, pdf: bytes, field_name: str, timestamper: TimeStamper
) -> tuple[bytes, x509.Certificate]:
    """The service's signature in the row it was prepared for; Invalid if the document or
    the step moved on since, or the signature would not validate."""
    from attest.workflow.hooks import field_name as step_field

    request, result = remote.request, remote.result
    if blobs.digest(pdf) != request.pdf_sha256_before or step_field(request.position) != (
        field_name
    ):
        raise Invalid(_l("Dokumentet har ändrats sedan underskriften begärdes. Attestera igen."))
    prepared = PreparedSignature(
        pdf=blobs.store().get(request.prepared_pdf_sha256),
        document_digest=request.document_digest,
        reserved_start=request.reserved_start,
        reserved_end=request.reserved_end,
        signed_attributes=request.signed_attributes,
    )
    cert = result.chain[0]
    try:
        signed = finish_field(
            prepared,
            signed_attributes=result.to_be_signed,
            signature=result.signature,
            signer_cert=cert,
            chain=[*result.chain[1:], remote.ca_cert],
            timestamper=timestamper,
        )
    except SigningRefused as exc:
        raise Invalid(
            _l(
                "Underskriften från underskriftstjänsten kan inte användas: %(reason)s",
                reason=str(exc),
            )
        )
    return signed, cert


SIGNING_METHODS = ("key", SIGNSERVICE)
SIGNING_METHOD_CHANGED = "user:signing_method:changed"
# A Swedish personnummer or samordningsnummer (12 digits), or another identifier the
# identity provider asserts (an employee number): letters, digits and - . _ only.
_IDENTIFIER = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def set_signing_method(user: User, method: str, signservice_id: str = "") -> None:
    """An administrator's choice of how the person signs: their own key, or the signature
    service as the person the identity provider names by ``signservice_id``. Applies to
    memos sent afterwards: a frozen route binds its rows as they were when it was sent."""
    if method not in SIGNING_METHODS:
        raise Invalid(
            _l("Okänt sätt att skriva under: %(method)s (key eller signservice).", method=method)
        )
    signservice_id = signservice_id.strip()
    if method == SIGNSERVICE and not _IDENTIFIER.match(signservice_id):
        raise Invalid(
            _l(
                "Ange personens identitet hos underskriftstjänsten, t.ex. personnumret "
                "(ÅÅÅÅMMDDNNNN)."
            )
        )
    user.signing_method = method
    user.signservice_id = signservice_id if method == SIGNSERVICE else ""
    audit.record(
        SIGNING_METHOD_CHANGED,
        organisation=user.organisation,
        data={"username": user.username, "method": method},
    )
