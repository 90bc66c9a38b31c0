"""Domain verbs for people: invite (an enrolment link), enrol, authenticate, change one's
own password, reset, deactivate. The CLI and the views call these."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Iterable

import sqlalchemy as sa
from flask import current_app

from attest import audit, clock, db
from attest.errors import AttestError, Forbidden, Invalid, NotFound
from attest.i18n import _l
from attest.orgs.models import Organisation
from attest.orgs.operations import get_organisation
from attest.pdf.fonts import check_printable
from attest.users import passwords
from attest.users.models import Enrolment, Role, User, UserRole
from attest.users.roles import BUILTIN_ROLES, normalise_role_code


def ensure_builtin_roles() -> None:
    session = db.session()
    existing = set(session.scalars(sa.select(Role.code)))
    for code, title in BUILTIN_ROLES.items():
        if code not in existing:
            session.add(Role(code=code, title=title))
    session.flush()


def add_role(
    code: str, title: str, *, organisation: Organisation | None = None, by: User | None = None
) -> Role:
    """A role routes can name: the organisation's own, or (no organisation) shared by all."""
    code = normalise_role_code(code)
    if not code.isidentifier() or not title.strip():
        raise Invalid(_l("En roll behöver en kod (bokstäver, siffror, _) och en titel."))
    if len(code) > 40 or len(title.strip()) > 100:
        raise Invalid(_l("Koden får vara högst 40 tecken och titeln högst 100."))
    check_printable(title)  # printed in rows and certificates
    if db.session().get(Role, code) is not None:
        raise Invalid(_l("Rollen %(code)s finns redan.", code=code))
    role = Role(
        code=code, title=title.strip(), organisation_id=organisation.id if organisation else None
    )
    db.session().add(role)
    db.session().flush()
    audit.record(
        "role:added",
        actor=by,
        organisation=organisation,
        data={"code": code, "title": role.title},
    )
    return role


def get_role(text: str, organisation: Organisation | None = None) -> Role:
    """A role that can be given, named in a route or a t.f.: not retired, and (given an
    organisation) shared or that organisation's own."""
    role = db.session().get(Role, normalise_role_code(text))
    if role is None or (organisation is not None and not role.visible_to(organisation.id)):
        known = ", ".join(r.code for r in list_roles(organisation))
        raise NotFound(_l("Okänd roll: %(role)s (kända roller: %(known)s)", role=text, known=known))
    if role.retired_at is not None:
        raise Invalid(_l("Rollen %(role)s är avvecklad.", role=str(role.shown_title).lower()))
    return role


def list_roles(organisation: Organisation | None = None) -> list[Role]:
    """The roles in use: shared ones and the organisation's own, by title."""
    statement = sa.select(Role).where(Role.retired_at.is_(None)).order_by(Role.title, Role.code)
    if organisation is not None:
        statement = statement.where(
            sa.or_(Role.organisation_id.is_(None), Role.organisation_id == organisation.id)
        )
    return list(db.session().scalars(statement))


def own_role(organisation: Organisation, code: str) -> Role:
    """The organisation's own role, to rename or retire: another's is not found, a shared
    one is refused (it is every organisation's)."""
    role = db.session().get(Role, normalise_role_code(code))
    if role is None or role.retired_at is not None or not role.visible_to(organisation.id):
        raise NotFound(_l("Rollen finns inte."))
    if role.organisation_id is None:
        raise Forbidden(
            _l(
                "Rollen %(role)s är gemensam för alla förvaltningar och ändras av "
                "systemförvaltaren (attest role).",
                role=role.title.lower(),
            )
        )
    return role


def rename_role(role: Role, title: str, *, by: User | None = None) -> bool:
    """Change the title shown (and printed): the certificates of those who hold the role
    state it, so each is issued anew. True if it changed."""
    new_title = title.strip()
    if not new_title or len(new_title) > 100:
        raise Invalid(_l("Ange en titel (högst 100 tecken)."))
    check_printable(new_title)
    if new_title == role.title:
        return False
    before = role.title
    role.title = new_title
    db.session().flush()
    organisation = (
        db.session().get(Organisation, role.organisation_id) if role.organisation_id else None
    )
    audit.record(
        "role:renamed",
        actor=by,
        organisation=organisation,
        data={"code": role.code, "before": before, "after": new_title},
    )
    from attest.attestation.personal import reissue_role_certificate

    holders = db.session().scalars(
        sa.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role_code == role.code, User.active.is_(True))
        .order_by(User.id)
    )
    for holder in holders:  # their roles load the renamed Role from the session
        reissue_role_certificate(holder, "role renamed")
    return True


