"""Personal signing keys: issued under the user's password, re-encrypted, revoked."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask import current_app

from attest import audit, clock, db
from attest.attestation import keystore
from attest.attestation.models import UserKey
from attest.errors import Invalid
from attest.pki import (
    WrongPassword,
    build_crl,
    decrypt_private_key,
    encrypt_private_key,
    generate_personal_key,
    issue_personal_certificate,
    load_certificate,
)
from attest.pki.ca import certificate_pem
from attest.pki.keys import PrivateKey
from attest.users.models import User


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def active_key(user: User) -> UserKey | None:
    return db.session().scalar(
        sa.select(UserKey)
        .where(UserKey.user_id == user.id, UserKey.revoked_at.is_(None))
        .order_by(UserKey.id.desc())
    )


def signing_enabled() -> bool:
    return current_app.config["SIGNING"] == "pades"


def issue_key(user: User, password: str) -> UserKey:
    """A new key pair and certificate (name, title, organisation) from the organisation CA."""
    pki = keystore.org_pki(user.organisation)
    key = generate_personal_key()
    cert = issue_personal_certificate(
        pki,
        key.public_key(),
        full_name=user.full_name,
        title=user.title,
        organisation=user.organisation.name,
        now=clock.now(),
        days=current_app.config["CERT_VALIDITY_DAYS"],
    )
    row = UserKey(
        user_id=user.id,
        certificate_pem=certificate_pem(cert).decode(),
        certificate_sha256=fingerprint(cert),
        serial=str(cert.serial_number),
        encrypted_key_pem=encrypt_private_key(
            key, password, rounds=current_app.config["KEY_KDF_ROUNDS"]
        ).decode(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        created_at=clock.now(),
    )
    db.session().add(row)
    db.session().flush()
    audit.record(
        "user:key:issued",
        actor=user,
        organisation=user.organisation,
        data={"username": user.username, "certificate_sha256": row.certificate_sha256},
    )
    return row


def may_hold_key(user: User) -> bool:
    """Whether the user's password may encrypt a signing key: one they chose themselves,
    or any while REQUIRE_OWN_PASSWORD is off (the demo, scripted test set-ups)."""
    return user.own_password or not current_app.config["REQUIRE_OWN_PASSWORD"]


def ensure_key(user: User, password: str) -> UserKey | None:
    """Issue a key if signing is on, the organisation has a PKI, the user has none, and
    the password is one that may hold a key (``may_hold_key``)."""
    if not signing_enabled() or not keystore.has_pki(user.organisation):
        return None
    if not may_hold_key(user):
        return None
    return active_key(user) or issue_key(user, password)


def unlock(user: User, password: str) -> tuple[PrivateKey, x509.Certificate, UserKey]:
    """The user's private key and certificate; WrongPassword if the password is wrong."""
    row = active_key(user)
    if row is None:
        raise Invalid(
            "Du har ingen personlig signeringsnyckel än. Logga ut och in igen, "
            "eller be en administratör om hjälp."
        )
    key = decrypt_private_key(row.encrypted_key_pem.encode(), password)
    return key, load_certificate(row.certificate_pem.encode()), row


def reencrypt(user: User, old_password: str, new_password: str) -> None:
    """A password change: the same key, encrypted under the new password."""
    for row in db.session().scalars(
        sa.select(UserKey).where(UserKey.user_id == user.id, UserKey.revoked_at.is_(None))
    ):
        try:
            key = decrypt_private_key(row.encrypted_key_pem.encode(), old_password)
        except WrongPassword:
            raise Invalid("Det nuvarande lösenordet stämmer inte.") from None
        row.encrypted_key_pem = encrypt_private_key(
            key, new_password, rounds=current_app.config["KEY_KDF_ROUNDS"]
        ).decode()


def revoke_keys(user: User, reason: str) -> int:
    """Revoke every active key of the user (they appear on the next CRL)."""
    count = 0
    for row in db.session().scalars(
        sa.select(UserKey).where(UserKey.user_id == user.id, UserKey.revoked_at.is_(None))
    ):
        row.revoked_at = clock.now()
        count += 1
        audit.record(
            "user:key:revoked",
            organisation=user.organisation,
            data={
                "username": user.username,
                "certificate_sha256": row.certificate_sha256,
                "reason": reason,
            },
        )
    db.session().flush()
    return count


def current_crl(organisation) -> x509.CertificateRevocationList:
    """The organisation's CRL: every revoked personal certificate, signed by its CA."""
    pki = keystore.org_pki(organisation)
    revoked = (
        db.session()
        .execute(
            sa.select(UserKey.serial, UserKey.revoked_at)
            .join(User, User.id == UserKey.user_id)
            .where(User.organisation_id == organisation.id, UserKey.revoked_at.is_not(None))
            .order_by(UserKey.id)
        )
        .all()
    )
    entries = [(int(serial), at) for serial, at in revoked if at is not None]
    return build_crl(pki, entries, now=clock.now())
