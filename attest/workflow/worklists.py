"""The lists on the start page: what waits for me, my memos, the attested register."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from attest import clock, db
from attest.memos.models import Memo, MemoVersion
from attest.users.models import User
from attest.workflow.definition import State
from attest.workflow.models import Submission, SubmissionStep, Substitution


@dataclass(frozen=True)
class WaitingItem:
    memo: Memo
    submission: Submission
    step: SubmissionStep
    acting_for: User | None  # set when it waits for me as t.f.


def waiting_for(user: User) -> list[WaitingItem]:
    """Memos whose current step is mine, or my role's while I am t.f.; oldest first."""
    session = db.session()
    today = clock.today()
    substitute_roles = select_substitutions(user, today)
    mine = sa.and_(SubmissionStep.assignee_id == user.id)
    conditions = [mine]
    for substitution in substitute_roles:
        condition = SubmissionStep.role_code == substitution.role_code
        if substitution.for_user_id is not None:
            condition = sa.and_(condition, SubmissionStep.assignee_id == substitution.for_user_id)
        conditions.append(sa.and_(condition, SubmissionStep.assignee_id != user.id))
    rows = session.execute(
        sa.select(Submission, SubmissionStep)
        .join(
            SubmissionStep,
            sa.and_(
                SubmissionStep.submission_id == Submission.id,
                SubmissionStep.position == Submission.current_position,
            ),
        )
        .join(Memo, Memo.id == Submission.memo_id)
        .where(
            Submission.status == "active",
            Memo.organisation_id == user.organisation_id,
            Memo.author_id != user.id,
            sa.or_(*conditions),
        )
        .order_by(Submission.step_waiting_since, Submission.id)
    ).all()
    items = []
    for submission, step in rows:
        acting_for = None if step.assignee_id == user.id else step.assignee
        items.append(WaitingItem(submission.memo, submission, step, acting_for))
    return items


def select_substitutions(user: User, on: dt.date) -> list[Substitution]:
    return list(
        db.session().scalars(
            sa.select(Substitution).where(
                Substitution.substitute_id == user.id,
                Substitution.organisation_id == user.organisation_id,
                Substitution.starts_on <= on,
                Substitution.ends_on >= on,
            )
        )
    )


@dataclass(frozen=True)
class Page:
    items: list[Memo]
    page: int
    pages: int
    total: int


def attested_register(user: User, query: str = "", page: int = 1, per_page: int = 25) -> Page:
    """Attested memos of the user's organisation, newest first, searchable by Dnr and text."""
    session = db.session()
    latest = (
        sa.select(MemoVersion.memo_id, sa.func.max(MemoVersion.number).label("number"))
        .group_by(MemoVersion.memo_id)
        .subquery()
    )
    statement = (
        sa.select(Memo)
        .join(latest, latest.c.memo_id == Memo.id)
        .join(
            MemoVersion,
            sa.and_(MemoVersion.memo_id == Memo.id, MemoVersion.number == latest.c.number),
        )
        .where(Memo.organisation_id == user.organisation_id, Memo.state == State.ATTESTERAD.value)
    )
    text = " ".join(query.split())[:200]
    if text:
        dnr = _parse_dnr(text)
        like = f"%{_escape_like(text.lower())}%"
        matches = [
            sa.func.lower(MemoVersion.rubrik).like(like, escape="\\"),
            sa.func.lower(MemoVersion.underrubrik).like(like, escape="\\"),
            sa.func.lower(MemoVersion.sammanfattning).like(like, escape="\\"),
        ]
        if dnr is not None:
            year, serial = dnr
            matches.append(sa.and_(Memo.dnr_year == year, Memo.dnr_serial == serial))
        statement = statement.where(sa.or_(*matches))
    total = session.scalar(sa.select(sa.func.count()).select_from(statement.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = list(
        session.scalars(
            statement.order_by(Memo.updated_at.desc(), Memo.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return Page(items, page, pages, total)


def _parse_dnr(text: str) -> tuple[int, int] | None:
    """'EÅV 2024/123' or '2024/123' -> (2024, 123)."""
    import re

    match = re.search(r"(\d{4})\s*/\s*(\d+)", text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
