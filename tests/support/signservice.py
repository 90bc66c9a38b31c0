"""A Sweden Connect signature service for the tests, written from the specification.

ELN-0609 (DSS extension) as a service sees it: the SignRequest's XML signature is verified
with signxml against the requester's certificate; the user "authenticates" (the test says
who: ``Identity``); a certificate is issued per signature by the service's own test CA
naming the person (serialNumber = the personal identity number, CN = the display name,
ELN-0604); the SignTaskData's signed attributes get the signingCertificateV2 attribute
(AdESType "BES") and are signed with the new certificate's key; the SignResponse, with
the certificate chain and the signer's attributes, is signed by the service's key.

``SignService.answer`` does this for a posted form; ``serve`` puts it on 127.0.0.1 for
the browser, whose page posts the response back to attest as a real service's does.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import functools
import html
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from signxml import XMLVerifier
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from attest.pki.ca import asn1_certificate
from attest.signservice.protocol import (
    BINDING,
    CSIG,
    DISPLAY_NAME,
    DS,
    DSS,
    NS,
    PERSONAL_IDENTITY_NUMBER,
    PROFILE,
    RSA_SHA256,
    SAML,
    SUCCESS,
    XS,
    XSI,
    sign_xml,
)
from tests.support.signing import pooled_key

SERVICE_ENTITY_ID = "https://sig.test.example/signservice"
SP_ENTITY_ID = "https://attest.test.example/sp"
IDP_ENTITY_ID = "https://idp.test.example/idp"
ISSUED_AT = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Identity:
    """Who logs in at the identity provider."""

    personnummer: str
    display_name: str


@dataclass(frozen=True)
class Material:
    """The service's CA, its response-signing key, and the requester's (attest's) key."""

    ca_key: rsa.RSAPrivateKey
    ca_cert: x509.Certificate
    service_key: rsa.RSAPrivateKey
    service_cert: x509.Certificate
    sp_key: rsa.RSAPrivateKey
    sp_cert: x509.Certificate

    def write(self, folder: Path) -> dict[str, str]:
        """PEM files in folder; the SIGNSERVICE_* settings that name them (no URL)."""
        folder.mkdir(parents=True, exist_ok=True)
        files = {
            "SIGNSERVICE_SP_KEY": ("sp-key.pem", _key_pem(self.sp_key)),
            "SIGNSERVICE_SP_CERT": ("sp-cert.pem", _pem(self.sp_cert)),
            "SIGNSERVICE_CERT": ("service-cert.pem", _pem(self.service_cert)),
            "SIGNSERVICE_CA": ("service-ca.pem", _pem(self.ca_cert)),
        }
        settings = {}
        for key, (name, data) in files.items():
            (folder / name).write_bytes(data)
            settings[key] = str(folder / name)
        return {
            **settings,
            "SIGNSERVICE_ENTITY_ID": SERVICE_ENTITY_ID,
            "SIGNSERVICE_SP_ENTITY_ID": SP_ENTITY_ID,
            "SIGNSERVICE_IDP": IDP_ENTITY_ID,
        }


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _self_signed(key: rsa.RSAPrivateKey, name: str, *, ca: bool) -> x509.Certificate:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "SE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Testtjänsten"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(ISSUED_AT)
        .not_valid_after(ISSUED_AT + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
    return builder.sign(key, hashes.SHA256())


@functools.lru_cache(maxsize=None)
def material(name: str = "service") -> Material:
    """The session's service material called name (another name: another service)."""
    keys = [rsa.generate_private_key(65537, 2048) for _ in range(3)]
    return Material(
        ca_key=keys[0],
        ca_cert=_self_signed(keys[0], f"Testtjänstens CA ({name})", ca=True),
        service_key=keys[1],
        service_cert=_self_signed(keys[1], f"Testtjänstens signering ({name})", ca=False),
        sp_key=keys[2],
        sp_cert=_self_signed(keys[2], "attest SP", ca=False),
    )


def issue_signer_certificate(
    ca_key: rsa.RSAPrivateKey,
    ca_cert: x509.Certificate,
    public_key: Any,
    identity: Identity,
    now: dt.datetime,
) -> x509.Certificate:
    """A signature certificate per ELN-0604: the person by personal identity number."""
    given, _, surname = identity.display_name.partition(" ")
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "SE"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, identity.personnummer),
            x509.NameAttribute(NameOID.GIVEN_NAME, given),
            x509.NameAttribute(NameOID.SURNAME, surname or given),
            x509.NameAttribute(NameOID.COMMON_NAME, identity.display_name),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=10))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), True
        )
        .sign(ca_key, hashes.SHA256())
    )


