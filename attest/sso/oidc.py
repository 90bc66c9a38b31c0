"""OpenID Connect sign-in with Authlib: authorization code with PKCE, discovery from the
issuer, the ID token's signature, issuer, audience, nonce and expiry checked.

Authlib checks ``aud`` only when ``claims_options`` names it, and passing
``claims_options`` drops its default issuer check: both are named below, and checked again
here after Authlib, with the signing algorithm (never ``none``) and the nonce.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from typing import TYPE_CHECKING, Any

import requests
from flask import Flask, abort, current_app, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from attest import clock
from attest.sso import identity, views
from attest.sso.identity import PROTOCOL_REFUSED, Authentication
from attest.sso.views import bp

if TYPE_CHECKING:
    from authlib.integrations.flask_client import OAuth

# Authlib is imported where OIDC is used, not with the app: most installations have no OIDC
# provider, and every process (each gunicorn worker, each `attest` command) would pay for it.

# Asymmetric signatures only: "none" and the HMAC family (keyed with the client secret,
# which is not the provider's key) are refused whatever the discovery document offers.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
LEEWAY_SECONDS = 30  # clock skew allowed on exp/iat
NONCE = "sso_oidc_nonce"


def init_app(app: Flask) -> None:
    """Register the provider's client when OIDC_ISSUER is set; one client per app."""
    config = app.config
    if not config.get("OIDC_ISSUER"):
        return
    from authlib.integrations.flask_client import OAuth

    oauth = OAuth(app)
    oauth.register(
        "oidc",
        client_id=config["OIDC_CLIENT_ID"],
        client_secret=config["OIDC_CLIENT_SECRET"],
        server_metadata_url=issuer(config) + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": config["OIDC_SCOPE"],
            "code_challenge_method": "S256",
            "timeout": config["OIDC_TIMEOUT_SECONDS"],
        },
    )
    views.STEP_UP_STARTERS["oidc"] = start_step_up


def issuer(config: Any = None) -> str:
    return str((config or current_app.config)["OIDC_ISSUER"]).rstrip("/")


def provider_name() -> str:
    return "oidc:" + issuer()


def _client():
    oauth: OAuth = current_app.extensions["authlib.integrations.flask_client"]
    return oauth.create_client("oidc")


def _redirect(**extra: str) -> Response:
    from authlib.common.errors import AuthlibBaseError

    nonce = secrets.token_urlsafe(24)
    session[NONCE] = nonce
    callback = url_for("sso.oidc_callback", _external=True)
    try:
        return _client().authorize_redirect(callback, nonce=nonce, **extra)
    except (AuthlibBaseError, requests.RequestException, ValueError, RuntimeError) as exc:
        raise identity.refuse(
            "oidc_discovery",
            PROTOCOL_REFUSED,
            data={"provider": provider_name(), "detail": str(exc)[:300]},
        ) from None


@bp.route("/oidc/login")
def oidc_login():
    """ "Logga in med …": to the provider (a GET: a form POST would break form-action)."""
    if not current_app.config.get("OIDC_ISSUER"):
        abort(404)  # no OIDC provider here: there is no such button either
    nxt = request.args.get("next")
    if nxt:
        session[views.NEXT] = nxt
    return _redirect()


def start_step_up(token: str) -> Response:
    """A fresh authentication for an attestation: prompt=login, max_age=0, acr_values."""
    extra = {"prompt": "login", "max_age": "0"}
    acr = current_app.config.get("OIDC_ACR_VALUES")
    if acr:
        extra["acr_values"] = acr
    return _redirect(**extra)


@bp.route("/oidc/callback")
def oidc_callback():
    """The provider's answer: a sign-in, or the step-up under way."""
    if not current_app.config.get("OIDC_ISSUER"):
        abort(404)
    step_up = bool(session.get(views.STEP_UP)) and current_user.is_authenticated
    auth, logout_url = authenticate(step_up)
    if step_up:
        return views.finish_step_up(auth)
    return views.finish_sign_in(auth, logout_url=logout_url)


