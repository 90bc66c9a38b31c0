"""The events a webhook can receive, in one place, and how a transition becomes them.

A transition (attest.workflow.engine) writes one delivery row per subscribed endpoint in
its own transaction; the worker sends them. The payload names the memo and links to it in
the API; the memo's content is fetched there, with a token, never pushed.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_babel import lazy_gettext as _l

from attest import clock, db
from attest.memos.models import Memo
from attest.urls import external_url
from attest.webhooks.models import WebhookDelivery, WebhookEndpoint
from attest.workflow.definition import Action, State
from attest.workflow.engine import transition_applied
from attest.workflow.models import HistoryEntry, Submission

MEMO_SENT = "memo.sent"
MEMO_RETURNED = "memo.returned"
MEMO_WITHDRAWN = "memo.withdrawn"
MEMO_STEP_ATTESTED = "memo.step_attested"
MEMO_ATTESTED = "memo.attested"

# Every event, with what it means (the admin pages and the CLI's help show it).
EVENTS: dict[str, Any] = {
    MEMO_SENT: _l("Tjänsteutlåtandet har skickats för attest."),
    MEMO_RETURNED: _l("Tjänsteutlåtandet har returnerats till handläggaren."),
    MEMO_WITHDRAWN: _l("Handläggaren har återkallat tjänsteutlåtandet."),
    MEMO_STEP_ATTESTED: _l("Ett steg i attestordningen är attesterat (också det sista)."),
    MEMO_ATTESTED: _l("Alla i attestordningen har attesterat; den attesterade PDF:en finns."),
}


def events_of(entry: HistoryEntry) -> list[str]:
    """The events a history entry is: an attestation of the last step is two."""
    action = Action(entry.action)
    if action is Action.SKICKA:
        return [MEMO_SENT]
    if action is Action.RETURNERA:
        return [MEMO_RETURNED]
    if action is Action.ATERKALLA:
        return [MEMO_WITHDRAWN]
    if action is Action.RADERA:  # a draft nobody outside attest has seen: no event
        return []
    if State(entry.to_state) is State.ATTESTERAD:
        return [MEMO_STEP_ATTESTED, MEMO_ATTESTED]
    return [MEMO_STEP_ATTESTED]


def new_message_id() -> str:
    return f"msg_{secrets.token_urlsafe(18)}"


def payload(event: str, memo: Memo, entry: HistoryEntry) -> str:
    """The body as sent and signed: the event, when, and which memo (with API links)."""
    links = {"memo": external_url("api_memos.memo", memo_id=memo.id)}
    if State(memo.state) is State.ATTESTERAD:
        links["attested_pdf"] = external_url("api_memos.attested_pdf", memo_id=memo.id)
    body = {
        "type": event,
        "timestamp": entry.created_at.isoformat().replace("+00:00", "Z"),
        "data": {
            "memo_id": memo.id,
            "dnr": memo.dnr,
            "diarium_dnr": memo.diarium_dnr,
            "state": memo.state,
            "version": entry.version_number,
            "step": entry.step_position,
            "links": links,
        },
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def queue(organisation_id: int, event: str, body: str, memo_id: int | None) -> int:
    """One delivery per active endpoint of the organisation that wants the event."""
    session = db.session()
    endpoints = session.scalars(
        sa.select(WebhookEndpoint).where(
            WebhookEndpoint.organisation_id == organisation_id,
            WebhookEndpoint.removed_at.is_(None),
        )
    )
    moment = clock.now()
    count = 0
    for endpoint in endpoints:
        if event not in endpoint.event_set:
            continue
        session.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                organisation_id=organisation_id,
                event=event,
                message_id=new_message_id(),
                payload=body,
                memo_id=memo_id,
                created_at=moment,
                next_attempt_at=moment,
            )
        )
        count += 1
    return count


def on_transition(
    sender: Flask, *, memo: Memo, entry: HistoryEntry, submission: Submission | None
) -> None:
    for event in events_of(entry):
        queue(memo.organisation_id, event, payload(event, memo, entry), memo.id)


def init_app(app: Flask) -> None:
    transition_applied.connect(on_transition, sender=app, weak=False)
