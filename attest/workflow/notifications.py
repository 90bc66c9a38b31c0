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
from flask import Flask

from attest import clock, db
from attest.memos.models import Memo
from attest.urls import external_url
from attest.users.models import User
from attest.workflow.definition import Action, State
from attest.workflow.engine import transition_applied
from attest.workflow.models import HistoryEntry, OutboxMail, Submission

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
    step = submission.current_step
    if step is None:
        return
    prefix = "Påminnelse: " if reminder else ""
    queue_mail(
        step.assignee,
        memo,
        f"{prefix}Att attestera: {memo.dnr} {submission.version.rubrik}",
        f"Hej {step.assignee.full_name},\n\n"
        f"{memo.author.full_name} har skickat tjänsteutlåtandet {memo.dnr} "
        f"”{submission.version.rubrik}” för attest. Det väntar på dig som "
        f"{step.role_title.lower()}.\n\nÖppna det här: {_memo_link(memo)}\n",
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
    elif State(entry.to_state) is State.ATTESTERAD:
        queue_mail(
            memo.author,
            memo,
            f"Attesterat: {memo.dnr} {memo.latest_version.rubrik}",
            f"Hej {memo.author.full_name},\n\nTjänsteutlåtandet {memo.dnr} är attesterat "
            f"av alla i attestordningen.\n\nÖppna det här: {_memo_link(memo)}\n",
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
