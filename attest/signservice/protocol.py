"""The Sweden Connect DSS extension (ELN-0609) as attest speaks it: SignRequest out,
SignResponse in. XML signatures by signxml; parsing by lxml with no network, no DTDs and
no entities. Everything here is pure: no Flask, no database.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from signxml import (
    InvalidInput,
    InvalidSignature,
    SignatureConstructionMethod,
    XMLSigner,
    XMLVerifier,
)

from attest.i18n import LazyText, _l

DSS = "urn:oasis:names:tc:dss:1.0:core:schema"
CSIG = "http://id.elegnamnden.se/csig/1.1/dss-ext/ns"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XS = "http://www.w3.org/2001/XMLSchema"
NS = {"dss": DSS, "csig": CSIG, "saml": SAML, "ds": DS}

PROFILE = "http://id.elegnamnden.se/csig/1.1/dss-ext/profile"
VERSION = "1.5"
ENTITY = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SUCCESS = "urn:oasis:names:tc:dss:1.0:resultmajor:Success"
LOA3 = "http://id.elegnamnden.se/loa/1.0/loa3"
# The attributes of the Swedish eID framework (ELN-0603) attest asks for in the certificate.
PERSONAL_IDENTITY_NUMBER = "urn:oid:1.2.752.29.4.13"
DISPLAY_NAME = "urn:oid:2.16.840.1.113730.3.1.241"
# Binding and form fields of the HTTP POST binding (ELN-0609 section 3.1).
BINDING = "POST/XML/1.0"
MAX_RESPONSE_BYTES = 256 * 1024

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


class ResponseRefused(Exception):
    """The SignResponse is not one attest accepts; ``reason`` says why, in the language of
    the request when shown (``swedish(reason)`` for the audit log)."""

    def __init__(self, reason: str | LazyText, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.request_id = ""  # the request it answers, when known


@dataclass(frozen=True)
class SignRequestSpec:
    """What one SignRequest asks for."""

    request_id: str
    request_time: dt.datetime
    signer_attribute: str  # the SAML attribute naming the signer (e.g. personnummer)
    signer_value: str
    identity_provider: str
    sign_requester: str  # our entity id
    sign_service: str  # the service's entity id
    destination: str  # the service's URL, the request's audience
    sign_message: str
    sign_task_id: str
    to_be_signed: bytes  # DER signed attributes
    lifetime_seconds: int = 300


@dataclass(frozen=True)
class SignResult:
    """A verified SignResponse: who the service says signed, and what it returns."""

    request_id: str
    response_time: dt.datetime
    attributes: dict[str, str]  # the signer's SAML attributes, by name
    sign_task_id: str
    to_be_signed: bytes  # the signed attributes the service signed
    signature: bytes
    chain: tuple[x509.Certificate, ...]  # the signer's certificate first


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _el(parent, ns: str, tag: str, text: str | None = None, **attrs: str):
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", **attrs)
    if text is not None:
        element.text = text
    return element


def build_sign_request(spec: SignRequestSpec) -> etree._Element:
    """The SignRequest, unsigned, with a placeholder where its signature goes."""
    nsmap = {"dss": DSS, "csig": CSIG, "saml": SAML, "ds": DS, "xs": XS, "xsi": XSI}
    root = etree.Element(
        f"{{{DSS}}}SignRequest", nsmap=nsmap, Profile=PROFILE, RequestID=spec.request_id
    )
    optional = _el(root, DSS, "OptionalInputs")
    extension = _el(optional, CSIG, "SignRequestExtension", Version=VERSION)
    _el(extension, CSIG, "RequestTime", _iso(spec.request_time))
    conditions = _el(
        extension,
        SAML,
        "Conditions",
        NotBefore=_iso(spec.request_time),
        NotOnOrAfter=_iso(spec.request_time + dt.timedelta(seconds=spec.lifetime_seconds)),
    )
    audience = _el(conditions, SAML, "AudienceRestriction")
    _el(audience, SAML, "Audience", spec.destination)
    signer = _el(extension, CSIG, "Signer")
    attribute = _el(signer, SAML, "Attribute", Name=spec.signer_attribute)
    value = _el(attribute, SAML, "AttributeValue", spec.signer_value)
    value.set(f"{{{XSI}}}type", "xs:string")
    _el(extension, CSIG, "IdentityProvider", spec.identity_provider, Format=ENTITY)
    _el(extension, CSIG, "SignRequester", spec.sign_requester, Format=ENTITY)
    _el(extension, CSIG, "SignService", spec.sign_service, Format=ENTITY)
    _el(extension, CSIG, "RequestedSignatureAlgorithm", RSA_SHA256)
    properties = _el(extension, CSIG, "CertRequestProperties", CertType="PKC")
    _el(properties, SAML, "AuthnContextClassRef", LOA3)
    requested = _el(properties, CSIG, "RequestedCertAttributes")
    for oid, friendly, saml_name in (
        ("2.5.4.5", "serialNumber", spec.signer_attribute),
        ("2.5.4.3", "commonName", DISPLAY_NAME),
    ):
        cert_attribute = _el(
            requested,
            CSIG,
            "RequestedCertAttribute",
            CertAttributeRef=oid,
            FriendlyName=friendly,
            Required="true",
        )
        _el(cert_attribute, CSIG, "SamlAttributeName", saml_name)
    message = _el(extension, CSIG, "SignMessage", MustShow="true", MimeType="text")
    _el(message, CSIG, "Message", base64.b64encode(spec.sign_message.encode()).decode())
    _el(optional, DS, "Signature", Id="placeholder")
    documents = _el(root, DSS, "InputDocuments")
    other = _el(documents, DSS, "Other")
    tasks = _el(other, CSIG, "SignTasks")
    task = _el(tasks, CSIG, "SignTaskData", SigType="PDF", AdESType="BES")
    task.set("SignTaskId", spec.sign_task_id)
    _el(task, CSIG, "ToBeSignedBytes", base64.b64encode(spec.to_be_signed).decode())
    return root


def sign_xml(root: etree._Element, key_pem: bytes, cert: x509.Certificate) -> bytes:
    """The document with an enveloped RSA-SHA256 signature at its placeholder."""
    signer = XMLSigner(
        method=SignatureConstructionMethod.enveloped,
        signature_algorithm="rsa-sha256",
        digest_algorithm="sha256",
        c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#",
    )
    signed = signer.sign(
        root, key=key_pem, cert=cert.public_bytes(serialization.Encoding.PEM).decode()
    )
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def verify_xml(data: bytes, cert: x509.Certificate) -> etree._Element:
    """The signed part of the document, verified against cert; ResponseRefused otherwise."""
    try:
        document = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise ResponseRefused(_l("Svaret från underskriftstjänsten är inte läsbar XML."), str(exc))
    try:
        verified = XMLVerifier().verify(
            document,
            x509_cert=cert.public_bytes(serialization.Encoding.PEM).decode(),
            expect_references=1,
        )
    except (InvalidSignature, InvalidInput) as exc:
        raise ResponseRefused(
            _l("Svaret är inte signerat av den konfigurerade underskriftstjänsten."), str(exc)
        ) from None
    if isinstance(verified, list):  # only with expect_references > 1
        raise ResponseRefused(_l("Svaret från underskriftstjänsten har flera signerade delar."))
    signed = verified.signed_xml
    if signed is None or signed.tag != document.tag:
        raise ResponseRefused(_l("Svaret från underskriftstjänsten är inte helt signerat."))
    return signed


def _one(root, path: str, what: LazyText):
    found = root.findall(path, NS)
    if len(found) != 1:
        raise ResponseRefused(
            _l("Svaret från underskriftstjänsten saknar %(what)s.", what=what), path
        )
    return found[0]


def _b64(text: str | None, what: LazyText) -> bytes:
    try:
        return base64.b64decode((text or "").strip(), validate=True)
    except ValueError:
        raise ResponseRefused(
            _l("Svaret från underskriftstjänsten har en trasig %(what)s.", what=what)
        ) from None


def _time(text: str | None) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat((text or "").strip().replace("Z", "+00:00"))
    except ValueError:
        raise ResponseRefused(_l("Svaret från underskriftstjänsten har en ogiltig tid.")) from None
    if moment.tzinfo is None:
        raise ResponseRefused(_l("Svaret från underskriftstjänsten har en tid utan tidszon."))
    return moment.astimezone(dt.timezone.utc)


def parse_sign_response(data: bytes, service_cert: x509.Certificate) -> SignResult:
    """A SignResponse read from its verified signed part only; ResponseRefused otherwise."""
    if len(data) > MAX_RESPONSE_BYTES:
        raise ResponseRefused(_l("Svaret från underskriftstjänsten är för stort."))
    root = verify_xml(data, service_cert)
    if root.tag != f"{{{DSS}}}SignResponse" or root.get("Profile") != PROFILE:
        raise ResponseRefused(_l("Svaret är inte ett SignResponse enligt Sweden Connect."))
    major = _one(root, "dss:Result/dss:ResultMajor", _l("resultat"))
    if (major.text or "").strip() != SUCCESS:
        message = root.findtext("dss:Result/dss:ResultMessage", "", NS).strip()
        raise ResponseRefused(
            (
                _l("Underskriftstjänsten skrev inte under: %(message)s", message=message[:200])
                if message
                else _l("Underskriftstjänsten skrev inte under.")
            ),
            (major.text or "").strip(),
        )
    extension = _one(root, "dss:OptionalOutputs/csig:SignResponseExtension", _l("svarstillägg"))
    attributes: dict[str, str] = {}
    for attribute in extension.findall(
        "csig:SignerAssertionInfo/saml:AttributeStatement/saml:Attribute", NS
    ):
        name = attribute.get("Name") or ""
        values = [(v.text or "").strip() for v in attribute.findall("saml:AttributeValue", NS)]
        if name in attributes or len(values) != 1:
            raise ResponseRefused(
                _l("Svaret från underskriftstjänsten har tvetydiga attribut."), name
            )
        attributes[name] = values[0]
    chain = []
    for element in extension.findall("csig:SignatureCertificateChain/csig:X509Certificate", NS):
        try:
            chain.append(x509.load_der_x509_certificate(_b64(element.text, _l("certifikatkedja"))))
        except ValueError:
            raise ResponseRefused(
                _l("Svaret från underskriftstjänsten har ett trasigt certifikat.")
            )
    if not chain:
        raise ResponseRefused(_l("Svaret från underskriftstjänsten saknar certifikat."))
    task = _one(
        root, "dss:SignatureObject/dss:Other/csig:SignTasks/csig:SignTaskData", _l("signatur")
    )
    signature = _one(task, "csig:Base64Signature", _l("signaturvärde"))
    if signature.get("Type") not in (None, RSA_SHA256):
        raise ResponseRefused(_l("Underskriftstjänsten använde en annan signaturalgoritm."))
    return SignResult(
        request_id=root.get("RequestID") or "",
        response_time=_time(_one(extension, "csig:ResponseTime", _l("svarstid")).text),
        attributes=attributes,
        sign_task_id=task.get("SignTaskId") or "",
        to_be_signed=_b64(_one(task, "csig:ToBeSignedBytes", _l("data")).text, _l("data")),
        signature=_b64(signature.text, _l("signatur")),
        chain=tuple(chain),
    )
