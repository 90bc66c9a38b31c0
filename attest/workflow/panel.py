"""What the memo page shows of the workflow: state, route, history, changes, actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from attest import clock, db
from attest.i18n import _l
from attest.memos.diff import SectionChange, changes
from attest.memos.models import Memo, MemoVersion
from attest.sso.identity import signs_in_through_provider
from attest.users.models import User
from attest.users.operations import must_choose_own_password
from attest.users.roles import shown_title
from attest.workflow import guards
from attest.workflow.definition import TRANSITIONS, Action, Guard, State
from attest.workflow.engine import available, state_title
from attest.workflow.forms import AttestForm, ReturnForm, SendForm
from attest.workflow.hooks import hooks
from attest.workflow.models import HistoryEntry, Submission, SubmissionStep
from attest.workflow.routes import plan
from attest.workflow.submissions import active_submission


@dataclass
class RouteLine:
    position: int
    role_title: str
    person: str
    outcome: str  # "Attesterad 2024-08-15 av ...", "Väntar", ""
    current: bool = False


@dataclass
class Panel:
    memo: Memo
    state_title: str
    submission: Submission | None
    route: list[RouteLine]
    history: list[HistoryEntry]
    actions: set[str]
    forms: dict[str, object] = field(default_factory=dict)
    return_notice: HistoryEntry | None = None
    changes_since: MemoVersion | None = None
    changes: list[SectionChange] = field(default_factory=list)
    requires_password: bool = False
    own_password_required: bool = False  # the attest form gives way to "Byt lösenord"
    acting_for: User | None = None  # the person whose step this person attests as t.f.
    # The person signs in through an identity provider: "Attestera" is a link to a fresh
    # authentication there first (attest.sso), then the form asks for the signing PIN.
    step_up_required: bool = False


def history(memo: Memo) -> list[HistoryEntry]:
    return list(
        db.session().scalars(
            sa.select(HistoryEntry).where(HistoryEntry.memo_id == memo.id).order_by(HistoryEntry.id)
        )
    )


def _route_lines(memo: Memo, submission: Submission | None) -> list[RouteLine]:
    from attest.clock import format_date

    if submission is None:
        return [
            RouteLine(
                s.position,
                s.role.title,
                s.preselected.full_name if s.preselected else _l("Väljs när det skickas"),
                "",
            )
            for s in plan(memo)
        ]
    lines = []
    for step in submission.steps:
        attestation = submission.attestation_for(step.position)
        outcome: Any
        if attestation is not None:
            when = format_date(attestation.attested_at)
            if attestation.acting_for_id:
                outcome = _l(
                    "Attesterad %(date)s av %(name)s (t.f. för %(whom)s)",
                    date=when,
                    name=attestation.signer_name,
                    whom=attestation.acting_for.full_name,  # type: ignore[union-attr]
                )
            else:
                outcome = _l(
                    "Attesterad %(date)s av %(name)s", date=when, name=attestation.signer_name
                )
        elif step.position == submission.current_position:
            outcome = _l("Väntar på attest")
        else:
            outcome = ""
        lines.append(
            RouteLine(
                step.position,
                shown_title(step.role_title),
                step.assignee.full_name,
                outcome,
                current=step.position == submission.current_position,
            )
        )
    return lines


def last_seen_version(memo: Memo, user: User, current: Submission) -> MemoVersion | None:
    """The version this person last had before them, in an earlier (voided) submission.

    They had it when they acted on it (attested or returned it, perhaps as t.f.) or when
    their step had been reached before it was returned or withdrawn; an earlier sending
    that never got as far as them does not count.
    """
    voided = aliased(HistoryEntry)
    reached_me = (
        sa.select(SubmissionStep.position)
        .join(voided, voided.submission_id == SubmissionStep.submission_id)
        .where(
            SubmissionStep.submission_id == Submission.id,
            SubmissionStep.assignee_id == user.id,
            voided.action.in_([Action.RETURNERA.value, Action.ATERKALLA.value]),
            SubmissionStep.position <= voided.step_position,
        )
        .exists()
    )
    acted = (
        sa.select(HistoryEntry.id)
        .where(HistoryEntry.submission_id == Submission.id, HistoryEntry.actor_id == user.id)
        .exists()
    )
    earlier = db.session().scalar(
        sa.select(Submission)
        .where(
            Submission.memo_id == memo.id,
            Submission.number < current.number,
            sa.or_(reached_me, acted),
        )
        .order_by(Submission.number.desc())
        .limit(1)
    )
    return earlier.version if earlier is not None else None


def _return_notice(state: State, entries: list[HistoryEntry]) -> HistoryEntry | None:
    """The return that made this the draft it is, until it is sent again."""
    if state is State.UTKAST and entries and entries[-1].action == Action.RETURNERA.value:
        return entries[-1]
    return None


def return_notice(memo: Memo) -> HistoryEntry | None:
    """The attester's comment on a returned draft (the memo page and its edit page)."""
    if State(memo.state) is not State.UTKAST:
        return None
    last = db.session().scalar(
        sa.select(HistoryEntry)
        .where(HistoryEntry.memo_id == memo.id)
        .order_by(HistoryEntry.id.desc())
        .limit(1)
    )
    return _return_notice(State.UTKAST, [last] if last is not None else [])


def build(memo: Memo, user: User) -> Panel:
    state = State(memo.state)
    submission = active_submission(memo)
    entries = history(memo)
    actions = {t.action.value for t in available(memo, user, submission)}
    panel = Panel(
        memo=memo,
        state_title=state_title(memo, submission),
        submission=submission,
        route=_route_lines(memo, submission if state is not State.UTKAST else None),
        history=entries,
        actions=actions,
        # A person who signs through the signature service logs in there instead.
        requires_password=getattr(hooks(), "requires_password", False)
        and user.signing_method != "signservice",
    )
    panel.return_notice = _return_notice(state, entries)
    if state is State.ATTEST and submission is not None and Action.ATTESTERA.value in actions:
        seen = last_seen_version(memo, user, submission)
        if seen is not None and seen.id != submission.version_id:
            panel.changes_since = seen
            panel.changes = changes(seen, submission.version)
    lock = {"lock_version": memo.lock_version}
    if Action.SKICKA.value in actions:
        steps = plan(memo)
        panel.forms["skicka"] = (SendForm.for_plan(steps, formdata=None, data=lock), steps)
    if Action.ATTESTERA.value in actions:
        panel.forms["attestera"] = AttestForm(formdata=None, data=lock)
        panel.own_password_required = must_choose_own_password(user)
        panel.step_up_required = signs_in_through_provider(user)
        panel.acting_for = guards.check(
            Guard.CURRENT_ATTESTER, memo, user, submission, clock.today()
        ).acting_for
    if Action.RETURNERA.value in actions:
        panel.forms["returnera"] = ReturnForm(formdata=None, data=lock)
    # Återkalla and Radera ask to confirm on their own page (templates/workflow/confirm.html).
    return panel


TITLES = {action.value: t.title for action, t in TRANSITIONS.items()}
PAST_TENSE = {action.value: t.past_tense for action, t in TRANSITIONS.items()}
