"""A real SAML 2.0 IdP for the tests, built on pysaml2's server side (saml2.server.Server).

Its keys are made at test time (never committed). It reads attest's signed AuthnRequests
(HTTP-Redirect: the query-string signature is checked against the SP's metadata) and
answers with a signed assertion for the HTTP-POST binding. It can be told to misbehave:
leave the assertion unsigned, sign with another key, name another audience or recipient,
claim an old AuthnInstant or another context. ``answer`` drives it in-process; ``serve``
puts it on 127.0.0.1 for a browser, with a page whose button posts the answer to the ACS.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import html
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.support.browser import Person

PASSWORD_CONTEXT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
# What a step-up asks for in the tests (e.g. a multi-factor class of the federation).
STRONG_CONTEXT = "http://id.elegnamnden.se/loa/1.0/loa3"

# The avdelningschef of the SAML journeys: made by the administrator, never enrolled with a
# password, she signs in at the IdP (tests/e2e/conftest.py, saml_live).
CHEF = Person("saml-chef", "Jenny Johansson", password="")


def make_key_pair(directory: Path, name: str) -> tuple[Path, Path]:
    """An RSA key (PEM, unencrypted: xmlsec1 reads it) and a self-signed certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


@dataclass
class Request_:
    """What the IdP read from an AuthnRequest."""

    id: str
    acs_url: str
    sp_entity_id: str
    force_authn: bool
    contexts: list[str]
    relay_state: str | None


@dataclass
class Answer:
    acs_url: str
    saml_response: str
    relay_state: str | None

    def form(self) -> dict[str, str]:
        fields = {"SAMLResponse": self.saml_response}
        if self.relay_state:
            fields["RelayState"] = self.relay_state
        return fields


@dataclass
class SamlIdp:
    directory: Path
    base_url: str = "http://127.0.0.1:9/idp"
    # The person who "logs in" at the IdP, and when they last did (a session at the IdP).
    subject: str = "anna.andersson"
    attributes: dict[str, list[str]] = field(default_factory=dict)
    logged_in_at: dt.datetime | None = None
    requests: list[Request_] = field(default_factory=list)
    _servers: dict[str, Server] = field(default_factory=dict)
    _sp_metadata: str | None = None

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.key, self.cert = make_key_pair(self.directory, "idp")
        self.rogue_key, self.rogue_cert = make_key_pair(self.directory, "rogue-idp")
        self.metadata_path = self.directory / "idp-metadata.xml"
        self.metadata_path.write_text(self._metadata(), encoding="utf-8")

    @property
    def entity_id(self) -> str:
        return self.base_url + "/metadata"

    @property
    def sso_url(self) -> str:
        return self.base_url + "/sso"

    def _settings(self, *, rogue: bool = False) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "entityid": self.entity_id,
            "key_file": str(self.rogue_key if rogue else self.key),
            "cert_file": str(self.rogue_cert if rogue else self.cert),
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [(self.sso_url, BINDING_HTTP_REDIRECT)]
                    },
                    "want_authn_requests_signed": True,
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": 5},
                            "attribute_restrictions": None,
                        }
                    },
                    "signing_algorithm": SIG_RSA_SHA256,
                    "digest_algorithm": DIGEST_SHA256,
                }
            },
        }
        if self._sp_metadata:
            settings["metadata"] = {"inline": [self._sp_metadata]}
        return settings

    def _metadata(self) -> str:
        config = IdPConfig()
        config.load(self._settings())
        return create_metadata_string(None, config=config, valid=None).decode()

    def trust_sp(self, sp_metadata: str) -> None:
        """Read the SP's metadata (attest's /saml/metadata): its key and its ACS."""
        if sp_metadata != self._sp_metadata:  # reading the schema again costs a second
            self._sp_metadata = sp_metadata
            self._servers.clear()

    def _server(self, *, rogue: bool = False) -> Server:
        name = "rogue" if rogue else "own"
        if name not in self._servers:
            config = IdPConfig()
            config.load(self._settings(rogue=rogue))
            self._servers[name] = Server(config=config)
        return self._servers[name]

    def read_request(self, location: str) -> Request_:
        """The AuthnRequest of a redirect to the IdP; its signature is checked."""
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        parsed = self._server().parse_authn_request(
            query["SAMLRequest"],
            BINDING_HTTP_REDIRECT,
            relay_state=query.get("RelayState"),
            sigalg=query.get("SigAlg"),
            signature=query.get("Signature"),
        )
        if not parsed.signature_check(parsed.xmlstr):  # pragma: no cover - must not happen
            raise AssertionError("the AuthnRequest's signature did not verify")
        message = parsed.message
        requested = message.requested_authn_context
        contexts = [ref.text for ref in requested.authn_context_class_ref] if requested else []
        request = Request_(
            id=message.id,
            acs_url=message.assertion_consumer_service_url,
            sp_entity_id=message.issuer.text,
            force_authn=message.force_authn == "true",
            contexts=contexts,
            relay_state=query.get("RelayState"),
        )
        self.requests.append(request)
        return request

    def answer(
        self,
        location: str,
        *,
        sign: bool = True,
        rogue_key: bool = False,
        audience: str | None = None,
        recipient: str | None = None,
        authn_instant: dt.datetime | None = None,
        context: str | None = None,
        subject: str | None = None,
        in_response_to: str | None = None,
    ) -> Answer:
        """The response to the AuthnRequest in ``location``; well-behaved unless told."""
        request = self.read_request(location)
        now = dt.datetime.now(dt.timezone.utc)
        if request.force_authn or self.logged_in_at is None:
            self.logged_in_at = now  # the person authenticates (again) at the IdP
        instant = authn_instant or self.logged_in_at
        chosen_context = context or (request.contexts[0] if request.contexts else PASSWORD_CONTEXT)
        acs = recipient or request.acs_url
        server = self._server(rogue=rogue_key)
        response = server.create_authn_response(
            identity=self.attributes,
            in_response_to=in_response_to or request.id,
            destination=acs,
            sp_entity_id=audience or request.sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=subject or self.subject),
            authn={"class_ref": chosen_context, "authn_instant": int(instant.timestamp())},
            sign_assertion=sign,
            sign_response=False,
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
        # Not pysaml2's own POST form (it submits itself with an inline script): the fields.
        encoded = base64.b64encode(str(response).encode()).decode()
        return Answer(request.acs_url, encoded, request.relay_state)

    # --- on 127.0.0.1, for a browser -----------------------------------------------------

    @contextlib.contextmanager
    def serve(self) -> Iterator[SamlIdp]:
        """Serve /idp/sso on base_url's port: a page naming the person, whose button posts
        the answer to the ACS (as an IdP's page does after its login)."""
        port = urllib.parse.urlsplit(self.base_url).port
        server = make_server("127.0.0.1", port or 80, self._wsgi, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            thread.join(timeout=5)

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path != "/idp/sso":
            return Response("not found", status=404)(environ, start_response)
        answer = self.answer(request.url)
        inputs = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in answer.form().items()
        )
        page = (
            "<!doctype html><html lang='sv'><head><title>Test-IdP</title></head><body>"
            f"<h1>Test-IdP</h1><p>Inloggad som {html.escape(self.subject)}</p>"
            f"<form method='post' action='{html.escape(answer.acs_url)}'>{inputs}"
            "<button type='submit'>Fortsätt till attest</button></form></body></html>"
        )
        return Response(page, mimetype="text/html")(environ, start_response)