def get_user(username: str) -> User:
    user = db.session().scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise NotFound(_l("Okänd användare: %(username)s", username=username))
    return user


def get_person(organisation: Organisation, user_id: int) -> User:
    """A person of the organisation; another organisation's is not found."""
    user = db.session().get(User, user_id)
    if user is None or user.organisation_id != organisation.id:
        raise NotFound(_l("Personen finns inte."))
    return user


def people_query(organisation: Organisation, text: str = "", *, active: bool | None = None):
    """The organisation's people matching a search (name, username, e-mail, title), as a
    statement to page through, by name."""
    statement = sa.select(User).where(User.organisation_id == organisation.id)
    words = text.strip().lower().split()[:5]
    for word in words:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped[:100]}%"
        statement = statement.where(
            sa.or_(
                *(
                    sa.func.lower(column).like(pattern, escape="\\")
                    for column in (User.full_name, User.username, User.email, User.title)
                )
            )
        )
    if active is not None:
        statement = statement.where(User.active.is_(active))
    return statement


PEOPLE_ORDER = (User.full_name, User.id)


@dataclass(frozen=True)
class EnrolmentLink:
    """A link made for a person to choose their password: shown once, stored hashed."""

    url: str
    expires_at: dt.datetime
    mailed_to: str = ""  # the address it was mailed to (through the outbox), if any


@dataclass(frozen=True)
class Invitation:
    user: User
    link: EnrolmentLink


USED_LINK = _l(
    "Länken är redan använd: kontot är aktiverat. Logga in med det lösenord du valde, eller "
    "be en administratör om en ny länk om du har glömt det."
)
REPLACED_LINK = _l("Länken gäller inte längre: en nyare länk har skickats. Använd den i stället.")
EXPIRED_LINK = _l("Länken har slutat gälla. Be en administratör om en ny.")
UNKNOWN_LINK = _l("Länken är ogiltig. Kontrollera att du har fått med hela länken.")
OWN_PASSWORD_REQUIRED = _l(
    "Ditt lösenord har satts av en administratör. Välj ett eget under ”Byt lösenord” "
    "innan du attesterar: först då får du en signeringsnyckel som bara du kan låsa upp."
)


class LinkGone(AttestError):
    """An enrolment link that was good once: used, replaced or expired."""

    status = 410


class OwnPasswordRequired(Forbidden):
    """The person's password was set by an administrator: no signature under it."""

    def __init__(self) -> None:
        super().__init__(OWN_PASSWORD_REQUIRED)


class WrongCurrentPassword(Invalid):
    def __init__(self) -> None:
        super().__init__(_l("Det nuvarande lösenordet stämmer inte."))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_user(
    username: str,
    *,
    full_name: str,
    organisation_code: str,
    roles: Iterable[str],
    title: str,
    department: str,
    email: str,
    phone: str,
) -> User:
    """The person's row, checked before anything is written; no password yet."""
    session = db.session()
    username = username.strip()
    if not username or not full_name.strip():
        raise Invalid(_l("Användarnamn och namn måste anges."))
    check_printable(full_name, title, department, phone)  # printed on memos and in rows
    org = get_organisation(organisation_code)
    role_objects = [get_role(code, org) for code in roles]
    if not role_objects:
        raise Invalid(_l("Ange minst en roll."))
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise Invalid(_l("Användarnamnet %(username)s är upptaget.", username=username))
    user = User(
        username=username,
        full_name=full_name.strip(),
        title=title.strip(),
        department=department.strip(),
        email=email.strip(),
        phone=phone.strip(),
        organisation=org,
        password_hash=None,
        own_password=False,
        active=True,
        created_at=clock.now(),
    )
    user.user_roles = [
        UserRole(role_code=r.code) for r in {r.code: r for r in role_objects}.values()
    ]
    return user


def _added(user: User, how: str, by: User | None) -> None:
    db.session().add(user)
    db.session().flush()
    audit.record(
        "user:added",
        actor=by,
        organisation=user.organisation,
        data={"username": user.username, "roles": sorted(user.role_codes), "how": how},
    )


