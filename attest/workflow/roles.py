"""Retiring a role: only one that no route, person, t.f. or memo on its way still needs.

It lives beside the routes rather than in attest.users because what keeps a role in use is
the workflow's (routes, steps, substitutions); the users package knows nothing of them.
"""

from __future__ import annotations

import sqlalchemy as sa

from attest import audit, clock, db
from attest.errors import Invalid
from attest.i18n import LazyText, _l
from attest.orgs.models import Organisation
from attest.users.models import Role, User, UserRole
from attest.workflow.models import (
    RouteDefinition,
    RouteDefinitionStep,
    Submission,
    SubmissionStep,
    Substitution,
)


def uses(role: Role) -> list[LazyText]:
    """Why the role cannot be retired (Swedish, one reason each), or nothing."""
    session = db.session()
    reasons = []
    routes = session.scalars(
        sa.select(RouteDefinition.memo_type)
        .join(RouteDefinitionStep, RouteDefinitionStep.route_id == RouteDefinition.id)
        .where(RouteDefinitionStep.role_code == role.code)
        .order_by(RouteDefinition.memo_type)
        .distinct()
    ).all()
    if routes:
        reasons.append(
            _l("attestordningen för %(types)s har ett steg med rollen", types=", ".join(routes))
        )
    holders = session.scalar(
        sa.select(sa.func.count())
        .select_from(UserRole)
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.role_code == role.code, User.active.is_(True))
    )
    if holders:
        reasons.append(_l("%(n)d aktiva personer har rollen", n=holders))
    substitutions = session.scalar(
        sa.select(sa.func.count())
        .select_from(Substitution)
        .where(
            Substitution.role_code == role.code,
            Substitution.ended_at.is_(None),
            Substitution.ends_on >= clock.today(),
        )
    )
    if substitutions:
        reasons.append(_l("%(n)d förordnanden som t.f. gäller rollen", n=substitutions))
    waiting = session.scalar(
        sa.select(sa.func.count())
        .select_from(SubmissionStep)
        .join(Submission, Submission.id == SubmissionStep.submission_id)
        .where(SubmissionStep.role_code == role.code, Submission.status == "active")
    )
    if waiting:
        reasons.append(_l("%(n)d tjänsteutlåtanden på väg har ett steg med rollen", n=waiting))
    return reasons


def retire_role(role: Role, organisation: Organisation | None, *, by: User | None = None) -> None:
    """Retire an organisation's role that nothing uses: it stays for the history that
    names it, and can no longer be given or named in a route."""
    reasons = uses(role)
    if reasons:
        raise Invalid(
            _l(
                "Rollen %(role)s används: %(reasons)s.",
                role=str(role.shown_title).lower(),
                reasons="; ".join(str(r) for r in reasons),
            )
        )
    role.retired_at = clock.now()
    db.session().flush()
    audit.record(
        "role:retired",
        actor=by,
        organisation=organisation,
        data={"code": role.code, "title": role.title},
    )
