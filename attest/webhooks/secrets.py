"""A webhook endpoint's signing secret: made once, shown once, kept only encrypted.

The key is derived (HKDF-SHA256) from KEY_PASSPHRASE, the secret that already protects the
organisations' key files, with a label of its own; AES-GCM binds each ciphertext to its
organisation, so a row copied to another organisation does not decrypt.
"""

from __future__ import annotations

import base64
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import gettext as _

from attest.errors import Invalid

PREFIX = "whsec_"
_INFO = b"attest webhook signing secrets v1"
_NONCE = 12


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ and 32 random bytes in base64."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key() -> bytes:
    passphrase = current_app.config.get("KEY_PASSPHRASE")
    if not passphrase:
        raise Invalid(_("KEY_PASSPHRASE saknas i konfigurationen: webhooks kan inte användas."))
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
    return hkdf.derive(str(passphrase).encode())


def _bound_to(organisation_id: int) -> bytes:
    return f"organisation:{organisation_id}".encode()


def encrypt(secret: str, organisation_id: int) -> bytes:
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(_key()).encrypt(nonce, secret.encode(), _bound_to(organisation_id))


def decrypt(sealed: bytes, organisation_id: int) -> str:
    """The secret, or ValueError when it was sealed under another passphrase or owner."""
    try:
        plain = AESGCM(_key()).decrypt(sealed[:_NONCE], sealed[_NONCE:], _bound_to(organisation_id))
    except InvalidTag:
        raise ValueError("the webhook secret does not decrypt (KEY_PASSPHRASE changed?)") from None
    return plain.decode()
