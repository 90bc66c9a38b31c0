"""The one engine that applies a declared transition to a memo.

``apply_transition`` checks that the transition is declared for the memo's state, checks its
guard and comment rule, performs it (freezing, attesting through the signing hooks, voiding),
writes the history entry, and emits ``transition_applied`` for notifications. No other code
sets a memo's state. Concurrent requests are serialised by the memo's lock_version column
and the unique attestation per step: the loser gets a Conflict (409), nothing written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Mapping, cast

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from sqlalchemy.exc import IntegrityError

from attest import audit, blobs, clock, db
from attest.errors import Conflict, Forbidden, Invalid
from attest.i18n import _l
from attest.memos.models import Memo
from attest.memos.operations import STALE_MEMO, lock_memo
from attest.memos.rendering import StepLine, document_for
from attest.memos.types import check_sendable
from attest.pdf import render_memo
from attest.pki.profile import acting_title
from attest.sso.models import StepUp
from attest.urls import external_url
from attest.users.models import User
from attest.workflow import guards
from attest.workflow.definition import (
    TRANSITIONS,
    Action,
    State,
    Target,
    Transition,
    waiting_title,
)
from attest.workflow.hooks import PlannedRow, field_name, hooks
from attest.workflow.models import (
    Attestation,
    HistoryEntry,
    Submission,
    SubmissionStep,
    Substitution,
)
from attest.workflow.routes import plan
from attest.workflow.submissions import active_submission
from attest.workflow.substitutes import substitutes_for

signals = Namespace()
# sender: the app; kwargs: memo, entry (HistoryEntry), submission (Submission | None)
transition_applied = signals.signal("transition-applied")

MAX_COMMENT_LENGTH = 5000


def state_title(memo: Memo, submission: Submission | None = None) -> str:
    """ "Utkast", "Hos avdelningschef", "Attesterad"."""
    state = State(memo.state)
    if state is State.ATTEST:
        submission = submission or active_submission(memo)
        step = submission.current_step if submission else None
        if step is not None:
            return waiting_title(step.role_title)
    return state.label


@dataclass
class _Outcome:
    target: State
    submission: Submission | None
    step_position: int | None = None
    version_number: int = 0


def available(memo: Memo, actor: User, submission: Submission | None = None) -> list[Transition]:
    """The transitions this person may take now, in declaration order. ``submission``: the
    memo's active submission, if the caller has read it already (else it is read here)."""
    state = State(memo.state)
    if state is not State.ATTEST:
        submission = None
    elif submission is None:
        submission = active_submission(memo)
    today = clock.today()
    return [
        t
        for t in TRANSITIONS.values()
        if state in t.sources and guards.check(t.guard, memo, actor, submission, today).allowed
    ]


def apply_transition(
    memo: Memo,
    action: Action | str,
    actor: User,
    *,
    comment: str = "",
    assignees: Mapping[int, int] | None = None,
    password: str | None = None,
    step_up: StepUp | None = None,
    remote: Any = None,
    expected_lock_version: int | None = None,
) -> HistoryEntry:
    try:
        transition = TRANSITIONS[Action(action)]
    except ValueError:
        raise Invalid(_l("Okänd åtgärd: %(action)s", action=action)) from None
    if expected_lock_version is not None and expected_lock_version != memo.lock_version:
        raise Conflict(STALE_MEMO)
    state = State(memo.state)
    if state not in transition.sources:
        raise Conflict(
            _l(
                "”%(action)s” går inte nu: tjänsteutlåtandet är %(state)s.",
                action=transition.title,
                state=str(state_title(memo)).lower(),
            )
        )
    comment = (comment or "").replace("\r\n", "\n").strip()
    if transition.comment_required and not comment:
        raise Invalid(_l("Skriv en kommentar som förklarar varför tjänsteutlåtandet returneras."))
    if len(comment) > MAX_COMMENT_LENGTH:
        raise Invalid(_l("Kommentaren får ha högst %(n)d tecken.", n=MAX_COMMENT_LENGTH))
    # Lock first, before the guard and any work: of concurrent transitions on this memo one
    # wins and every other one gets a 409, and what the guard reads cannot change under it.
    lock_memo(memo)
    submission = active_submission(memo) if state is State.ATTEST else None
    verdict = guards.check(transition.guard, memo, actor, submission, clock.today())
    if not verdict.allowed:
        raise Forbidden(verdict.reason)

    moment = clock.now()
    session = db.session()
    try:
        outcome = _PERFORM[transition.action](
            memo=memo,
            actor=actor,
            submission=submission,
            acting_for=verdict.acting_for,
            substitution=verdict.substitution,
            assignees=assignees or {},
            password=password,
            step_up=step_up,
            remote=remote,
            moment=moment,
        )
        entry = HistoryEntry(
            memo_id=memo.id,
            action=transition.action.value,
            from_state=state.value,
            to_state=outcome.target.value,
            actor_id=actor.id,
            acting_for_id=verdict.acting_for.id if verdict.acting_for else None,
            created_at=moment,
            comment=comment,
            version_number=outcome.version_number,
            submission_id=outcome.submission.id if outcome.submission else None,
            step_position=outcome.step_position,
        )
        memo.state = outcome.target.value
        session.add(entry)
        session.flush()
    except IntegrityError:  # the unique attestation per step, should the lock be bypassed
        session.rollback()
        raise Conflict(STALE_MEMO) from None
    audit.record(
        f"memo:{transition.action.value}",
        actor=actor,
        organisation=memo.organisation,
        data={
            "memo": memo.id,
            "dnr": memo.dnr,
            "version": outcome.version_number,
            "step": outcome.step_position,
            "acting_for": entry.acting_for_id,
            "to": outcome.target.value,
            **(_step_up_data(step_up) if step_up else {}),
        },
    )
    transition_applied.send(
        cast(Any, current_app)._get_current_object(),
        memo=memo,
        entry=entry,
        submission=outcome.submission,
    )
    return entry


