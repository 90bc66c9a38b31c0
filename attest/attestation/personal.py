"""Personal signing keys and their certificates: issued, re-issued for new roles, revoked.

A key is made once under the person's own password; the CA certifies its public key again
whenever what the certificate states changes (roles, name, title), and for each t.f.
substitution, without the password: the CA needs only the public key, which is in the
key's current certificate. Every certificate is a PersonCertificate; the CRL lists the
revoked ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Iterable

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import current_app

from attest import audit, clock, db
from attest.attestation import keystore
from attest.attestation.models import PersonCertificate, UserKey
from attest.errors import Invalid
from attest.i18n import _l
from attest.pki import (
    WrongPassword,
    build_crl,
    decrypt_private_key,
    encrypt_private_key,
    generate_personal_key,
    issue_acting_certificate,
    issue_personal_certificate,
    load_certificate,
)
from attest.pki.ca import certificate_pem
from attest.pki.keys import PrivateKey
from attest.pki.profile import person_serial, read_person
from attest.users import roles
from attest.users.models import User

ROLE, ACTING = "role", "acting"


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def active_key(user: User) -> UserKey | None:
    return db.session().scalar(
        sa.select(UserKey)
        .where(UserKey.user_id == user.id, UserKey.revoked_at.is_(None))
        .order_by(UserKey.id.desc())
    )


@dataclass(frozen=True)
class KeyStatus:
    """What an administrator sees of a person's signing key (never the key itself)."""

    enrolled: bool  # the person has chosen their own password
    valid_until: dt.datetime | None  # the current certificate's end, with an active key
    revoked_at: dt.datetime | None  # the latest key's revocation, when none is active


def key_statuses(users: Iterable[User]) -> dict[int, KeyStatus]:
    """Each person's key status, read with one query for the whole list."""
    people = {u.id: u for u in users}
    latest: dict[int, UserKey] = {}
    if people:
        rows = db.session().scalars(
            sa.select(UserKey).where(UserKey.user_id.in_(people)).order_by(UserKey.id)
        )
        for key in rows:
            current = latest.get(key.user_id)
            # An active key wins over a revoked one; among equals, the newest.
            if current is None or key.revoked_at is None or current.revoked_at is not None:
                latest[key.user_id] = key
    statuses = {}
    for user_id, user in people.items():
        found = latest.get(user_id)
        active = found is not None and found.revoked_at is None
        statuses[user_id] = KeyStatus(
            enrolled=user.own_password,
            valid_until=found.not_after if found is not None and active else None,
            revoked_at=found.revoked_at if found is not None and not active else None,
        )
    return statuses


def signing_enabled() -> bool:
    return current_app.config["SIGNING"] == "pades"


def attesting_titles(user: User) -> tuple[str, ...]:
    """The titles of the roles the person holds for attesting, as their certificate lists them."""
    return tuple(
        sorted(ur.role.title for ur in user.user_roles if ur.role_code not in roles.NOT_ATTESTING)
    )


def _role_certificate(user: User, public_key: rsa.RSAPublicKey) -> x509.Certificate:
    return issue_personal_certificate(
        keystore.org_pki(user.organisation),
        public_key,
        full_name=user.full_name,
        organisation=user.organisation.name,
        person_id=user.person_id,
        titles=attesting_titles(user),
        now=clock.now(),
        days=current_app.config["CERT_VALIDITY_DAYS"],
    )


def _record(
    row: UserKey, cert: x509.Certificate, kind: str, substitution_id: int | None = None
) -> PersonCertificate:
    record = PersonCertificate(
        user_key_id=row.id,
        kind=kind,
        substitution_id=substitution_id,
        certificate_pem=certificate_pem(cert).decode(),
        certificate_sha256=fingerprint(cert),
        serial=str(cert.serial_number),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        created_at=clock.now(),
        revocation_reason="",
    )
    db.session().add(record)
    return record


