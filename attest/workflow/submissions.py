"""The submission (frozen copy) a memo is attested on."""

from __future__ import annotations

import sqlalchemy as sa

from attest import blobs, db
from attest.memos.models import Memo
from attest.workflow.models import Submission


def active_submission(memo: Memo) -> Submission | None:
    """The submission being attested, or the attested one; None for a draft."""
    return db.session().scalar(
        sa.select(Submission)
        .where(Submission.memo_id == memo.id, Submission.status.in_(("active", "attested")))
        .order_by(Submission.number.desc())
    )


def current_pdf(memo: Memo) -> bytes | None:
    """The bytes attesters see and sign now (with the attestations so far), if sent."""
    submission = active_submission(memo)
    if submission is None:
        return None
    return blobs.store().get(submission.current_pdf_sha256)


def by_verification_code(code: str) -> Submission | None:
    """The submission whose frozen PDF carries this code (the /v/<code> link)."""
    return db.session().scalar(
        sa.select(Submission).where(Submission.verification_code == code.strip().upper())
    )