def _step_up_data(step_up: StepUp) -> dict[str, str | None]:
    """The audit log names the fresh authentication an attestation followed."""
    return {
        "sso_provider": step_up.provider,
        "sso_subject": step_up.subject,
        "sso_auth_time": step_up.auth_time.isoformat() if step_up.auth_time else None,
        "sso_context": step_up.context,
    }


# No 0/O, 1/I/L: a code read aloud or typed from paper must not be misread.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_verification_code() -> str:
    import secrets

    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))


def verification_url(code: str, base_url: str = "") -> str:
    """The link printed in the frozen PDF's footer: the verify page's /v/<code> route, under
    the organisation's public base URL when it has one."""
    return external_url("verify.by_code", base_url=base_url, verification_code=code)


def _send(
    *, memo: Memo, actor: User, assignees: Mapping[int, int], moment: dt.datetime, **_
) -> _Outcome:
    """Fix the route with the chosen people, freeze the version into the PDF to attest."""
    check_sendable(memo)  # the type's required sections, the diarium's Dnr
    version = memo.latest_version
    steps: list[SubmissionStep] = []
    chosen: set[int] = set()
    for planned in plan(memo):
        role = str(planned.role.shown_title).lower()
        wanted = assignees.get(planned.position)
        person = (
            planned.preselected
            if wanted is None
            else next((c for c in planned.candidates if c.id == wanted), None)
        )
        if person is None and wanted is None:
            if not planned.candidates:
                raise Invalid(
                    _l("Det finns ingen %(role)s i organisationen att skicka till.", role=role)
                )
            raise Invalid(_l("Välj vem som ska attestera som %(role)s.", role=role))
        if person is None:
            raise Invalid(_l("Den valda personen kan inte attestera som %(role)s.", role=role))
        if person.id in chosen:
            raise Invalid(_l("En person kan bara attestera ett steg av ett tjänsteutlåtande."))
        chosen.add(person.id)
        steps.append(
            SubmissionStep(
                position=planned.position,
                role_code=planned.role.code,
                role_title=planned.role.title,
                assignee=person,
            )
        )
    if not steps:
        raise Invalid(_l("Organisationen har ingen attestordning för tjänsteutlåtanden."))
    today = clock.local(moment).date()
    stand_ins = {
        s.position: substitutes_for(memo.organisation_id, s.role_code, s.assignee, today)
        for s in steps
    }
    lines = [_signature_line(s, stand_ins[s.position]) for s in steps]
    code = new_verification_code()
    rendered = render_memo(
        document_for(
            memo,
            version,
            steps=lines,
            date=clock.local(moment).date(),
            verification_url=verification_url(code, memo.organisation.public_base_url),
            created_at=moment,  # the frozen PDF's creation time (XMP and /Info)
        )
    )
    frozen = hooks().freeze(
        rendered,
        organisation_id=memo.organisation_id,
        dnr=memo.dnr,
        version_number=version.number,
        rows=[
            PlannedRow(
                field_name=field_name(s.position),
                role_code=s.role_code,
                role_title=s.role_title,
                person_name=s.assignee.full_name,
                person_id=s.assignee.person_id,
                substitute_ids=tuple(p.person_id for p in stand_ins[s.position]),
                signservice_id=(
                    s.assignee.signservice_id if s.assignee.signing_method == "signservice" else ""
                ),
            )
            for s in steps
        ],
    )
    sha = blobs.store().put(frozen)
    previous = db.session().scalar(
        sa.select(sa.func.max(Submission.number)).where(Submission.memo_id == memo.id)
    )
    submission = Submission(
        memo_id=memo.id,
        version=version,
        number=(previous or 0) + 1,
        status="active",
        current_position=steps[0].position,
        current_assignee_id=steps[0].assignee.id,
        created_at=moment,
        created_by_id=actor.id,
        verification_code=code,
        frozen_pdf_sha256=sha,
        current_pdf_sha256=sha,
        step_waiting_since=moment,
        steps=steps,
    )
    db.session().add(submission)
    db.session().flush()
    return _Outcome(State.ATTEST, submission, version_number=version.number)


