"""Sending an outbox mail over SMTP (MAIL_SERVER); the worker calls this, never a request."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any, Mapping

from attest.workflow.models import OutboxMail

# What a failed send raises: a refused or dropped connection, an SMTP error reply.
SEND_ERRORS = (OSError, smtplib.SMTPException)


def enabled(config: Mapping[str, Any]) -> bool:
    """Without MAIL_SERVER the mails stay in the outbox (Utkorg), unsent."""
    return bool(config.get("MAIL_SERVER"))


def send(mail: OutboxMail, config: Mapping[str, Any]) -> None:
    """Hand the mail to the SMTP server; raises one of SEND_ERRORS if it is not taken."""
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Message-ID"] = f"<outbox-{mail.id}-{mail.created_at:%Y%m%d%H%M%S}@attest>"
    message.set_content(mail.body)
    timeout = config["WORKER_SEND_TIMEOUT_SECONDS"]
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
