"""E-mail to the next attester, and to the author on return and completion.

Every mail is written to the ``outbox`` table in the transition's transaction; when SMTP is
configured (``MAIL_SERVER``) it is also sent after the commit and marked sent. Without SMTP
the outbox is where an administrator (and the tests) read them.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from email.message import EmailMessage

import sqlalchemy as sa
from flask import Flask, current_app

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
    mail = OutboxMail(
        created_at=clock.now(),
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


def send_pending(limit: int = 100) -> int:
    """Send queued mails over SMTP when configured; returns how many were sent."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return 0
    session = db.session()
    pending = list(
        session.scalars(
            sa.select(OutboxMail)
            .where(OutboxMail.sent_at.is_(None))
            .order_by(OutboxMail.id)
            .limit(limit)
        )
    )
    if not pending:
        return 0
    sent = 0
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            for mail in pending:
                message = EmailMessage()
                message["From"] = config["MAIL_FROM"]
                message["To"] = mail.to_address
                message["Subject"] = mail.subject
                message.set_content(mail.body)
                smtp.send_message(message)
                mail.sent_at = clock.now()
                sent += 1
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("SMTP sending failed after %d mails: %s", sent, exc)
    session.commit()
    return sent


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
