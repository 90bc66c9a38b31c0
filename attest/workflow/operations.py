"""The workflow's domain verbs; views, the CLI and tests call these, never the engine's parts."""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

import sqlalchemy as sa

from attest import audit, clock, db
from attest.audit.models import AuditEvent
from attest.memos.models import Memo
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
    remote: Any = None,
    expected_lock_version: int | None = None,
) -> HistoryEntry:
    """Attestera the current step; never under a password an administrator set (while
    REQUIRE_OWN_PASSWORD is on): the person chooses their own first. ``remote``: the
    signature service's signature, verified (attest.signservice), instead of a password."""
    if remote is None and must_choose_own_password(actor):
        raise OwnPasswordRequired()
    return apply_transition(
        memo,
        Action.ATTESTERA,
        actor,
        password=password,
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
    memo: Memo, actor: User, *, expected_lock_version: int | None = None
) -> HistoryEntry:
    """Återkalla: the author takes a pending memo back."""
    return apply_transition(
        memo, Action.ATERKALLA, actor, expected_lock_version=expected_lock_version
    )


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
