"""Memos made through the domain operations, their facts read back, and the memo form as sent."""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import sqlalchemy as sa

from attest import db
from attest.memos.models import Memo
from attest.memos.operations import create_memo
from attest.memos.sections import SECTIONS
from attest.users.operations import get_user
from attest.workflow.models import HistoryEntry, OutboxMail
from attest.workflow.operations import attest_memo, submit_memo
from tests.support import factories


def upload(data: bytes, name: str = "bilaga.pdf") -> tuple[BytesIO, str]:
    return (BytesIO(data), name)


def memo_form(**fields: Any) -> dict[str, Any]:
    """What a browser sends for a new memo: every field, the empty ones empty."""
    data: dict[str, Any] = {"rubrik": "Läxhjälp i Rågsved", "underrubrik": "", "meeting_date": ""}
    data.update({name: "" for name, _ in SECTIONS})
    # What a memo type requires before sending (factories.SENDABLE), so the memo can be sent.
    data.update(
        forslag_till_beslut=factories.SENDABLE["forslag_till_beslut"],
        meeting_date=factories.SENDABLE["meeting_date"].isoformat(),
    )
    data.update(
        {
            "subsections-0-title": "",
            "subsections-0-text": "",
            "subsections-1-title": "",
            "subsections-1-text": "",
        }
    )
    data.update(fields)
    return data


def post_form(auth, url: str, data: dict[str, Any]):
    return auth.post(url, data, page=url, content_type="multipart/form-data")


def edit_form(page: str, **changes: Any) -> dict[str, Any]:
    """The edit form as the page filled it in, with ``changes`` typed over it."""
    data: dict[str, Any] = {}
    form = page[page.index('<form method="post" enctype') :]
    for tag in re.findall(r"<input[^>]*>", form):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        if attrs.get("type") == "checkbox" and " checked" not in tag:
            continue
        if "name" in attrs and "value" in attrs:
            data[attrs["name"]] = html_lib.unescape(attrs["value"])
    for name, value in re.findall(
        r'<textarea[^>]*?name="([^"]+)"[^>]*>\n?(.*?)</textarea>', form, re.S
    ):
        data[name] = html_lib.unescape(value)
    for name in ("csrf_token", "submit"):
        data.pop(name, None)
    data.update(changes)
    return data


@dataclass(frozen=True)
class Facts:
    state: str
    lock_version: int
    history: list[tuple[str, str, int, str]]  # action, actor username, version, comment
    dnr: str


def facts(app, memo_id: int) -> Facts:
    with app.app_context():
        memo = db.session().get(Memo, memo_id)
        entries = db.session().scalars(
            sa.select(HistoryEntry).where(HistoryEntry.memo_id == memo_id).order_by(HistoryEntry.id)
        )
        return Facts(
            memo.state,
            memo.lock_version,
            [(e.action, e.actor.username, e.version_number, e.comment) for e in entries],
            memo.dnr,
        )


def outbox(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [
            (m.to_address, m.subject)
            for m in db.session().scalars(sa.select(OutboxMail).order_by(OutboxMail.id))
        ]


def sent_memo(app, author, rubrik: str = "Idéburet offentligt partnerskap") -> int:
    """A memo by ``author``, sent for attest with the preselected people."""
    with app.app_context():
        author = get_user(author.username)
        memo = create_memo(author, factories.content(rubrik=rubrik, sammanfattning="Text."))
        submit_memo(memo, author)
        db.session().commit()
        return memo.id


def draft_memo(app, author, rubrik: str = "Ett utkast") -> int:
    with app.app_context():
        memo = create_memo(get_user(author.username), factories.content(rubrik=rubrik))
        db.session().commit()
        return memo.id


def attested_memo(app, people, rubrik: str) -> int:
    memo_id = sent_memo(app, people.handlaggare, rubrik)
    with app.app_context():
        memo = db.session().get(Memo, memo_id)
        for person in (people.avdelningschef, people.stadsdelsdirektor):
            attest_memo(memo, get_user(person.username), password=factories.PASSWORD)
        db.session().commit()
    return memo_id
