"""Domain verbs for organisations; the CLI and the admin views call these."""

from __future__ import annotations

import sqlalchemy as sa

from attest import audit, clock, db
from attest.errors import Invalid, NotFound
from attest.memos.types import add_default_type
from attest.orgs.models import Organisation
from attest.pdf.fonts import check_printable


def get_organisation(code: str) -> Organisation:
    org = db.session().scalar(sa.select(Organisation).where(Organisation.code == code))
    if org is None:
        raise NotFound(f"Okänd organisation: {code}")
    return org


def add_organisation(
    *,
    code: str,
    name: str,
    board: str,
    short_name: str = "",
    postal_address: str = "",
    switchboard: str = "",
    website: str = "",
) -> Organisation:
    code = code.strip()
    if not code or not name.strip() or not board.strip():
        raise Invalid("Kod, namn och nämnd måste anges.")
    check_printable(name, board, short_name, postal_address, switchboard, website)  # letterhead
    session = db.session()
    if session.scalar(sa.select(Organisation.id).where(Organisation.code == code)) is not None:
        raise Invalid(f"Organisationen {code} finns redan.")
    org = Organisation(
        code=code,
        name=name.strip(),
        board=board.strip(),
        short_name=short_name.strip(),
        postal_address=postal_address.strip(),
        switchboard=switchboard.strip(),
        website=website.strip(),
        created_at=clock.now(),
    )
    session.add(org)
    session.flush()
    add_default_type(org.id)  # a förvaltning writes tjänsteutlåtanden from the start
    audit.record("organisation:added", organisation=org, data={"code": code})
    return org
