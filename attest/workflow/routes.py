"""Routes: which roles attest a memo type in an organisation, in order; who can take a step.

An organisation without a configured route uses DEFAULT_ROUTE. Adding a step (an
ekonomichef) or skipping one is a row change (``attest route set``), never code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence

import sqlalchemy as sa

from attest import audit, db
from attest.errors import Invalid
from attest.i18n import _l
from attest.memos.models import Memo
from attest.orgs.models import Organisation
from attest.users import roles
from attest.users.models import Role, User, UserRole
from attest.workflow.models import RouteDefinition, RouteDefinitionStep, Substitution

DEFAULT_ROUTE: tuple[str, ...] = (roles.AVDELNINGSCHEF, roles.STADSDELSDIREKTOR)


def route_roles(organisation_id: int, memo_type: str) -> list[Role]:
    """The roles that attest, first attester first."""
    session = db.session()
    route = session.scalar(
        sa.select(RouteDefinition).where(
            RouteDefinition.organisation_id == organisation_id,
            RouteDefinition.memo_type == memo_type,
        )
    )
    if route is not None:
        return [step.role for step in route.steps]
    return [session.get(Role, code) for code in DEFAULT_ROUTE]  # type: ignore[misc]


def set_route(organisation: Organisation, memo_type: str, role_codes: Sequence[str]) -> None:
    """Configure the route; memos already sent keep the steps they were sent with."""
    from attest.users.operations import get_role

    steps = [get_role(code, organisation) for code in role_codes]
    if not steps:
        raise Invalid(_l("En attestordning måste ha minst ett steg."))
    for role in steps:
        if role.code in roles.NOT_ATTESTING:
            raise Invalid(
                f"Rollen {role.title.lower()} attesterar inte och kan inte vara ett steg."
            )
    if len({r.code for r in steps}) != len(steps):
        raise Invalid(_l("Samma roll kan inte förekomma två gånger i en attestordning."))
    session = db.session()
    route = session.scalar(
        sa.select(RouteDefinition).where(
            RouteDefinition.organisation_id == organisation.id,
            RouteDefinition.memo_type == memo_type,
        )
    )
    if route is None:
        route = RouteDefinition(organisation_id=organisation.id, memo_type=memo_type)
        session.add(route)
    route.steps.clear()
    session.flush()
    route.steps.extend(
        RouteDefinitionStep(position=n, role_code=role.code) for n, role in enumerate(steps, 1)
    )
    session.flush()
    audit.record(
        "route:changed",
        organisation=organisation,
        data={"memo_type": memo_type, "steps": [r.code for r in steps]},
    )


def holds_role(user: User, role_code: str, organisation_id: int) -> bool:
    return user.active and user.organisation_id == organisation_id and user.has_role(role_code)


def active_substitution(
    user: User, role_code: str, organisation_id: int, on: dt.date, *, for_user_id: int
) -> Substitution | None:
    """The user's registered t.f. for the role on that day, for that person or for anyone
    holding the role (the one for the person first), if any."""
    return db.session().scalar(
        sa.select(Substitution)
        .where(
            Substitution.substitute_id == user.id,
            Substitution.organisation_id == organisation_id,
            Substitution.role_code == role_code,
            sa.or_(Substitution.for_user_id.is_(None), Substitution.for_user_id == for_user_id),
            Substitution.in_force(on),
        )
        .order_by(Substitution.for_user_id.is_(None), Substitution.id.desc())
        .limit(1)
    )


def candidates(organisation_id: int, role_code: str, *, exclude: User | None = None) -> list[User]:
    """The active people of the organisation who hold the role, by name."""
    query = (
        sa.select(User)
        .join(UserRole)
        .where(
            User.organisation_id == organisation_id,
            User.active,
            UserRole.role_code == role_code,
        )
        .order_by(User.full_name)
    )
    people = list(db.session().scalars(query))
    return [p for p in people if exclude is None or p.id != exclude.id]


@dataclass(frozen=True)
class PlannedStep:
    position: int
    role: Role
    candidates: tuple[User, ...]

    @property
    def preselected(self) -> User | None:
        return self.candidates[0] if len(self.candidates) == 1 else None


def plan(memo: Memo) -> list[PlannedStep]:
    """The configured route for this memo, with who could take each step (never the author)."""
    return [
        PlannedStep(
            n, role, tuple(candidates(memo.organisation_id, role.code, exclude=memo.author))
        )
        for n, role in enumerate(route_roles(memo.organisation_id, memo.memo_type), start=1)
    ]
