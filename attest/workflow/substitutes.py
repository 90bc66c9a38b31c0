"""Acting substitutes (t.f.): who stands in for a role, for whom, and when.

Registering one has the organisation's CA issue the substitute a t.f. certificate for
that role and period (attest.attestation.personal.issue_acting): a t.f. row is valid
offline only with it. Ending a substitution early revokes that certificate.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from attest import audit, clock, db
from attest.errors import Invalid, NotFound
from attest.i18n import _l
from attest.orgs.models import Organisation
from attest.users import roles
from attest.users.models import User
from attest.users.operations import get_role, get_user
from attest.workflow.models import Substitution

MAX_DAYS = 366


def add_substitution(
    username: str,
    role: str,
    starts_on: dt.date,
    ends_on: dt.date,
    *,
    for_username: str | None = None,
    by: User | None = None,
) -> Substitution:
    from attest.attestation.personal import issue_acting

    substitute = get_user(username)
    role_obj = get_role(role, substitute.organisation)
    for_user = get_user(for_username) if for_username else None
    if not substitute.active:
        raise Invalid(
            _l("%(name)s är inaktiverad och kan inte vara t.f.", name=substitute.full_name)
        )
    if ends_on < starts_on:
        raise Invalid(_l("Perioden slutar innan den börjar."))
    if role_obj.code in roles.NOT_ATTESTING:
        raise Invalid(
            _l(
                "Rollen %(role)s attesterar inte; ingen kan vara t.f.",
                role=str(role_obj.shown_title).lower(),
            )
        )
    if for_user is not None and for_user.organisation_id != substitute.organisation_id:
        raise Invalid(_l("Ersättaren och den som ersätts måste tillhöra samma organisation."))
    if for_user is not None and for_user.id == substitute.id:
        raise Invalid(_l("En person kan inte vara t.f. för sig själv."))
    if ends_on < clock.today():
        raise Invalid(_l("Perioden har redan tagit slut."))
    if (ends_on - starts_on).days > MAX_DAYS:
        raise Invalid(
            _l("Ett förordnande som t.f. kan vara högst ett år; registrera ett nytt sedan.")
        )
    substitution = Substitution(
        organisation_id=substitute.organisation_id,
        substitute=substitute,
        role_code=role_obj.code,
        role=role_obj,
        for_user=for_user,
        starts_on=starts_on,
        ends_on=ends_on,
        created_at=clock.now(),
    )
    db.session().add(substitution)
    db.session().flush()
    audit.record(
        "substitution:added",
        actor=by,
        organisation=substitute.organisation,
        data={
            "substitution": substitution.id,
            "substitute": substitute.username,
            "role": role_obj.code,
            "for": for_username,
            "from": starts_on.isoformat(),
            "to": ends_on.isoformat(),
        },
    )
    issue_acting(substitution)
    return substitution


def end_substitution(
    username: str, role: str, *, for_username: str | None = None, by: User | None = None
) -> list[Substitution]:
    """End the person's substitutions for the role (for that person) now: they authorise
    nothing more, and their t.f. certificates are revoked at once."""
    substitute = get_user(username)
    role_obj = get_role(role)
    statement = sa.select(Substitution).where(
        Substitution.substitute_id == substitute.id,
        Substitution.role_code == role_obj.code,
        Substitution.ended_at.is_(None),
        Substitution.ends_on >= clock.today(),
    )
    if for_username:
        statement = statement.where(Substitution.for_user_id == get_user(for_username).id)
    ended = list(db.session().scalars(statement.order_by(Substitution.id)))
    if not ended:
        raise NotFound(
            _l(
                "%(username)s är inte t.f. för rollen %(role)s nu.",
                username=substitute.username,
                role=role_obj.code,
            )
        )
    for substitution in ended:
        _end(substitution, by)
    db.session().flush()
    return ended


def end_one(substitution: Substitution, *, by: User | None = None) -> None:
    """End one substitution now (the administrator's "Avsluta"); its t.f. certificate is
    revoked at once."""
    if substitution.ended_at is not None or substitution.ends_on < clock.today():
        raise Invalid(_l("Förordnandet är redan avslutat."))
    _end(substitution, by)
    db.session().flush()


def _end(substitution: Substitution, by: User | None) -> None:
    from attest.attestation.personal import revoke_acting

    substitution.ended_at = clock.now()
    revoke_acting(substitution, "substitution ended")
    audit.record(
        "substitution:ended",
        actor=by,
        organisation=substitution.substitute.organisation,
        data={"substitution": substitution.id, "substitute": substitution.substitute.username},
    )


def get_substitution(organisation: Organisation, substitution_id: int) -> Substitution:
    """One of the organisation's substitutions; another organisation's is not found."""
    substitution = db.session().get(Substitution, substitution_id)
    if substitution is None or substitution.organisation_id != organisation.id:
        raise NotFound(_l("Förordnandet finns inte."))
    return substitution


def current_and_future(organisation: Organisation, limit: int = 200) -> list[Substitution]:
    """The organisation's substitutions in force or still to come, the soonest first."""
    return list(
        db.session().scalars(
            sa.select(Substitution)
            .where(
                Substitution.organisation_id == organisation.id,
                Substitution.ended_at.is_(None),
                Substitution.ends_on >= clock.today(),
            )
            .order_by(Substitution.starts_on, Substitution.id)
            .limit(limit)
        )
    )


def of_person(person: User, limit: int = 50) -> list[Substitution]:
    """The substitutions not yet over in which the person stands in, or is stood in for."""
    return list(
        db.session().scalars(
            sa.select(Substitution)
            .where(
                sa.or_(
                    Substitution.substitute_id == person.id, Substitution.for_user_id == person.id
                ),
                Substitution.ended_at.is_(None),
                Substitution.ends_on >= clock.today(),
            )
            .order_by(Substitution.starts_on, Substitution.id)
            .limit(limit)
        )
    )


def people_of(organisation: Organisation, limit: int = 1000) -> list[User]:
    """The organisation's active people, by name: whom a t.f. can be, and be for."""
    return list(
        db.session().scalars(
            sa.select(User)
            .where(User.organisation_id == organisation.id, User.active.is_(True))
            .order_by(User.full_name, User.id)
            .limit(limit)
        )
    )


def substitutions_still_to_come(user: User) -> list[Substitution]:
    """The person's substitutions not yet over (a new key gets their t.f. certificates)."""
    return list(
        db.session().scalars(
            sa.select(Substitution)
            .where(
                Substitution.substitute_id == user.id,
                Substitution.ended_at.is_(None),
                Substitution.ends_on >= clock.today(),
            )
            .order_by(Substitution.id)
        )
    )


def substitutes_for(organisation_id: int, role_code: str, person: User, on: dt.date) -> list[User]:
    """Who is registered t.f. for the role on that day, for this person or for anyone."""
    return list(
        db.session().scalars(
            sa.select(User)
            .join(Substitution, Substitution.substitute_id == User.id)
            .where(
                Substitution.organisation_id == organisation_id,
                Substitution.role_code == role_code,
                sa.or_(Substitution.for_user_id.is_(None), Substitution.for_user_id == person.id),
                Substitution.substitute_id != person.id,
                Substitution.in_force(on),
            )
            .order_by(User.id)
            .distinct()
        )
    )
