"""Domain verbs for people: add, authenticate, change password, deactivate."""

from __future__ import annotations

from typing import Iterable

import sqlalchemy as sa

from attest import audit, clock, db
from attest.errors import Invalid, NotFound
from attest.orgs.operations import get_organisation
from attest.pdf.fonts import check_printable
from attest.users import passwords
from attest.users.models import Role, User, UserRole
from attest.users.roles import BUILTIN_ROLES, normalise_role_code


def ensure_builtin_roles() -> None:
    session = db.session()
    existing = set(session.scalars(sa.select(Role.code)))
    for code, title in BUILTIN_ROLES.items():
        if code not in existing:
            session.add(Role(code=code, title=title))
    session.flush()


def add_role(code: str, title: str) -> Role:
    code = normalise_role_code(code)
    if not code.isidentifier() or not title.strip():
        raise Invalid("En roll behöver en kod (bokstäver, siffror, _) och en titel.")
    if db.session().get(Role, code) is not None:
        raise Invalid(f"Rollen {code} finns redan.")
    role = Role(code=code, title=title.strip())
    db.session().add(role)
    db.session().flush()
    audit.record("role:added", data={"code": code, "title": role.title})
    return role


def get_role(text: str) -> Role:
    role = db.session().get(Role, normalise_role_code(text))
    if role is None:
        known = ", ".join(sorted(db.session().scalars(sa.select(Role.code))))
        raise NotFound(f"Okänd roll: {text} (kända roller: {known})")
    return role


def get_user(username: str) -> User:
    user = db.session().scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"Okänd användare: {username}")
    return user


def add_user(
    username: str,
    *,
    full_name: str,
    organisation_code: str,
    password: str,
    roles: Iterable[str],
    title: str = "",
    department: str = "",
    email: str = "",
    phone: str = "",
) -> User:
    """Create a user; checks everything before writing anything."""
    session = db.session()
    username = username.strip()
    if not username or not full_name.strip():
        raise Invalid("Användarnamn och namn måste anges.")
    check_printable(full_name, title, department, phone)  # printed on memos and in rows
    org = get_organisation(organisation_code)
    role_objects = [get_role(code) for code in roles]
    if not role_objects:
        raise Invalid("Ange minst en roll.")
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise Invalid(f"Användarnamnet {username} är upptaget.")
    user = User(
        username=username,
        full_name=full_name.strip(),
        title=title.strip(),
        department=department.strip(),
        email=email.strip(),
        phone=phone.strip(),
        organisation=org,
        password_hash=passwords.hash_password(password),
        active=True,
        created_at=clock.now(),
    )
    user.user_roles = [
        UserRole(role_code=r.code) for r in {r.code: r for r in role_objects}.values()
    ]
    session.add(user)
    session.flush()
    audit.record(
        "user:added",
        organisation=org,
        data={"username": username, "roles": sorted(user.role_codes)},
    )
    from attest.attestation.personal import ensure_key

    ensure_key(user, password)  # anyone may become an attester or a t.f.: everyone has a key
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active user with this password, or None; the same time and answer for every failure."""
    user = db.session().scalar(sa.select(User).where(User.username == username.strip()))
    if user is None:
        passwords.burn_time(password)
        return None
    if not passwords.verify_password(user.password_hash, password):
        return None
    if not user.active:
        return None
    return user


def change_password(user: User, old_password: str, new_password: str) -> None:
    """The user's own change: the personal key is re-encrypted under the new password."""
    from attest.attestation.personal import reencrypt

    if not passwords.verify_password(user.password_hash, old_password):
        raise Invalid("Det nuvarande lösenordet stämmer inte.")
    user.password_hash = passwords.hash_password(new_password)
    reencrypt(user, old_password, new_password)
    audit.record("user:password_changed", actor=user, organisation=user.organisation)


def reset_password(user: User, new_password: str) -> None:
    """An administrator's reset: the old key cannot be unlocked, so it is revoked and a new
    key and certificate are issued under the new password."""
    from attest.attestation.personal import ensure_key, revoke_keys
    from attest.auth.sessions import end_all_sessions

    user.password_hash = passwords.hash_password(new_password)
    revoke_keys(user, "password reset")
    ensure_key(user, new_password)
    end_all_sessions(user)
    audit.record(
        "user:password_reset", organisation=user.organisation, data={"username": user.username}
    )


def update_user(
    user: User,
    *,
    full_name: str | None = None,
    title: str | None = None,
    roles: Iterable[str] | None = None,
) -> bool:
    """Change a person's name, title or roles; checks everything before writing anything.

    What a personal certificate states changes with them: the CA issues a new certificate
    for the person's key at once and revokes the old one. True if anything changed.
    """
    new_name = user.full_name if full_name is None else full_name.strip()
    new_title = user.title if title is None else title.strip()
    if not new_name:
        raise Invalid("Namnet måste anges.")
    check_printable(new_name, new_title)
    codes = user.role_codes
    if roles is not None:
        role_objects = {r.code: r for r in (get_role(code) for code in roles)}
        if not role_objects:
            raise Invalid("Ange minst en roll.")
        codes = frozenset(role_objects)
    changed = (new_name, new_title, codes) != (user.full_name, user.title, user.role_codes)
    if not changed:
        return False
    before = {"name": user.full_name, "title": user.title, "roles": sorted(user.role_codes)}
    user.full_name, user.title = new_name, new_title
    if codes != user.role_codes:
        kept = [ur for ur in user.user_roles if ur.role_code in codes]
        added = [UserRole(role_code=code) for code in sorted(codes - user.role_codes)]
        user.user_roles = kept + added
    db.session().flush()
    db.session().refresh(user)  # the new roles' titles, for the certificate
    audit.record(
        "user:updated",
        organisation=user.organisation,
        data={
            "username": user.username,
            "before": before,
            "after": {"name": user.full_name, "title": user.title, "roles": sorted(codes)},
        },
    )
    from attest.attestation.personal import reissue_role_certificate

    reissue_role_certificate(user, "profile or roles changed")
    return True


def deactivate_user(user: User) -> None:
    """Deactivate: no more logins, and no more authority (the person's keys are revoked;
    what they attested before stays valid, as its timestamps prove)."""
    from attest.attestation.personal import revoke_keys
    from attest.auth.sessions import end_all_sessions

    user.active = False
    user.deactivated_at = clock.now()
    revoke_keys(user, "deactivated")
    end_all_sessions(user)
    audit.record(
        "user:deactivated", organisation=user.organisation, data={"username": user.username}
    )
