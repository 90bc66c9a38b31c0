"""The guards named in attest.workflow.definition, each a function answering why not."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from attest.i18n import _l
from attest.memos.models import Memo
from attest.users.models import User
from attest.workflow.definition import Guard
from attest.workflow.models import Submission, Substitution
from attest.workflow.routes import active_substitution, holds_role


@dataclass(frozen=True)
class GuardResult:
    allowed: bool
    reason: Any = ""  # for the user, when refused: a lazy text (shown in their language)
    acting_for: User | None = None  # set when the actor acts as t.f. for the step's person
    substitution: Substitution | None = None  # the registered t.f. that allows it


ALLOWED = GuardResult(True)


def check(
    guard: Guard, memo: Memo, actor: User, submission: Submission | None, today: dt.date
) -> GuardResult:
    if actor.organisation_id != memo.organisation_id:
        return GuardResult(False, _l("Tjänsteutlåtandet tillhör en annan organisation."))
    if guard is Guard.AUTHOR:
        return _author(memo, actor)
    if guard is Guard.CURRENT_ATTESTER:
        return _current_attester(memo, actor, submission, today)
    raise AssertionError(f"guard {guard} has no implementation")


def _author(memo: Memo, actor: User) -> GuardResult:
    if actor.id != memo.author_id:
        return GuardResult(False, _l("Bara handläggaren som skrev tjänsteutlåtandet kan göra det."))
    return ALLOWED


def _current_attester(
    memo: Memo, actor: User, submission: Submission | None, today: dt.date
) -> GuardResult:
    if actor.id == memo.author_id:
        return GuardResult(False, _l("Du kan inte attestera ditt eget tjänsteutlåtande."))
    step = submission.current_step if submission else None
    if step is None:
        return GuardResult(False, _l("Det finns inget steg att attestera."))
    if any(a.signer_id == actor.id for a in submission.attestations):  # type: ignore[union-attr]
        return GuardResult(False, _l("Du har redan attesterat ett steg av den här versionen."))
    role = step.role_title.lower()
    if actor.id == step.assignee_id:
        if holds_role(actor, step.role_code, memo.organisation_id):
            return ALLOWED
        return GuardResult(False, _l("Du har inte längre rollen %(role)s.", role=role))
    substitution = active_substitution(
        actor, step.role_code, memo.organisation_id, today, for_user_id=step.assignee_id
    )
    if substitution is not None:
        return GuardResult(True, acting_for=step.assignee, substitution=substitution)
    return GuardResult(
        False,
        _l(
            "Det här steget ska attesteras av %(name)s (%(role)s).",
            name=step.assignee.full_name,
            role=role,
        ),
    )