def _el(parent, ns: str, tag: str, text: str | None = None, **attrs: str):
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", **attrs)
    if text is not None:
        element.text = text
    return element


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class SignService:
    """The service. ``identity`` is who logs in; the knobs make it misbehave for tests."""

    material: Material
    identity: Identity
    now: Callable[[], dt.datetime]
    return_url: str = ""
    requests: list[bytes] = field(default_factory=list)
    sign_key: rsa.RSAPrivateKey | None = None  # None: the service's own response key

    def read_request(self, encoded: str) -> etree._Element:
        """The SignRequest, its XML signature verified against the requester's certificate."""
        data = base64.b64decode(encoded)
        self.requests.append(data)
        verified = XMLVerifier().verify(
            data, x509_cert=_pem(self.material.sp_cert).decode(), expect_references=1
        )
        root = verified.signed_xml
        assert root is not None and root.get("Profile") == PROFILE
        return root

    def answer(self, form: dict[str, str], **changes: Any) -> dict[str, str]:
        """The form fields the service's page posts back to attest."""
        request = self.read_request(form["EidSignRequest"])
        return {
            "Binding": BINDING,
            "RelayState": form["RelayState"],
            "EidSignResponse": base64.b64encode(self.response(request, **changes)).decode(),
        }

    def response(
        self,
        request: etree._Element,
        *,
        identity: Identity | None = None,
        request_id: str | None = None,
        response_time: dt.datetime | None = None,
        result: str = SUCCESS,
        signed: bool = True,
    ) -> bytes:
        """A SignResponse to the request (the arguments make a wrong one for the tests)."""
        who = identity or self.identity
        now = self.now()
        key = pooled_key()
        cert = issue_signer_certificate(
            self.material.ca_key, self.material.ca_cert, key.public_key(), who, now
        )
        task = request.find("dss:InputDocuments/dss:Other/csig:SignTasks/csig:SignTaskData", NS)
        assert task is not None
        sent = cms.CMSAttributes.load(
            base64.b64decode(task.findtext("csig:ToBeSignedBytes", "", NS))
        )
        attributes = cms.CMSAttributes(
            [
                *sent,
                simple_cms_attribute(
                    "signing_certificate_v2", as_signing_certificate_v2(asn1_certificate(cert))
                ),
            ]
        )
        to_be_signed = attributes.dump()
        signature = key.sign(to_be_signed, padding.PKCS1v15(), hashes.SHA256())

        nsmap = {"dss": DSS, "csig": CSIG, "saml": SAML, "ds": DS, "xs": XS, "xsi": XSI}
        root = etree.Element(
            f"{{{DSS}}}SignResponse",
            nsmap=nsmap,
            Profile=PROFILE,
            RequestID=request_id if request_id is not None else request.get("RequestID", ""),
        )
        outcome = _el(root, DSS, "Result")
        _el(outcome, DSS, "ResultMajor", result)
        optional = _el(root, DSS, "OptionalOutputs")
        extension = _el(optional, CSIG, "SignResponseExtension", Version="1.5")
        _el(extension, CSIG, "ResponseTime", _iso(response_time or now))
        _el(extension, CSIG, "Request", base64.b64encode(etree.tostring(request)).decode())
        info = _el(extension, CSIG, "SignerAssertionInfo")
        context = _el(info, CSIG, "ContextInfo")
        _el(context, CSIG, "IdentityProvider", IDP_ENTITY_ID)
        _el(context, CSIG, "AuthenticationInstant", _iso(now))
        _el(context, SAML, "AuthnContextClassRef", "http://id.elegnamnden.se/loa/1.0/loa3")
        statement = _el(info, SAML, "AttributeStatement")
        for name, value in (
            (PERSONAL_IDENTITY_NUMBER, who.personnummer),
            (DISPLAY_NAME, who.display_name),
        ):
            attribute = _el(statement, SAML, "Attribute", Name=name)
            element = _el(attribute, SAML, "AttributeValue", value)
            element.set(f"{{{XSI}}}type", "xs:string")
        chain = _el(extension, CSIG, "SignatureCertificateChain")
        for member in (cert, self.material.ca_cert):
            der = member.public_bytes(serialization.Encoding.DER)
            _el(chain, CSIG, "X509Certificate", base64.b64encode(der).decode())
        _el(optional, DS, "Signature", Id="placeholder")
        signature_object = _el(root, DSS, "SignatureObject")
        other = _el(signature_object, DSS, "Other")
        tasks = _el(other, CSIG, "SignTasks")
        answered = _el(tasks, CSIG, "SignTaskData", SigType="PDF", AdESType="BES")
        answered.set("SignTaskId", task.get("SignTaskId", ""))
        _el(answered, CSIG, "ToBeSignedBytes", base64.b64encode(to_be_signed).decode())
        _el(
            answered,
            CSIG,
            "Base64Signature",
            base64.b64encode(signature).decode(),
            Type=RSA_SHA256,
        )
        if not signed:
            optional.remove(optional.find(f"{{{DS}}}Signature"))
            return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        key_pem = _key_pem(self.sign_key or self.material.service_key)
        return sign_xml(root, key_pem, self.material.service_cert)

    # -- over HTTP, for the browser ------------------------------------------------------

    def wsgi(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        if request.method != "POST":
            return Response("Underskriftstjänsten (test)", mimetype="text/plain")(
                environ, start_response
            )
        fields = self.answer(dict(request.form))
        inputs = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in fields.items()
        )
        page = (
            "<!doctype html><html lang='sv'><head><title>Underskriftstjänsten</title></head>"
            f"<body><h1>Underskriftstjänsten (test)</h1><p>Inloggad: "
            f"{html.escape(self.identity.display_name)}</p>"
            f"<form method='post' action='{html.escape(self.return_url)}'>{inputs}"
            "<button type='submit'>Skriv under</button></form></body></html>"
        )
        return Response(page, mimetype="text/html")(environ, start_response)


@contextlib.contextmanager
def serve(service: SignService) -> Iterator[str]:
    """The service on 127.0.0.1 in a thread; yields its URL."""
    server = make_server("127.0.0.1", 0, service.wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/sign"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def with_identity(service: SignService, identity: Identity) -> SignService:
    return dataclasses.replace(service, identity=identity)