def issue_key(user: User, password: str) -> UserKey:
    """A new key pair and its role certificate from the organisation's CA (and a t.f.
    certificate for every substitution of the person still to come)."""
    key = generate_personal_key()
    cert = _role_certificate(user, key.public_key())
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
    _record(row, cert, ROLE)
    audit.record(
        "user:key:issued",
        actor=user,
        organisation=user.organisation,
        data={"username": user.username, "certificate_sha256": row.certificate_sha256},
    )
    from attest.workflow.substitutes import substitutions_still_to_come

    for substitution in substitutions_still_to_come(user):
        issue_acting(substitution)
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


def _public_key(row: UserKey) -> rsa.RSAPublicKey:
    public_key = load_certificate(row.certificate_pem.encode()).public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    return public_key


def _revoke(records: Iterable[PersonCertificate], reason: str) -> list[PersonCertificate]:
    revoked = []
    for record in records:
        if record.revoked_at is None:
            record.revoked_at = clock.now()
            record.revocation_reason = reason
            revoked.append(record)
    return revoked


def reissue_role_certificate(user: User, reason: str) -> PersonCertificate | None:
    """After a change of roles, name or title: a new role certificate for the person's key,
    the old one revoked at once. None when the person has no key."""
    row = active_key(user)
    if row is None or not keystore.has_pki(user.organisation):
        return None
    session = db.session()
    old = session.scalars(
        sa.select(PersonCertificate).where(
            PersonCertificate.user_key_id == row.id, PersonCertificate.kind == ROLE
        )
    )
    superseded = _revoke(old, "superseded")
    cert = _role_certificate(user, _public_key(row))
    row.certificate_pem = certificate_pem(cert).decode()
    row.certificate_sha256 = fingerprint(cert)
    row.serial = str(cert.serial_number)
    row.not_before = cert.not_valid_before_utc
    row.not_after = cert.not_valid_after_utc
    record = _record(row, cert, ROLE)
    session.flush()
    audit.record(
        "user:certificate:reissued",
        organisation=user.organisation,
        data={
            "username": user.username,
            "certificate_sha256": record.certificate_sha256,
            "revoked": [r.certificate_sha256 for r in superseded],
            "titles": list(attesting_titles(user)),
            "reason": reason,
        },
    )
    return record


def substitution_period(starts_on: dt.date, ends_on: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """A substitution's days (Stockholm) as the UTC interval a t.f. certificate is valid."""
    begin = dt.datetime.combine(starts_on, dt.time(), tzinfo=clock.STOCKHOLM)
    end = dt.datetime.combine(ends_on + dt.timedelta(days=1), dt.time(), tzinfo=clock.STOCKHOLM)
    return begin.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc) - dt.timedelta(
        seconds=1
    )


def issue_acting(substitution) -> PersonCertificate | None:
    """The t.f. certificate of a substitution, for the substitute's key; None without one."""
    substitute: User = substitution.substitute
    if not signing_enabled() or not keystore.has_pki(substitute.organisation):
        return None
    row = active_key(substitute)
    if row is None:
        return None  # issued with the key, when the substitute gets one
    role = substitution.role
    absent: User | None = substitution.for_user
    not_before, not_after = substitution_period(substitution.starts_on, substitution.ends_on)
    cert = issue_acting_certificate(
        keystore.org_pki(substitute.organisation),
        _public_key(row),
        full_name=substitute.full_name,
        organisation=substitute.organisation.name,
        person_id=substitute.person_id,
        role_code=role.code,
        role_title=role.title,
        for_person=person_serial(absent.person_id) if absent is not None else "",
        not_before=not_before,
        not_after=not_after,
    )
    record = _record(row, cert, ACTING, substitution.id)
    db.session().flush()
    audit.record(
        "user:certificate:acting_issued",
        organisation=substitute.organisation,
        data={
            "username": substitute.username,
            "certificate_sha256": record.certificate_sha256,
            "substitution": substitution.id,
            "role": role.code,
            "for": absent.username if absent is not None else None,
        },
    )
    return record


