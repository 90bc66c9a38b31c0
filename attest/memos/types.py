"""Memo types: which kinds of memo an organisation writes, and what each needs before it
is sent for attestation. The route of a type is attest.workflow.routes' (by the code).

An organisation that has configured no type writes tjänsteutlåtanden (``default_type``),
which need a förslag till beslut and a sammanträdesdatum, like every type made without
saying otherwise.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from attest import db
from attest.errors import Invalid
from attest.memos.models import Memo, MemoType, MemoVersion
from attest.memos.sections import (
    LABEL_SAMMANTRADESDATUM,
    MEMO_TYPE_TITLES,
    MEMO_TYPE_TJANSTEUTLATANDE,
    SECTIONS,
)
from attest.orgs.models import DNR_DIARIUM

# What a type may require, in the memo's order: field name -> label (the PDF's heading).
REQUIRABLE: dict[str, str] = {"meeting_date": LABEL_SAMMANTRADESDATUM, **dict(SECTIONS)}
DEFAULT_REQUIRED: tuple[str, ...] = ("meeting_date", "forslag_till_beslut")


def default_type(organisation_id: int) -> MemoType:
    """The type of an organisation that has configured none (not stored)."""
    return MemoType(
        organisation_id=organisation_id,
        code=MEMO_TYPE_TJANSTEUTLATANDE,
        title=MEMO_TYPE_TITLES[MEMO_TYPE_TJANSTEUTLATANDE],
        required=",".join(DEFAULT_REQUIRED),
    )


def add_default_type(organisation_id: int) -> MemoType:
    """Store the default type for a new organisation (its route: the default route)."""
    from attest import clock

    stored = default_type(organisation_id)
    stored.created_at = clock.now()
    db.session().add(stored)
    return stored


def stored_types(organisation_id: int) -> list[MemoType]:
    """The organisation's stored types, retired ones too, in the order they were made."""
    return list(
        db.session().scalars(
            sa.select(MemoType)
            .where(MemoType.organisation_id == organisation_id)
            .order_by(MemoType.id)
        )
    )


def memo_types(organisation_id: int, *, include_retired: bool = False) -> list[MemoType]:
    """The types a handläggare may choose from (first made first); never empty."""
    stored = stored_types(organisation_id)
    if not stored:
        return [default_type(organisation_id)]
    return [t for t in stored if include_retired or t.retired_at is None]


def find_type(organisation_id: int, code: str) -> MemoType | None:
    """The organisation's type with that code, retired or not; None if it has none."""
    return next(
        (t for t in memo_types(organisation_id, include_retired=True) if t.code == code), None
    )


def type_of(memo: Memo) -> MemoType:
    """The memo's type (a memo made before its type existed: the default's rules)."""
    found = find_type(memo.organisation_id, memo.memo_type)
    return found if found is not None else default_type(memo.organisation_id)


def chosen_type(organisation_id: int, code: str | None) -> MemoType:
    """The type a new memo is made as: the one named, which must be offered; with no name
    (the JSON API, the CLI), the first offered, as the form preselects it."""
    offered = memo_types(organisation_id)
    if not code:
        return offered[0]
    found = next((t for t in offered if t.code == code), None)
    if found is None:
        raise Invalid(_("Den typen av ärende finns inte. Välj en av dem som finns."))
    return found


def missing_sections(memo_type: MemoType, version: MemoVersion) -> list[str]:
    """The labels of the required sections this version leaves empty, in the memo's order."""
    required = set(memo_type.required_fields)
    return [
        label
        for name, label in REQUIRABLE.items()
        if name in required and not _filled(getattr(version, name))
    ]


def _filled(value: object) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None


def sending_refusals(memo: Memo) -> list[str]:
    """Why the memo cannot be sent for attestation as it stands (nothing: it can)."""
    refusals = []
    missing = missing_sections(type_of(memo), memo.latest_version)
    if missing:
        refusals.append(
            _(
                "Fyll i det som krävs innan tjänsteutlåtandet skickas för attest: %(sections)s.",
                sections=", ".join(_(label) for label in missing),
            )
        )
    if memo.organisation.dnr_source == DNR_DIARIUM and not memo.diarium_dnr:
        refusals.append(_("Ange diariets Dnr innan tjänsteutlåtandet skickas för attest."))
    return refusals


def check_sendable(memo: Memo) -> None:
    refusals = sending_refusals(memo)
    if refusals:
        raise Invalid(" ".join(refusals))