def invite_user(
    username: str,
    *,
    full_name: str,
    organisation_code: str,
    roles: Iterable[str],
    title: str = "",
    department: str = "",
    email: str = "",
    phone: str = "",
    by: User | None = None,
) -> Invitation:
    """Create a person without a password, and the enrolment link with which they choose
    one (mailed when they have an e-mail address). Nobody else ever knows it."""
    user = _new_user(
        username,
        full_name=full_name,
        organisation_code=organisation_code,
        roles=roles,
        title=title,
        department=department,
        email=email,
        phone=phone,
    )
    _added(user, "invited", by)
    return Invitation(user, issue_enrolment(user, by=by))


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
    """Create a person with a password an administrator chose (scripted set-up: the demo,
    automation). It is recorded as the administrator's: under REQUIRE_OWN_PASSWORD it lets
    the person log in but holds no signing key until they choose their own."""
    user = _new_user(
        username,
        full_name=full_name,
        organisation_code=organisation_code,
        roles=roles,
        title=title,
        department=department,
        email=email,
        phone=phone,
    )
    passwords.check_strength(password, username=user.username, full_name=user.full_name)
    user.password_hash = passwords.hash_password(password)
    _added(user, "password_by_administrator", None)
    from attest.attestation.personal import ensure_key

    ensure_key(user, password)  # only where may_hold_key: never in production configuration
    return user


def issue_enrolment(user: User, *, by: User | None = None) -> EnrolmentLink:
    """A new enrolment link for the person; any unused earlier one stops working."""
    from attest.urls import external_url

    session = db.session()
    now = clock.now()
    session.execute(
        sa.update(Enrolment)
        .where(
            Enrolment.user_id == user.id,
            Enrolment.used_at.is_(None),
            Enrolment.replaced_at.is_(None),
        )
        .values(replaced_at=now)
    )
    token = secrets.token_urlsafe(32)
    expires_at = now + dt.timedelta(hours=current_app.config["ENROLMENT_HOURS"])
    session.add(
        Enrolment(
            user_id=user.id,
            token_hash=_digest(token),
            created_at=now,
            created_by_id=by.id if by is not None else None,
            expires_at=expires_at,
        )
    )
    session.flush()
    url = external_url("users.enrolment", token=token)
    mailed_to = _mail_enrolment(user, url, expires_at)
    audit.record(
        "user:enrolment:issued",
        actor=by,
        organisation=user.organisation,
        data={"username": user.username, "mailed": bool(mailed_to)},
    )
    return EnrolmentLink(url=url, expires_at=expires_at, mailed_to=mailed_to)


def _mail_enrolment(user: User, url: str, expires_at: dt.datetime) -> str:
    from attest.workflow.notifications import queue_mail

    mail = queue_mail(
        user,
        None,
        "Aktivera ditt konto i attest",
        f"Hej {user.full_name},\n\nDu har ett konto i attest ({user.organisation.name}) med "
        f"användarnamnet {user.username}. Öppna länken och välj ditt lösenord; det låser "
        f"också upp din personliga signeringsnyckel, och ingen annan känner till det.\n\n"
        f"{url}\n\nLänken kan användas en gång och gäller till "
        f"{clock.format_datetime(expires_at)}.\n",
    )
    return mail.to_address if mail is not None else ""


def find_enrolment(token: str) -> Enrolment:
    """The usable enrolment of this token; Invalid (with why, in Swedish) otherwise."""
    enrolment = db.session().scalar(
        sa.select(Enrolment).where(Enrolment.token_hash == _digest(token or ""))
    )
    if enrolment is None:
        raise NotFound(UNKNOWN_LINK)
    if enrolment.used_at is not None:
        raise LinkGone(USED_LINK)
    if enrolment.replaced_at is not None:
        raise LinkGone(REPLACED_LINK)
    if enrolment.expires_at <= clock.now() or not enrolment.user.active:
        raise LinkGone(EXPIRED_LINK)
    return enrolment


def enrol(token: str, password: str) -> User:
    """The person chooses their password with their link; their key is issued under it."""
    enrolment = find_enrolment(token)
    user = enrolment.user
    passwords.check_strength(password, username=user.username, full_name=user.full_name)
    enrolment.used_at = clock.now()
    _set_own_password(user, password)
    audit.record("user:enrolled", actor=user, organisation=user.organisation)
    return user


