"""The app the browser tests serve: production settings (``SIGNING = "pades"``) in an
instance folder of its own, with a migrated SQLite database and the organisation EÅV with
its keys. The session's PKI and key pool stand in for new RSA keys (their generation is
slow); everything after that is the production path."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import Flask

from attest import create_app, db, migrate
from attest.attestation import keystore, personal
from attest.orgs.models import Organisation
from attest.users.operations import ensure_builtin_roles
from tests.support import factories
from tests.support.database import FAST_HASHING, TEST_KDF_ROUNDS
from tests.support.signing import make_pki, pooled_key


def e2e_app(instance: Path, **settings: Any) -> Flask:
    """The app with its database and keys in ``instance``; ``settings`` on top."""
    config = {
        "SECRET_KEY": "e2e-secret-key",
        "KEY_PASSPHRASE": "e2e-key-passphrase",
        "DATABASE_URL": f"sqlite:///{instance / 'attest.sqlite'}",
        "SIGNING": "pades",
        "KEYS_DIR": str(instance / "keys"),
        "KEY_KDF_ROUNDS": TEST_KDF_ROUNDS,
        **FAST_HASHING,
        **settings,
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ATTEST_INSTANCE_PATH", str(instance))
        return create_app(config)


@contextmanager
def session_keys() -> Iterator[None]:
    """Keys made meanwhile (``attest keys init``, a person's key) come from the session's
    PKI and key pool."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keystore, "create_org_pki", lambda *a, **k: make_pki())
        patch.setattr(personal, "generate_personal_key", pooled_key)
        yield


def new_organisation(app: Flask) -> Organisation:
    """Migrate the database and make EÅV with its keys (call in an app context, under
    ``session_keys``)."""
    migrate.upgrade(app)
    ensure_builtin_roles()
    db.session().commit()
    org = factories.organisation()
    keystore.init_org_keys(org)  # before the people: each gets a personal key
    return org


@dataclass(frozen=True)
class OidcWorld:
    """A served app whose sign-in is the city's OpenID Connect provider (the documented
    settings only), EÅV's people, and a memo sent to the avdelningschef, who signs in only
    through the provider (no password of hers in attest)."""

    url: str
    app: Flask
    provider: Any
    people: Any
    memo_id: int
    ca_pem: bytes


@contextmanager
def oidc_world(instance: Path) -> Iterator[OidcWorld]:
    from attest.users.operations import reset_user
    from tests.support import memos as memo_support
    from tests.support.oidc_provider import CLIENT_ID, CLIENT_SECRET, HIGH, running_provider
    from tests.support.servers import thread_server

    with running_provider() as provider:
        app = e2e_app(
            instance,
            OIDC_ISSUER=provider.url,
            OIDC_CLIENT_ID=CLIENT_ID,
            OIDC_CLIENT_SECRET=CLIENT_SECRET,
            OIDC_NAME="Stadens inloggning",
            OIDC_ACR_VALUES=HIGH,
        )
        with session_keys(), app.app_context():
            org = new_organisation(app)
            people = factories.people(org)
            reset_user(people.avdelningschef)
            db.session().commit()
            provider.person.email = people.avdelningschef.email
            provider.person.name = people.avdelningschef.full_name
            ca_pem = keystore.ca_path(org.code).read_bytes()
        with session_keys():
            # The key made under the signing PIN comes from the pool too.
            memo_id = memo_support.sent_memo(app, people.handlaggare)
            with thread_server(app) as url:
                yield OidcWorld(url, app, provider, people, memo_id, ca_pem)
        db.engine_of(app).dispose()