def revoke_acting(substitution, reason: str) -> int:
    """Revoke every t.f. certificate of a substitution (ended early, or withdrawn)."""
    records = db.session().scalars(
        sa.select(PersonCertificate).where(PersonCertificate.substitution_id == substitution.id)
    )
    revoked = _revoke(records, reason)
    for record in revoked:
        audit.record(
            "user:certificate:revoked",
            organisation=substitution.substitute.organisation,
            data={"certificate_sha256": record.certificate_sha256, "reason": reason},
        )
    db.session().flush()
    return len(revoked)


def acting_certificate(
    user: User, row: UserKey, substitution_id: int, at: dt.datetime
) -> x509.Certificate | None:
    """The key's unrevoked t.f. certificate of a substitution, valid at ``at``."""
    record = db.session().scalar(
        sa.select(PersonCertificate)
        .where(
            PersonCertificate.user_key_id == row.id,
            PersonCertificate.substitution_id == substitution_id,
            PersonCertificate.revoked_at.is_(None),
            PersonCertificate.not_before <= at,
            PersonCertificate.not_after >= at,
        )
        .order_by(PersonCertificate.id.desc())
        .limit(1)
    )
    return load_certificate(record.certificate_pem.encode()) if record is not None else None


def ensure_current_certificate(user: User) -> None:
    """Re-issue the person's role certificate when it no longer states who they are: their
    name, organisation, person identifier and attesting titles (e.g. after roles were
    changed outside update_user, or a certificate made before it named the person)."""
    row = active_key(user)
    if row is None or not keystore.has_pki(user.organisation):
        return
    stated = read_person(load_certificate(row.certificate_pem.encode()))
    expected = (
        user.full_name,
        user.organisation.name,
        person_serial(user.person_id),
        attesting_titles(user),
    )
    if (stated.name, stated.organisation, stated.person, stated.titles) != expected:
        reissue_role_certificate(user, "certificate out of date")


def unlock(user: User, password: str) -> tuple[PrivateKey, x509.Certificate, UserKey]:
    """The user's private key and current role certificate; WrongPassword if the password
    is wrong."""
    row = active_key(user)
    if row is None:
        raise Invalid(
            _l(
                "Du har ingen personlig signeringsnyckel än. Logga ut och in igen, "
                "eller be en administratör om hjälp."
            )
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
            raise Invalid(_l("Det nuvarande lösenordet stämmer inte.")) from None
        row.encrypted_key_pem = encrypt_private_key(
            key, new_password, rounds=current_app.config["KEY_KDF_ROUNDS"]
        ).decode()


def revoke_keys(user: User, reason: str) -> int:
    """Revoke every active key of the user and all its certificates (on the next CRL)."""
    count = 0
    session = db.session()
    for row in session.scalars(
        sa.select(UserKey).where(UserKey.user_id == user.id, UserKey.revoked_at.is_(None))
    ):
        row.revoked_at = clock.now()
        _revoke(
            session.scalars(
                sa.select(PersonCertificate).where(PersonCertificate.user_key_id == row.id)
            ),
            reason,
        )
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
    session.flush()
    return count


def current_crl(organisation) -> x509.CertificateRevocationList:
    """The organisation's CRL: every revoked personal certificate, signed by its CA."""
    pki = keystore.org_pki(organisation)
    revoked = (
        db.session()
        .execute(
            sa.select(PersonCertificate.serial, PersonCertificate.revoked_at)
            .join(UserKey, UserKey.id == PersonCertificate.user_key_id)
            .join(User, User.id == UserKey.user_id)
            .where(
                User.organisation_id == organisation.id, PersonCertificate.revoked_at.is_not(None)
            )
            .order_by(PersonCertificate.id)
        )
        .all()
    )
    entries = [(int(serial), at) for serial, at in revoked if at is not None]
    return build_crl(pki, entries, now=clock.now())