def _set_own_password(user: User, password: str) -> None:
    """The person's own password; a key none but they can unlock."""
    from attest.attestation.personal import ensure_key, revoke_keys

    user.password_hash = passwords.hash_password(password)
    user.own_password = True
    # A key that exists now was encrypted under a password someone else knew (set by an
    # administrator, with REQUIRE_OWN_PASSWORD off): it is revoked, not re-encrypted.
    revoke_keys(user, "own password chosen")
    ensure_key(user, password)


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


def must_choose_own_password(user: User) -> bool:
    """Whether the person has no secret of their own for their key yet (a password they
    chose, or a signing PIN)."""
    own_secret = user.own_password or user.signing_pin_at is not None
    return bool(current_app.config["REQUIRE_OWN_PASSWORD"]) and not own_secret


def uses_signing_pin(user: User) -> bool:
    """Whether the person's key is under a signing PIN (they sign in through a provider)."""
    return user.signing_pin_at is not None


def set_employee_number(user: User, number: str | None, *, by: User | None = None) -> None:
    """The organisation's number for the person, which a first sign-in through the identity
    provider matches (attest.sso); None or "" removes it."""
    number = (number or "").strip() or None
    if number is not None:
        if len(number) > 64:
            raise Invalid(_l("Anställningsnumret får ha högst 64 tecken."))
        holder = db.session().scalar(sa.select(User).where(User.employee_number == number))
        if holder is not None and holder.id != user.id:
            raise Invalid(
                _l(
                    "Anställningsnumret %(number)s har redan %(username)s.",
                    number=number,
                    username=holder.username,
                )
            )
    user.employee_number = number
    audit.record(
        "user:employee_number:set",
        actor=by,
        organisation=user.organisation,
        data={"username": user.username, "employee_number": number},
    )


def choose_signing_pin(user: User, pin: str) -> None:
    """The person chooses their signing PIN; a new key is issued under it. Only once: after
    a reset (which revokes the key) they choose again. Nobody else ever sets it."""
    from attest.attestation.keystore import has_pki
    from attest.attestation.personal import issue_key, revoke_keys, signing_enabled
    from attest.users.pins import check_pin

    if user.signing_pin_at is not None:
        raise Invalid(_l("Du har redan valt en signerings-PIN."))
    check_pin(pin)
    user.signing_pin_at = clock.now()
    # A key under a password someone else knew would stay usable: revoked, not kept.
    revoke_keys(user, "signing pin chosen")
    if signing_enabled() and has_pki(user.organisation):
        issue_key(user, pin)
    audit.record("user:signing_pin:chosen", actor=user, organisation=user.organisation)


def change_own_password(
    user: User, current_password: str, new_password: str, *, keep_session: str | None = None
) -> None:
    """The person's own change ("Byt lösenord"): their key is re-encrypted under the new
    password, or, when the old one was an administrator's, revoked and issued anew. Every
    other session of theirs ends."""
    from attest.attestation.personal import reencrypt
    from attest.auth.sessions import end_all_sessions

    if not passwords.verify_password(user.password_hash, current_password):
        raise WrongCurrentPassword()
    passwords.check_strength(new_password, username=user.username, full_name=user.full_name)
    if new_password == current_password:
        raise Invalid(_l("Det nya lösenordet måste skilja sig från det nuvarande."))
    if user.own_password:
        user.password_hash = passwords.hash_password(new_password)
        reencrypt(user, current_password, new_password)
    else:
        _set_own_password(user, new_password)
    end_all_sessions(user, keep=keep_session)
    audit.record("user:password_changed", actor=user, organisation=user.organisation)


def reset_user(user: User, *, by: User | None = None) -> EnrolmentLink:
    """An administrator's reset: the key is revoked (it appears on the CRL), the password
    and every session end, and a new enrolment link lets the person choose a new one.
    Never sets a password."""
    from attest.attestation.personal import revoke_keys
    from attest.auth.sessions import end_all_sessions

    if not user.active:
        raise Invalid(_l("%(name)s är inaktiverad och kan inte återställas.", name=user.full_name))
    revoke_keys(user, "reset")
    user.password_hash = None
    user.own_password = False
    user.signing_pin_at = None  # chosen again, by the person
    end_all_sessions(user)
    audit.record(
        "user:reset", actor=by, organisation=user.organisation, data={"username": user.username}
    )
    return issue_enrolment(user, by=by)


