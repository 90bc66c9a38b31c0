"""Acting substitutes (t.f.): who stands in for a role, for whom, and when."""

from __future__ import annotations

import datetime as dt

from attest import audit, clock, db
from attest.errors import Invalid
from attest.users.operations import get_role, get_user
from attest.workflow.models import Substitution


def add_substitution(
    username: str,
    role: str,
    starts_on: dt.date,
    ends_on: dt.date,
    *,
    for_username: str | None = None,
) -> Substitution:
    substitute = get_user(username)
    role_obj = get_role(role)
    for_user = get_user(for_username) if for_username else None
    if ends_on < starts_on:
        raise Invalid("Perioden slutar innan den börjar.")
    if for_user is not None and for_user.organisation_id != substitute.organisation_id:
        raise Invalid("Ersättaren och den som ersätts måste tillhöra samma organisation.")
    if for_user is not None and for_user.id == substitute.id:
        raise Invalid("En person kan inte vara t.f. för sig själv.")
    substitution = Substitution(
        organisation_id=substitute.organisation_id,
        substitute=substitute,
        role_code=role_obj.code,
        for_user=for_user,
        starts_on=starts_on,
        ends_on=ends_on,
        created_at=clock.now(),
    )
    db.session().add(substitution)
    db.session().flush()
    audit.record(
        "substitution:added",
        organisation=substitute.organisation,
        data={
            "substitute": substitute.username,
            "role": role_obj.code,
            "for": for_username,
            "from": starts_on.isoformat(),
            "to": ends_on.isoformat(),
        },
    )
    return substitution
