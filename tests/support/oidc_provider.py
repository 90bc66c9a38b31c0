"""A real OpenID Connect provider for the tests, built with Authlib's server side:
authorization code with PKCE (AuthorizationCodeGrant + CodeChallenge + OpenIDCode), a JWKS,
a discovery document and an end_session_endpoint, served by werkzeug on 127.0.0.1.

It signs in whoever ``provider.person`` is, at once (no login page of its own), and can be
told to misbehave per test through ``provider.behaviour``: another issuer or audience, a
wrong nonce, an expired or unsigned token, a token signed with another key, an old
auth_time, no acr.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import os
import secrets
import time
from typing import Any, Iterator

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify, request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from tests.support.servers import thread_server

# The provider runs on plain http on 127.0.0.1; Authlib's server refuses that otherwise.
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")

CLIENT_ID = "attest-test"
CLIENT_SECRET = "attest-test-secret"
HIGH = "urn:attest:test:loa3"


@dataclasses.dataclass
class Person:
    sub: str = "oidc-sub-jenny"
    email: str | None = "jenny.johansson@example.se"
    name: str | None = "Jenny Johansson"
    employee_number: str | None = None


@dataclasses.dataclass
class Behaviour:
    """How the next ID tokens are made; the defaults are a well-behaved provider."""

    issuer: str | None = None  # another "iss"
    audience: str | None = None  # another "aud"
    nonce: str | None = None  # another "nonce" than the client sent
    expires_in: int = 300  # negative: expired
    alg: str = "RS256"  # "none": unsigned
    wrong_key: bool = False  # signed with a key not in the JWKS
    auth_time: int | None = None  # seconds since the epoch; None: now
    acr: str | None = HIGH  # None: no acr claim


@dataclasses.dataclass
class _Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int
    acr: str | None
    person: Person

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str | None:
        return self.acr

    def get_amr(self) -> None:
        return None


class _Client:
    def get_client_id(self) -> str:
        return CLIENT_ID

    def get_default_redirect_uri(self) -> str:
        return ""

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return True

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, CLIENT_SECRET)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Provider:
    """The provider's state, read by its handlers; tests change ``person`` and ``behaviour``."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-1", "use": "sig"})
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "test-1"})
        self.url = ""
        self.person = Person()
        self.behaviour = Behaviour()
        self.codes: dict[str, _Code] = {}
        self.requests: list[dict[str, str]] = []  # the authorization requests' parameters
        self.logouts: list[dict[str, str]] = []

    def reset(self) -> None:
        self.person = Person()
        self.behaviour = Behaviour()
        self.requests.clear()
        self.logouts.clear()

    def id_token(self, code: _Code) -> str:
        b = self.behaviour
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": b.issuer or self.url,
            "aud": b.audience or CLIENT_ID,
            "sub": code.person.sub,
            "iat": now,
            "exp": now + b.expires_in,
            "auth_time": code.auth_time,
            "nonce": b.nonce or code.nonce,
        }
        if code.acr:
            claims["acr"] = code.acr
        for name in ("email", "name", "employee_number"):
            if getattr(code.person, name):
                claims[name] = getattr(code.person, name)
        if b.alg == "none":  # what an attacker would send: no signature at all
            header = _b64(json.dumps({"alg": "none"}).encode())
            return f"{header}.{_b64(json.dumps(claims).encode())}."
        key = self.other_key if b.wrong_key else self.key
        return jwt.encode({"alg": b.alg, "kid": "test-1"}, claims, key)


def _app(provider: Provider) -> Flask:
    app = Flask("oidc_provider")
    server = AuthorizationServer(app, query_client=lambda client_id: _Client(), save_token=None)
    server.save_token = lambda token, request: None  # type: ignore[method-assign]

    class Grant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

        def save_authorization_code(self, code: str, req: Any) -> None:
            data = req.payload.data
            b = provider.behaviour
            provider.codes[code] = _Code(
                code=code,
                client_id=CLIENT_ID,
                redirect_uri=req.payload.redirect_uri,
                scope=req.payload.scope,
                nonce=data.get("nonce"),
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                auth_time=b.auth_time if b.auth_time is not None else int(time.time()),
                acr=b.acr,
                person=provider.person,
            )

        def query_authorization_code(self, code: str, client: Any) -> _Code | None:
            return provider.codes.get(code)

        def delete_authorization_code(self, authorization_code: _Code) -> None:
            provider.codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code: _Code) -> Person:
            return authorization_code.person

    class Code(OpenIDCode):
        def exists_nonce(self, nonce: str, req: Any) -> bool:
            return any(c.nonce == nonce for c in provider.codes.values())

        def generate_user_info(self, user: Person, scope: str) -> UserInfo:
            return UserInfo(sub=user.sub)

        def encode_id_token(self, token: dict, req: Any) -> str:
            # Made by the provider's state, so a test can make it misbehave.
            return provider.id_token(req.authorization_code)

    server.register_grant(Grant, [CodeChallenge(required=True), Code(require_nonce=True)])

    @app.get("/.well-known/openid-configuration")
    def discovery():
        algs = ["RS256", "none"] if provider.behaviour.alg == "none" else ["RS256"]
        return jsonify(
            issuer=provider.url,
            authorization_endpoint=provider.url + "/authorize",
            token_endpoint=provider.url + "/token",
            jwks_uri=provider.url + "/jwks",
            end_session_endpoint=provider.url + "/logout",
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=algs,
            code_challenge_methods_supported=["S256"],
            acr_values_supported=[HIGH],
        )

    @app.get("/jwks")
    def jwks():
        return jsonify(KeySet([provider.key]).as_dict(private=False))

    @app.get("/authorize")
    def authorize():
        provider.requests.append(dict(request.args))
        grant = server.get_consent_grant(end_user=provider.person)
        return server.create_authorization_response(grant=grant, grant_user=provider.person)

    @app.post("/token")
    def token():
        return server.create_token_response()

    @app.get("/logout")
    def logout():
        provider.logouts.append(dict(request.args))
        return "<!doctype html><title>Utloggad</title><h1>Utloggad hos leverantören</h1>"

    return app


@contextlib.contextmanager
def running_provider() -> Iterator[Provider]:
    provider = Provider()
    with thread_server(_app(provider)) as url:
        provider.url = url
        yield provider


def follow(client, provider: Provider, response, limit: int = 10):
    """Follow redirects as a browser would: attest's through the test client, the
    provider's over real HTTP (its answer leads back to attest's callback)."""
    from urllib.parse import urlsplit

    import requests

    for _ in range(limit):
        if response.status_code not in (301, 302, 303, 307):
            return response
        location = response.headers["Location"]
        if location.startswith(provider.url):
            answer = requests.get(location, allow_redirects=False, timeout=10)
            assert answer.status_code in (302, 303), answer.text
            location = answer.headers["Location"]
        parts = urlsplit(location)
        response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
    raise AssertionError("too many redirects")