def set_password_by_administrator(user: User, new_password: str) -> None:
    """Scripted set-up (``attest user passwd --password-stdin``): a password an
    administrator chose. The key under the old one is revoked; under REQUIRE_OWN_PASSWORD
    no key is issued until the person chooses their own."""
    from attest.attestation.personal import ensure_key, revoke_keys
    from attest.auth.sessions import end_all_sessions

    passwords.check_strength(new_password, username=user.username, full_name=user.full_name)
    user.password_hash = passwords.hash_password(new_password)
    user.own_password = False
    revoke_keys(user, "password set by an administrator")
    ensure_key(user, new_password)
    end_all_sessions(user)
    audit.record(
        "user:password_set_by_administrator",
        organisation=user.organisation,
        data={"username": user.username},
    )


def update_user(
    user: User,
    *,
    full_name: str | None = None,
    title: str | None = None,
    roles: Iterable[str] | None = None,
    department: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    by: User | None = None,
) -> bool:
    """Change a person's details or roles; checks everything before writing anything.

    What a personal certificate states changes with the name, title and roles: the CA
    issues a new certificate for the person's key at once and revokes the old one. True if
    anything changed.
    """

    def new(value: str | None, old: str) -> str:
        return old if value is None else value.strip()

    after = {
        "name": new(full_name, user.full_name),
        "title": new(title, user.title),
        "department": new(department, user.department),
        "email": new(email, user.email),
        "phone": new(phone, user.phone),
    }
    if not after["name"]:
        raise Invalid(_l("Namnet måste anges."))
    if email is not None and after["email"] and "@" not in after["email"]:
        raise Invalid(_l("E-postadressen är inte giltig."))
    limits = {"name": 200, "title": 200, "department": 200, "email": 254, "phone": 40}
    for key, limit in limits.items():
        if len(after[key]) > limit:
            raise Invalid(_l("Högst %(n)d tecken i fältet %(field)s.", n=limit, field=key))
    check_printable(after["name"], after["title"], after["department"], after["phone"])
    codes = user.role_codes
    if roles is not None:
        role_objects = {r.code: r for r in (get_role(code, user.organisation) for code in roles)}
        if not role_objects:
            raise Invalid(_l("Ange minst en roll."))
        codes = frozenset(role_objects)
    before = {
        "name": user.full_name,
        "title": user.title,
        "department": user.department,
        "email": user.email,
        "phone": user.phone,
    }
    if (after, codes) == (before, user.role_codes):
        return False
    certified = (after["name"], after["title"], codes) != (
        user.full_name,
        user.title,
        user.role_codes,
    )
    old_roles = sorted(user.role_codes)
    user.full_name, user.title = after["name"], after["title"]
    user.department, user.email, user.phone = after["department"], after["email"], after["phone"]
    if codes != user.role_codes:
        kept = [ur for ur in user.user_roles if ur.role_code in codes]
        added = [UserRole(role_code=code) for code in sorted(codes - user.role_codes)]
        user.user_roles = kept + added
    db.session().flush()
    db.session().refresh(user)  # the new roles' titles, for the certificate
    audit.record(
        "user:updated",
        actor=by,
        organisation=user.organisation,
        data={
            "username": user.username,
            "before": {**before, "roles": old_roles},
            "after": {**after, "roles": sorted(codes)},
        },
    )
    if certified:
        from attest.attestation.personal import reissue_role_certificate

        reissue_role_certificate(user, "profile or roles changed")
    return True


def deactivate_user(user: User, *, by: User | None = None) -> None:
    """Deactivate: no more logins, and no more authority (the person's keys are revoked;
    what they attested before stays valid, as its timestamps prove)."""
    from attest.attestation.personal import revoke_keys
    from attest.auth.sessions import end_all_sessions

    if not user.active:
        raise Invalid(_l("%(name)s är redan inaktiverad.", name=user.full_name))
    if by is not None and by.id == user.id:
        raise Invalid(_l("Du kan inte inaktivera dig själv."))
    user.active = False
    user.deactivated_at = clock.now()
    revoke_keys(user, "deactivated")
    end_all_sessions(user)
    audit.record(
        "user:deactivated",
        actor=by,
        organisation=user.organisation,
        data={"username": user.username},
    )
