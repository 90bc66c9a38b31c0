"""The app the browser tests serve: production settings (``SIGNING = "pades"``) in an
instance folder of its own, with a migrated SQLite database and the organisation EÅV with
its keys. The session's PKI and key pool stand in for new RSA keys (their generation is
slow); everything after that is the production path."""

from __future__ import annotations

from contextlib import contextmanager
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
