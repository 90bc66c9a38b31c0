"""Configuration: defaults, the instance file, ATTEST_* environment variables, checks.

Order (later wins): DEFAULTS, ``<instance>/attest.cfg``, environment variables with the
prefix ``ATTEST_`` (``ATTEST_DATABASE_URL`` sets ``DATABASE_URL``), then the mapping a
test passes to ``create_app``.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any, Mapping

from flask import Flask

log = logging.getLogger(__name__)

CONFIG_FILENAME = "attest.cfg"

DEFAULTS: dict[str, Any] = {
    # SECRET_KEY has no default: see REQUIRED.
    "KEY_PASSPHRASE": None,  # encrypts the organisations' CA, seal and TSA keys
    # "pades": every attestation is a personal PAdES signature (the product). "record-only"
    # records attestations without signing: for tests of the workflow alone; warns loudly.
    "SIGNING": "pades",
    "KEYS_DIR": None,  # None -> <instance>/keys (a checkout also gets keys/<CODE>-ca.pem)
    "KEY_KDF_ROUNDS": 600_000,  # PBKDF2-SHA256 rounds protecting personal and organisation keys
    "CERT_VALIDITY_DAYS": 1095,
    # Organisation keys in an HSM (attest keys init --pkcs11): the PKCS#11 module (.so),
    # the token's label and the user PIN. Only organisations whose keys were made there use it.
    "PKCS11_MODULE": None,
    "PKCS11_TOKEN": None,
    "PKCS11_PIN": None,
    "PKCS11_KEY_BITS": 3072,  # RSA size of keys generated in the token (some HSMs want 4096)
    "TSA_URL": None,  # an external RFC 3161 service; None -> the organisation's own TSA
    "TSA_USERNAME": None,
    "TSA_PASSWORD": None,
    # The organisations' own TSA over HTTP (/tsa/<CODE>) for other systems: off unless
    # enabled, and then only for the users named here ({"name": "<argon2id hash>"}), each at
    # most TSA_HTTP_RATE_PER_MINUTE tokens a minute. attest itself timestamps in-process.
    "TSA_HTTP_ENABLED": False,
    "TSA_HTTP_USERS": {},
    "TSA_HTTP_RATE_PER_MINUTE": 60,
    # Verification refuses files with more signatures or revisions than this (the page
    # answers 422), before validating any: the cost grows with both.
    "VERIFY_MAX_SIGNATURES": 50,
    # /v/<code> answers anyone holding an attested memo (no login): each look or uploaded
    # copy from one address counts, at most this many a minute (429 beyond). Each one
    # verifies a PDF, so this bounds what an address can make the servers do.
    "PUBLIC_VERIFY_RATE_PER_MINUTE": 20,
    "DATABASE_URL": None,  # None -> SQLite in the instance folder
    "DATABASE_POOL_SIZE": 5,  # connections kept per process (PostgreSQL)
    "DATABASE_MAX_OVERFLOW": 10,  # extra connections under load
    # PostgreSQL: a connection prepares a statement it has run five times and keeps it
    # (attest.db). Off for a pooler in between that cannot keep them (PgBouncer in
    # transaction mode before 1.21, or without max_prepared_statements).
    "DATABASE_PREPARED_STATEMENTS": True,
    "PASSWORD_MIN_LENGTH": 12,
    # An enrolment link (a new person, or after a reset) is valid this long.
    "ENROLMENT_HOURS": 72,
    # A password an administrator set (--password-stdin) lets the person log in, but never
    # unlocks a signing key: they choose their own before their first attestation. The
    # development configuration that `attest init` writes turns it off, for the demo.
    "REQUIRE_OWN_PASSWORD": True,
    # argon2id cost; the defaults follow argon2-cffi's RFC 9106 low-memory profile.
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65536,
    "ARGON2_PARALLELISM": 4,
    "BILAGA_MAX_BYTES": 20 * 1024 * 1024,
    "BILAGA_MAX_PAGES": 500,
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,  # True forces it; otherwise set when the request is https
    "SESSION_COOKIE_NAME": "attest_session",
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    # A login session ends after this long without a request, and this long after the
    # login (or the last re-authentication, i.e. an attestation) whatever happens.
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_MAX_HOURS": 12,
    # A form posted after its session ended (a return comment, a draft) is kept this long,
    # up to this size, and filled in again after the person logs in (attest.auth.stash).
    "FORM_STASH_MINUTES": 60,
    "FORM_STASH_MAX_BYTES": 512 * 1024,
    # Password attempts (login and the attest password): after this many failures within
    # the window, further attempts get 429 until the oldest of them is out of the window,
    # i.e. at most LOGIN_FAILURE_WINDOW_MINUTES; counted per username and per address.
    "LOGIN_MAX_FAILURES": 10,
    # Well above the per-person limit: many people reach the app from one address (an
    # office's NAT), and one person's typos must not lock out the office.
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 100,
    "LOGIN_FAILURE_WINDOW_MINUTES": 15,
    # A browser where a person logged in is a known device of theirs for this long: its
    # attempts count apart from everyone else's (attest.auth.ratelimit).
    "DEVICE_COOKIE_DAYS": 365,
    "TRUSTED_PROXY_COUNT": 0,
    "BASE_URL": "http://127.0.0.1:5000",  # links in e-mails
    # Notifications: with no MAIL_SERVER the mails stay in the outbox table.
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_FROM": "attest@localhost",
    "REMIND_AFTER_HOURS": 48,
    # While an acting substitute (t.f.) stands in for the step's person, "Att attestera"
    # goes to the substitute; with this on, the absent person gets a copy.
    "SUBSTITUTE_MAIL_COPY_TO_ABSENT": True,
    # The outbox worker (attest worker): it looks for work this often when idle; it runs
    # the reminders this often; a message it claimed is its own for the lease, after which
    # another worker may take it (a worker that died). The lease must outlast any one send.
    "WORKER_POLL_SECONDS": 2,
    "WORKER_SEND_TIMEOUT_SECONDS": 10,  # SMTP and webhook connections
    "WORKER_LEASE_SECONDS": 300,
    "REMIND_EVERY_MINUTES": 60,
    # Webhook targets on loopback, private or link-local addresses (and plain http) are
    # refused unless this is set: a webhook must not become a way into the internal network.
    "WEBHOOK_ALLOW_PRIVATE": False,
    "REGISTER_PAGE_SIZE": 25,
    # A list (register, worklist, outbox) counts at most this many rows, then says "fler än".
    "LIST_COUNT_LIMIT": 500,
    # Sign-in through the organisation's identity provider (attest.sso, docs/sso.md).
    # The local form (username and password) beside the provider's button; false: only the
    # provider's (needs one configured).
    "LOCAL_LOGIN": True,
    # A first sign-in that matches nobody (by e-mail or employee number) creates a person
    # with no roles, in SSO_ORGANISATION (its code; or the only organisation there is).
    "SSO_CREATE_PEOPLE": False,
    "SSO_ORGANISATION": None,
    # The authentication context (OIDC acr, SAML AuthnContextClassRef; several separated by
    # spaces) a step-up must have for an attestation, unless the protocol names its own.
    "SSO_REQUIRED_CONTEXT": None,
    "SSO_STEP_UP_MINUTES": 5,  # a step-up is good for one attestation within this long
    "SIGNING_PIN_MIN_LENGTH": 6,
    # OpenID Connect: the issuer (discovery at <issuer>/.well-known/openid-configuration),
    # the client registered there, and the button's text ("Logga in med <OIDC_NAME>").
    "OIDC_ISSUER": None,
    "OIDC_CLIENT_ID": None,
    "OIDC_CLIENT_SECRET": None,
    "OIDC_NAME": "organisationens inloggning",
    "OIDC_SCOPE": "openid email profile",
    # acr_values asked for at a step-up, and required in its answer (space separated).
    "OIDC_ACR_VALUES": None,
    "OIDC_EMPLOYEE_NUMBER_CLAIM": "employee_number",
    "OIDC_TIMEOUT_SECONDS": 10,  # each request to the provider (discovery, token, keys)
    # The Sweden Connect signature service (attest.signservice), for the people whose
    # signing method is "signservice": its URL (where the browser posts the SignRequest)
    # and entity id, our entity id as its SignRequester, our signing key and certificate
    # (PEM files; the key encrypted under SIGNSERVICE_SP_KEY_PASSWORD), the certificate the
    # service signs its responses with, the CA that issues its signature certificates (the
    # row trust anchor), the identity provider the signer logs in at, and the SAML
    # attribute that names the person (the personnummer by default).
    "SIGNSERVICE_URL": None,
    "SIGNSERVICE_ENTITY_ID": None,
    "SIGNSERVICE_SP_ENTITY_ID": None,
    "SIGNSERVICE_SP_KEY": None,
    "SIGNSERVICE_SP_KEY_PASSWORD": None,
    "SIGNSERVICE_SP_CERT": None,
    "SIGNSERVICE_CERT": None,
    "SIGNSERVICE_CA": None,
    "SIGNSERVICE_IDP": None,
    "SIGNSERVICE_ID_ATTRIBUTE": "urn:oid:1.2.752.29.4.13",
    # A SignRequest must be answered within this long, and a response be this fresh.
    "SIGNSERVICE_MAX_AGE_SECONDS": 300,
    "BLOB_DIR": None,  # None -> PDFs and bilagor in the database; else files in this folder
    # pdf.js (the pdfjs-dist package) that the memo page draws the PDF with; None -> the
    # checkout's node_modules/pdfjs-dist, which `make run` installs with npm.
    "PDFJS_DIR": None,
    # SAML 2.0 sign-in (attest.saml): on when the IdP's metadata file is set; the SP's own
    # signing key and certificate (PEM files) sign the AuthnRequests. The entity id is
    # BASE_URL + /saml/metadata unless set. A person's subject is the NameID, or the
    # attribute named here (e.g. an employee number); the first sign-in matches a person on
    # the e-mail or employee-number attribute. A step-up at attestation asks the IdP for a
    # fresh authentication in these context classes (space separated; none: any).
    "SAML_IDP_METADATA": None,
    "SAML_SP_KEY": None,
    "SAML_SP_CERT": None,
    "SAML_NAME": "SAML",
    "SAML_ENTITY_ID": None,
    "SAML_SUBJECT_ATTRIBUTE": None,
    "SAML_EMAIL_ATTRIBUTE": "mail",
    "SAML_EMPLOYEE_NUMBER_ATTRIBUTE": "employeeNumber",
    "SAML_AUTHN_CONTEXT": None,
    # An AuthnRequest is answered within this long, or not at all.
    "SAML_REQUEST_MINUTES": 10,
    "LOG_LEVEL": "INFO",
}

REQUIRED = ("SECRET_KEY",)


class ConfigError(RuntimeError):
    """The configuration cannot run the application."""


def load(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    app.config.update(DEFAULTS)
    app.config.from_pyfile(CONFIG_FILENAME, silent=True)
    app.config.from_prefixed_env("ATTEST", loads=_loads)
    if test_config is not None:
        app.config.update(test_config)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "attest.sqlite")
    _warn_unknown(app.config)
    check(app.config)


def _loads(value: str) -> Any:
    # Like Flask's default (JSON), but a bare string stays a string.
    import json

    try:
        return json.loads(value)
    except ValueError:
        return value


# Environment variables that are read elsewhere, not configuration keys.
_KNOWN_ENV = {"ATTEST_INSTANCE_PATH", "ATTEST_TEST_DATABASE_URL"}


def _warn_unknown(config: Mapping[str, Any]) -> None:
    for key in os.environ:
        name = key.removeprefix("ATTEST_")
        if key.startswith("ATTEST_") and key not in _KNOWN_ENV and name not in DEFAULTS:
            if name not in REQUIRED:
                log.warning("unknown configuration variable %s", key)


def check(config: Mapping[str, Any]) -> None:
    missing = [key for key in REQUIRED if not config.get(key)]
    if missing:
        names = ", ".join(f"ATTEST_{key}" for key in missing)
        raise ConfigError(
            f"Konfiguration saknas: {names}. Sätt miljövariabeln eller kör "
            "'attest init' för en utvecklingsinstans."
        )
    if config["SIGNING"] not in ("pades", "record-only"):
        raise ConfigError("SIGNING måste vara 'pades' eller 'record-only'.")
    if config["PASSWORD_MIN_LENGTH"] < 8:
        raise ConfigError("PASSWORD_MIN_LENGTH måste vara minst 8.")
    if config["WORKER_LEASE_SECONDS"] < 3 * config["WORKER_SEND_TIMEOUT_SECONDS"]:
        # A lease shorter than a send would let a second worker send the message again.
        raise ConfigError(
            "WORKER_LEASE_SECONDS måste vara minst tre gånger WORKER_SEND_TIMEOUT_SECONDS."
        )
    if config["OIDC_ISSUER"] and not config["OIDC_CLIENT_ID"]:
        raise ConfigError("OIDC_ISSUER kräver OIDC_CLIENT_ID.")
    if not config["LOCAL_LOGIN"] and not any(sso_providers(config)):
        raise ConfigError("LOCAL_LOGIN = false kräver en identitetsleverantör (OIDC eller SAML).")
    if config["SIGNING_PIN_MIN_LENGTH"] < 6:
        raise ConfigError("SIGNING_PIN_MIN_LENGTH måste vara minst 6.")
    if config["SIGNSERVICE_URL"]:
        wanted = (
            "SIGNSERVICE_ENTITY_ID",
            "SIGNSERVICE_SP_ENTITY_ID",
            "SIGNSERVICE_SP_KEY",
            "SIGNSERVICE_SP_CERT",
            "SIGNSERVICE_CERT",
            "SIGNSERVICE_CA",
            "SIGNSERVICE_IDP",
        )
        absent = [f"ATTEST_{key}" for key in wanted if not config.get(key)]
        if absent:
            raise ConfigError(f"SIGNSERVICE_URL kräver även {', '.join(absent)}.")
    users = config["TSA_HTTP_USERS"] or {}
    if not isinstance(users, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.startswith("$argon2")
        for k, v in users.items()
    ):
        raise ConfigError(
            "TSA_HTTP_USERS ska vara ett JSON-objekt av användarnamn och argon2id-hashar."
        )
    if config.get("SAML_IDP_METADATA"):
        for key in ("SAML_SP_KEY", "SAML_SP_CERT"):
            if not config.get(key) or not os.path.isfile(config[key]):
                raise ConfigError(f"SAML kräver ATTEST_{key}: sökvägen till en PEM-fil.")
        if not os.path.isfile(config["SAML_IDP_METADATA"]):
            raise ConfigError("ATTEST_SAML_IDP_METADATA ska vara sökvägen till IdP:ns metadatafil.")
    if config["TSA_HTTP_ENABLED"] and not users:
        raise ConfigError("TSA_HTTP_ENABLED kräver minst en användare i TSA_HTTP_USERS.")


def sso_providers(config: Mapping[str, Any]) -> dict[str, bool]:
    """Which sign-in protocols are configured; a protocol adds its own key here."""
    return {"oidc": bool(config.get("OIDC_ISSUER")), "saml": bool(config.get("SAML_IDP_METADATA"))}


def instance_config_path(instance_path: str | Path) -> Path:
    return Path(instance_path) / CONFIG_FILENAME


def write_development_config(instance_path: str | Path) -> Path | None:
    """Create the instance config with generated secrets unless one exists.

    Production sets ATTEST_SECRET_KEY in the environment and gets no file; a development
    instance (``attest init`` on a fresh checkout) gets random secrets kept in the
    instance folder, readable only by its owner, so every CLI command works without an
    environment.
    """
    path = instance_config_path(instance_path)
    if path.exists() or os.environ.get("ATTEST_SECRET_KEY"):
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    body = (
        "# Development instance of attest, generated by 'attest init'.\n"
        "# Production takes its secrets from ATTEST_* environment variables instead.\n"
        f"SECRET_KEY = {secrets.token_urlsafe(48)!r}\n"
        f"KEY_PASSPHRASE = {secrets.token_urlsafe(32)!r}\n"
        "# The demo's people sign with the password `attest demo` gave them; in production\n"
        "# everyone chooses their own before attesting (REQUIRE_OWN_PASSWORD, the default).\n"
        "REQUIRE_OWN_PASSWORD = False\n"
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(body)
    return path