def _signature_line(step: SubmissionStep, stand_ins: list[User]) -> StepLine:
    """The signature block's line for a step: the person, or, when a t.f. stands in for
    them on the day it is sent, the t.f. ("t.f. Stadsdelsdirektör")."""
    if stand_ins:
        return StepLine(step.role_title, stand_ins[0].full_name, acting_title(step.role_title))
    return StepLine(step.role_title, step.assignee.full_name, step.assignee.title)


def _attest(
    *,
    memo: Memo,
    actor: User,
    submission: Submission,
    acting_for: User | None,
    substitution: Substitution | None,
    password: str | None,
    step_up: StepUp | None,
    remote: Any,
    moment: dt.datetime,
    **_,
) -> _Outcome:
    """Sign the current step through the hooks; move on, or finish after the last step."""
    step = submission.current_step
    assert step is not None
    store = blobs.store()
    signature = hooks().attest(
        store.get(submission.current_pdf_sha256),
        field_name=field_name(step.position),
        signer=actor,
        role_code=step.role_code,
        role_title=step.role_title,
        substitution=substitution if acting_for else None,
        moment=moment,
        password=password,
        remote=remote,
    )
    db.session().add(
        Attestation(
            submission_id=submission.id,
            position=step.position,
            version_id=submission.version_id,
            signer_id=actor.id,
            acting_for_id=acting_for.id if acting_for else None,
            signer_name=actor.full_name,
            signer_title=signature.title,
            attested_at=moment,
            certificate_sha256=signature.certificate_sha256,
            pdf_sha256_before=submission.current_pdf_sha256,
            pdf_sha256_after=blobs.digest(signature.pdf),
            timestamp_at=signature.timestamp_at,
            tsa=signature.tsa,
            sso_provider=step_up.provider if step_up else None,
            sso_subject=step_up.subject if step_up else None,
            sso_auth_time=step_up.auth_time if step_up else None,
            sso_context=step_up.context if step_up else None,
        )
    )
    later = [s for s in submission.steps if s.position > step.position]
    if later:
        submission.current_position = later[0].position
        submission.current_assignee_id = later[0].assignee_id
        submission.step_waiting_since = moment
        submission.reminded_at = None
        submission.current_pdf_sha256 = store.put(signature.pdf)
        target = State.ATTEST
    else:
        final = hooks().finish(signature.pdf, organisation_id=memo.organisation_id)
        submission.current_pdf_sha256 = store.put(final)
        submission.current_position = None
        submission.current_assignee_id = None
        submission.status = "attested"
        submission.ended_at = moment
        target = State.ATTESTERAD
    return _Outcome(target, submission, step.position, submission.version.number)


def _void(*, submission: Submission, moment: dt.datetime, **_) -> _Outcome:
    """Return or withdraw: the frozen copy is void; the next sending starts afresh."""
    position = submission.current_position
    submission.status = "voided"
    submission.current_position = None
    submission.current_assignee_id = None
    submission.ended_at = moment
    return _Outcome(State.UTKAST, submission, position, submission.version.number)


def _delete(*, memo: Memo, **_) -> _Outcome:
    """Radera: the draft is gone for everyone; the row keeps its Dnr from being given again."""
    return _Outcome(State.RADERAD, None, None, memo.latest_version.number)


_PERFORM: dict[Action, Callable[..., _Outcome]] = {
    Action.SKICKA: _send,
    Action.ATTESTERA: _attest,
    Action.RETURNERA: _void,
    Action.ATERKALLA: _void,
    Action.RADERA: _delete,
}
assert set(_PERFORM) == set(TRANSITIONS), "every declared transition needs its performer"
assert all(
    isinstance(t.target, (State, Target)) for t in TRANSITIONS.values()
), "a transition leads to a state or a route-dependent target"
