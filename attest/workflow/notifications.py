"""E-mail to the next attester, and to the author on return and completion.

Every mail is written to the ``outbox`` table in the transition's transaction, and nothing
more happens in the request: ``attest worker`` sends it over SMTP when ``MAIL_SERVER`` is
configured (attest.outbox.mail). Without SMTP the outbox is where an administrator (and the
tests) read them.
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from flask import Flask, current_app

from attest import clock, db
from attest.memos.models import Memo
from attest.urls import external_url
from attest.users.models import User
from attest.workflow.definition import Action, State
from attest.workflow.engine import transition_applied
from attest.workflow.models import HistoryEntry, OutboxMail, Submission
from attest.workflow.substitutes import substitutes_for

log = logging.getLogger(__name__)


def _memo_link(memo: Memo) -> str:
    return external_url("memos.show", memo_id=memo.id)


def queue_mail(recipient: User, memo: Memo | None, subject: str, body: str) -> OutboxMail | None:
    if not recipient.email:
        log.warning("no e-mail address for %s; notification not queued", recipient.username)
        return None
    moment = clock.now()
    mail = OutboxMail(
        created_at=moment,
        next_attempt_at=moment,
        organisation_id=recipient.organisation_id,
        recipient_id=recipient.id,
        to_address=recipient.email,
        subject=subject,
        body=body,
        memo_id=memo.id if memo else None,
    )
    db.session().add(mail)
    return mail


def _ask_to_attest(memo: Memo, submission: Submission, reminder: bool = False) -> None:
    """Mail the step's person; while a t.f. stands in for them, the t.f. (and, when
    SUBSTITUTE_MAIL_COPY_TO_ABSENT is on, a copy to the absent person)."""
    step = submission.current_step
    if step is None:
        return
    prefix = "Påminnelse: " if reminder else ""
    subject = f"{prefix}Att attestera: {memo.dnr} {submission.version.rubrik}"
    sent = (
        f"{memo.author.full_name} har skickat tjänsteutlåtandet {memo.dnr} "
        f"”{submission.version.rubrik}” för attest."
    )
    link = f"Öppna det här: {_memo_link(memo)}\n"
    role = step.role_title.lower()
    absent = step.assignee
    stand_ins = substitutes_for(memo.organisation_id, step.role_code, absent, clock.today())
    if not stand_ins:
        queue_mail(
            absent,
            memo,
            subject,
            f"Hej {absent.full_name},\n\n{sent} Det väntar på dig som {role}.\n\n{link}",
        )
        return
    for person in stand_ins:
        queue_mail(
            person,
            memo,
            subject,
            f"Hej {person.full_name},\n\n{sent} Det väntar på dig som t.f. {role} för "
            f"{absent.full_name}.\n\n{link}",
        )
    if current_app.config["SUBSTITUTE_MAIL_COPY_TO_ABSENT"]:
        names = ", ".join(p.full_name for p in stand_ins)
        queue_mail(
            absent,
            memo,
            f"Kopia: {subject}",
            f"Hej {absent.full_name},\n\n{sent} Det väntar på dig som {role}; "
            f"{names} är t.f. för dig och har också fått det.\n\n{link}",
        )


def on_transition(
    sender: Flask, *, memo: Memo, entry: HistoryEntry, submission: Submission | None
) -> None:
    action = Action(entry.action)
    if action in (Action.SKICKA, Action.ATTESTERA) and State(entry.to_state) is State.ATTEST:
        assert submission is not None
        _ask_to_attest(memo, submission)
    elif action is Action.RETURNERA:
        queue_mail(
            memo.author,
            memo,
            f"Returnerat: {memo.dnr} {memo.latest_version.rubrik}",
            f"Hej {memo.author.full_name},\n\n{entry.actor.full_name} har returnerat "
            f"tjänsteutlåtandet {memo.dnr} med kommentaren:\n\n{entry.comment}\n\n"
            f"Öppna det här: {_memo_link(memo)}\n",
        )
    elif action is Action.ATERKALLA and submission is not None:
        _tell_attesters_of_withdrawal(memo, entry, submission)
    elif State(entry.to_state) is State.ATTESTERAD:
        queue_mail(
            memo.author,
            memo,
            f"Attesterat: {memo.dnr} {memo.latest_version.rubrik}",
            f"Hej {memo.author.full_name},\n\nTjänsteutlåtandet {memo.dnr} är attesterat "
            f"av alla i attestordningen.\n\nÖppna det här: {_memo_link(memo)}\n",
        )


def _tell_attesters_of_withdrawal(memo: Memo, entry: HistoryEntry, submission: Submission) -> None:
    """Those who already attested the withdrawn copy: their signature no longer counts."""
    reason = f"\n\nAnledning: {entry.comment}" if entry.comment else ""
    told: set[int] = set()
    for attestation in submission.attestations:
        person = attestation.signer
        if person.id in told:
            continue
        told.add(person.id)
        queue_mail(
            person,
            memo,
            f"Återkallat: {memo.dnr} {submission.version.rubrik}",
            f"Hej {person.full_name},\n\n{entry.actor.full_name} har återkallat "
            f"tjänsteutlåtandet {memo.dnr} ”{submission.version.rubrik}”, som du har "
            f"attesterat (version {submission.version.number}). Din attest gäller inte för "
            f"en ny version: skickas det igen attesterar du på nytt.{reason}\n\n"
            f"Öppna det här: {_memo_link(memo)}\n",
        )


def remind(older_than: dt.timedelta) -> int:
    """Mail attesters whose step has waited longer than ``older_than`` (once per wait)."""
    session = db.session()
    cutoff = clock.now() - older_than
    waiting = session.scalars(
        sa.select(Submission).where(
            Submission.status == "active",
            Submission.step_waiting_since < cutoff,
            sa.or_(Submission.reminded_at.is_(None), Submission.reminded_at < cutoff),
        )
    )
    count = 0
    for submission in waiting:
        memo = session.get(Memo, submission.memo_id)
        assert memo is not None
        _ask_to_attest(memo, submission, reminder=True)
        submission.reminded_at = clock.now()
        count += 1
    return count


def init_app(app: Flask) -> None:
    transition_applied.connect(on_transition, sender=app, weak=False)
