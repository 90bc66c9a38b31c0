"""The workflow's domain verbs; views, the CLI and tests call these, never the engine's parts."""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

import sqlalchemy as sa

from attest import audit, clock, db
from attest.audit.models import AuditEvent
from attest.errors import Forbidden
from attest.memos.models import Memo
from attest.sso.identity import STEP_UP_GONE, signs_in_through_provider
from attest.sso.models import StepUp
from attest.users.models import User
from attest.users.operations import OwnPasswordRequired, must_choose_own_password
from attest.workflow.definition import Action
from attest.workflow.engine import apply_transition
from attest.workflow.models import HistoryEntry


def submit_memo(
    memo: Memo,
    actor: User,
    assignees: Mapping[int, int] | None = None,
    *,
    expected_lock_version: int | None = None,
) -> HistoryEntry:
    """Skicka för attest: fix the route with the chosen people and freeze the version."""
    return apply_transition(
        memo, Action.SKICKA, actor, assignees=assignees, expected_lock_version=expected_lock_version
    )


def attest_memo(
    memo: Memo,
    actor: User,
    *,
    password: str | None = None,
    step_up: StepUp | None = None,
    remote: Any = None,
    expected_lock_version: int | None = None,
) -> HistoryEntry:
    """Attestera the current step; never under a password an administrator set (while
    REQUIRE_OWN_PASSWORD is on): the person chooses their own first. A person who signs in
    through an identity provider attests only after a completed step-up (attest.sso).
    ``remote``: the signature service's signature, verified (attest.signservice), instead
    of a password."""
    if remote is None and must_choose_own_password(actor):
        raise OwnPasswordRequired()
    if step_up is None and signs_in_through_provider(actor):
        raise Forbidden(STEP_UP_GONE)
    return apply_transition(
        memo,
        Action.ATTESTERA,
        actor,
        password=password,
        step_up=step_up,
        remote=remote,
        expected_lock_version=expected_lock_version,
    )


def return_memo(
    memo: Memo, actor: User, comment: str, *, expected_lock_version: int | None = None
) -> HistoryEntry:
    """Returnera to the handläggare, with a comment."""
    return apply_transition(
        memo, Action.RETURNERA, actor, comment=comment, expected_lock_version=expected_lock_version
    )


def withdraw_memo(
    memo: Memo, actor: User, reason: str = "", *, expected_lock_version: int | None = None
) -> HistoryEntry:
    """Återkalla: the author takes a pending memo back, with a reason if she gives one (the
    attesters who already attested are told, attest.workflow.notifications)."""
    return apply_transition(
        memo, Action.ATERKALLA, actor, comment=reason, expected_lock_version=expected_lock_version
    )


def delete_draft(
    memo: Memo, actor: User, *, expected_lock_version: int | None = None
) -> HistoryEntry:
    """Radera: the author deletes a draft (also one that was returned or withdrawn).

    The memo is gone for everyone; its row stays in the state ``raderad``, so its Dnr is
    never given again and its history and audit events ("memo:radera") keep their memo.
    """
    return apply_transition(memo, Action.RADERA, actor, expected_lock_version=expected_lock_version)


PASSWORD_FAILED = "memo:attestation:password_failed"


def record_failed_attestation(memo: Memo, actor: User) -> int:
    """Count a wrong attest password (in its own transaction); the count of the last hour."""
    audit.record(
        PASSWORD_FAILED, actor=actor, organisation=memo.organisation, data={"memo": memo.id}
    )
    db.session().flush()
    since = clock.now() - dt.timedelta(hours=1)
    return (
        db.session().scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.event == PASSWORD_FAILED,
                AuditEvent.actor_id == actor.id,
                AuditEvent.created_at >= since,
            )
        )
        or 0
    )
