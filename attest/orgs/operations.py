"""Domain verbs for organisations; the CLI and the admin views call these."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import sqlalchemy as sa

from attest import audit, clock, db
from attest.errors import Invalid, NotFound
from attest.i18n import _l
from attest.memos.types import add_default_type
from attest.orgs.models import DNR_ATTEST, DNR_DIARIUM, Organisation
from attest.pdf.fonts import check_printable

if TYPE_CHECKING:
    from attest.users.models import User


def get_organisation(code: str) -> Organisation:
    org = db.session().scalar(sa.select(Organisation).where(Organisation.code == code))
    if org is None:
        raise NotFound(_l("Okänd organisation: %(code)s", code=code))
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
        raise Invalid(_l("Kod, namn och nämnd måste anges."))
    check_printable(name, board, short_name, postal_address, switchboard, website)  # letterhead
    session = db.session()
    if session.scalar(sa.select(Organisation.id).where(Organisation.code == code)) is not None:
        raise Invalid(_l("Organisationen %(code)s finns redan.", code=code))
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


@dataclass(frozen=True)
class Settings:
    """What an administrator sets for the organisation: the PDF's letterhead and footer,
    and who numbers the memos."""

    name: str
    short_name: str
    board: str
    letterhead: str
    postal_address: str
    switchboard: str
    website: str
    public_base_url: str
    dnr_source: str

    @classmethod
    def of(cls, org: Organisation) -> Settings:
        return cls(**{f.name: getattr(org, f.name) for f in fields(cls)})


MAX_LINE_LENGTH = 200
MAX_LINES = 4


def update_settings(org: Organisation, settings: Settings, *, actor: User | None) -> list[str]:
    """Change the organisation's settings; the names of the fields that changed.

    What is already frozen into a sent memo's PDF stays as it was printed: the settings
    apply to previews and to memos sent from now on.
    """
    from flask_babel import gettext as _

    values = {f.name: (getattr(settings, f.name) or "").strip() for f in fields(Settings)}
    for name in ("name", "short_name", "board", "switchboard", "website", "public_base_url"):
        values[name] = " ".join(values[name].split())
    for name in ("letterhead", "postal_address"):
        lines = [" ".join(line.split()) for line in values[name].splitlines()]
        lines = [line for line in lines if line]
        if len(lines) > MAX_LINES:
            raise Invalid(_("Högst %(n)d rader i brevhuvudet och i adressen.", n=MAX_LINES))
        values[name] = "\n".join(lines)
    if not values["name"] or not values["board"]:
        raise Invalid(_("Namn och nämnd måste anges."))
    if any(len(line) > MAX_LINE_LENGTH for v in values.values() for line in v.splitlines()):
        raise Invalid(_("En rad får ha högst %(n)d tecken.", n=MAX_LINE_LENGTH))
    if values["dnr_source"] not in (DNR_ATTEST, DNR_DIARIUM):
        raise Invalid(_("Välj hur diarienumret sätts."))
    if values["public_base_url"]:
        values["public_base_url"] = checked_base_url(values["public_base_url"])
    check_printable(*values.values())  # the PDF prints every one of them
    changed = [name for name, value in values.items() if getattr(org, name) != value]
    for name in changed:
        setattr(org, name, values[name])
    if changed:
        db.session().flush()
        audit.record(
            "organisation:changed",
            actor=actor,
            organisation=org,
            data={"fields": changed, **{name: values[name] for name in changed}},
        )
    return changed


def checked_base_url(url: str) -> str:
    """A public https (or http) address with a host and nothing after the path."""
    from urllib.parse import urlsplit

    from flask_babel import gettext as _

    parts = urlsplit(url)
    if (
        parts.scheme not in ("https", "http")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
        or any(ch.isspace() for ch in url)
    ):
        raise Invalid(
            _("Ange den publika adressen som https://namn.example.se, utan frågetecken eller #.")
        )
    return url.rstrip("/")