def authenticate(step_up: bool = False) -> tuple[Authentication, str | None]:
    """The Authentication of the provider's answer to this request; SsoRefused otherwise."""
    from authlib.common.errors import AuthlibBaseError
    from joserfc.errors import JoseError

    expected_nonce = session.pop(NONCE, None)
    client = _client()
    data: dict[str, Any] = {"provider": provider_name()}
    if request.args.get("error"):
        data["error"] = request.args.get("error", "")[:100]
        raise identity.refuse("oidc_error", PROTOCOL_REFUSED, data=data)
    claims_options = {
        "iss": {"essential": True, "value": issuer()},
        "aud": {"essential": True, "value": current_app.config["OIDC_CLIENT_ID"]},
        "exp": {"essential": True},
        "sub": {"essential": True},
    }
    try:
        token = client.authorize_access_token(claims_options=claims_options, leeway=LEEWAY_SECONDS)
    except (AuthlibBaseError, JoseError, requests.RequestException, ValueError, KeyError) as exc:
        data["detail"] = f"{type(exc).__name__}: {exc}"[:300]
        raise identity.refuse("oidc_token", PROTOCOL_REFUSED, data=data) from None
    id_token = token.get("id_token")
    claims = token.get("userinfo")
    if not id_token or not claims:
        raise identity.refuse("oidc_no_id_token", PROTOCOL_REFUSED, data=data)
    _check(id_token, dict(claims), expected_nonce, data)
    logout_url = _logout_url(client)
    return _authentication(dict(claims), step_up), logout_url


def _check(id_token: str, claims: dict[str, Any], nonce: str | None, data: dict) -> None:
    """The checks that must not depend on how Authlib was called."""
    header = json.loads(_b64(id_token.split(".")[0]))
    now = clock.now().timestamp()
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else list(audience or [])
    client_id = current_app.config["OIDC_CLIENT_ID"]
    failures = [
        ("alg", header.get("alg") not in ALGORITHMS),
        ("iss", claims.get("iss") != issuer()),
        ("aud", client_id not in audiences),
        ("azp", len(audiences) > 1 and claims.get("azp") != client_id),
        (
            "exp",
            not isinstance(claims.get("exp"), (int, float)) or claims["exp"] + LEEWAY_SECONDS < now,
        ),
        ("nonce", not nonce or claims.get("nonce") != nonce),
        ("sub", not claims.get("sub")),
    ]
    for name, failed in failures:
        if failed:
            raise identity.refuse(f"oidc_{name}", PROTOCOL_REFUSED, data=data)


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _authentication(claims: dict[str, Any], step_up: bool) -> Authentication:
    # A step-up counts only an auth_time the provider states (none: the epoch, refused as
    # older than the attempt); a sign-in may fall back to the token's issue time.
    moment = claims.get("auth_time") or (0 if step_up else claims.get("iat")) or 0
    number = claims.get(current_app.config["OIDC_EMPLOYEE_NUMBER_CLAIM"])
    return Authentication(
        provider=provider_name(),
        subject=str(claims["sub"]),
        email=claims.get("email") if claims.get("email_verified", True) else None,
        employee_number=str(number) if number else None,
        name=claims.get("name"),
        auth_time=dt.datetime.fromtimestamp(int(moment), dt.timezone.utc),
        context=claims.get("acr"),
    )


def _logout_url(client) -> str | None:
    """The provider's end_session_endpoint (RP-initiated logout), where discovery has one."""
    endpoint = client.load_server_metadata().get("end_session_endpoint")
    if not endpoint:
        return None
    from urllib.parse import urlencode

    query = urlencode(
        {
            "client_id": current_app.config["OIDC_CLIENT_ID"],
            "post_logout_redirect_uri": url_for("auth.login", _external=True),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
