"""The lists on the start page: what waits for me, my memos, the attested register."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

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


def waiting_for(user: User, limit: int = 25) -> list[WaitingItem]:
    """Memos whose current step is mine, or my role's while I am t.f.; oldest first.

    At most ``limit`` (the oldest); each item's memo comes in the same query.
    """
    session = db.session()
    today = clock.today()
    substitute_roles = select_substitutions(user, today)
    mine = Submission.current_assignee_id == user.id
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
        .options(contains_eager(Submission.memo))
        .order_by(Submission.step_waiting_since, Submission.id)
        .limit(limit)
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
    """Attested memos of the user's organisation, newest first, searchable by Dnr and text.

    The page is read off the index on (organisation, state, updated_at); the text search
    looks in the memo's versions with EXISTS, so neither grows with the whole history.
    """
    session = db.session()
    statement = sa.select(Memo).where(
        Memo.organisation_id == user.organisation_id, Memo.state == State.ATTESTERAD.value
    )
    text = " ".join(query.split())[:200]
    dnr = _parse_dnr(text) if text else None
    if dnr is not None:
        # A diarienummer is looked up as one, on its unique index: no text scan.
        year, serial = dnr
        statement = statement.where(Memo.dnr_year == year, Memo.dnr_serial == serial)
    elif text:
        like = f"%{_escape_like(text.lower())}%"
        in_text = (
            sa.select(MemoVersion.id)
            .where(
                MemoVersion.memo_id == Memo.id,
                sa.or_(
                    sa.func.lower(MemoVersion.rubrik).like(like, escape="\\"),
                    sa.func.lower(MemoVersion.underrubrik).like(like, escape="\\"),
                    sa.func.lower(MemoVersion.sammanfattning).like(like, escape="\\"),
                ),
            )
            .exists()
        )
        statement = statement.where(in_text)
    total = session.scalar(statement.with_only_columns(sa.func.count()).order_by(None)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = list(
        session.scalars(
            statement.options(selectinload(Memo.versions))
            .order_by(Memo.updated_at.desc(), Memo.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return Page(items, page, pages, total)


def _parse_dnr(text: str) -> tuple[int, int] | None:
    """'EÅV 2024/123' or '2024/123' -> (2024, 123); None for anything else."""
    import re

    match = re.fullmatch(r"(?:\w{1,16}\s+)?(\d{4})\s*/\s*(\d{1,9})", text.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
