"""The administrator's verbs for memo types: a type's title, required sections and route
together. The views and the CLI call these; a memo already sent keeps the route it was
sent with (its SubmissionSteps), whatever changes here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Sequence

from flask_babel import gettext as _

from attest import audit, clock, db
from attest.errors import Invalid, NotFound
from attest.i18n import _l
from attest.memos.models import MemoType
from attest.memos.types import REQUIRABLE, add_default_type, memo_types, stored_types
from attest.orgs.models import Organisation
from attest.pdf.fonts import check_printable
from attest.users import roles
from attest.users.models import Role, User
from attest.workflow.routes import route_roles, set_route

MAX_TITLE_LENGTH = 100
MAX_STEPS = 6


@dataclass(frozen=True)
class MemoTypeView:
    """A type as the administrator's page lists it: with its route's roles."""

    memo_type: MemoType
    route: tuple[Role, ...]

    @property
    def required_labels(self) -> list[str]:
        wanted = set(self.memo_type.required_fields)
        return [_l(label) for name, label in REQUIRABLE.items() if name in wanted]


def attesting_roles(organisation: Organisation) -> list[Role]:
    """The roles the organisation's routes may name (shared ones and its own), by title."""
    from attest.users.operations import list_roles

    return [r for r in list_roles(organisation) if r.code not in roles.NOT_ATTESTING]


def list_memo_types(organisation: Organisation) -> list[MemoTypeView]:
    """The organisation's types, retired ones last, each with its route."""
    types = memo_types(organisation.id, include_retired=True)
    types.sort(key=lambda t: (t.retired_at is not None, t.id or 0))
    return [MemoTypeView(t, tuple(route_roles(organisation.id, t.code))) for t in types]


def get_memo_type(organisation: Organisation, type_id: int) -> MemoType:
    """The organisation's type with that id; NotFound for any other (no hint it exists)."""
    found = db.session().get(MemoType, type_id)
    if found is None or found.organisation_id != organisation.id:
        raise NotFound(_("Typen finns inte."))
    return found


def save_memo_type(
    organisation: Organisation,
    *,
    actor: User | None,
    title: str,
    required: Sequence[str],
    route: Sequence[str],
    memo_type: MemoType | None = None,
) -> MemoType:
    """Add a type (``memo_type`` None) or change one: its title, required sections, route."""
    title = " ".join((title or "").split())
    if not title:
        raise Invalid(_("Ange typens namn."))
    if len(title) > MAX_TITLE_LENGTH:
        raise Invalid(_("Typens namn får ha högst %(n)d tecken.", n=MAX_TITLE_LENGTH))
    check_printable(title)  # the PDF prints it at the top of every page
    unknown = set(required) - REQUIRABLE.keys()
    if unknown:
        raise Invalid(_("Okänt avsnitt: %(name)s.", name=", ".join(sorted(unknown))))
    route = [code for code in route if code]
    if len(route) > MAX_STEPS:
        raise Invalid(_("En attestordning får ha högst %(n)d steg.", n=MAX_STEPS))
    existing = _stored(organisation)
    if any(t.title.lower() == title.lower() and t is not memo_type for t in existing):
        raise Invalid(_("Det finns redan en typ som heter %(title)s.", title=title))
    if memo_type is None:
        code = _free_code(title, {t.code for t in existing})
        memo_type = MemoType(organisation_id=organisation.id, code=code, created_at=clock.now())
        db.session().add(memo_type)
        event = "memo_type:added"
    else:
        event = "memo_type:changed"
    memo_type.title = title
    memo_type.required = ",".join(name for name in REQUIRABLE if name in set(required))
    db.session().flush()
    set_route(organisation, memo_type.code, route)  # checks the steps; records route:changed
    audit.record(
        event,
        actor=actor,
        organisation=organisation,
        data={
            "code": memo_type.code,
            "title": title,
            "required": list(memo_type.required_fields),
            "steps": list(route),
        },
    )
    return memo_type


def retire_memo_type(organisation: Organisation, memo_type: MemoType, *, actor: User | None):
    """Offer the type for no new memo; its memos keep it. The last type stays."""
    if memo_type.retired_at is not None:
        return memo_type
    active = [t for t in _stored(organisation) if t.retired_at is None]
    if len(active) <= 1:
        raise Invalid(_("Organisationen måste ha minst en typ av ärende."))
    memo_type.retired_at = clock.now()
    audit.record(
        "memo_type:retired", actor=actor, organisation=organisation, data={"code": memo_type.code}
    )
    return memo_type


def reinstate_memo_type(organisation: Organisation, memo_type: MemoType, *, actor: User | None):
    memo_type.retired_at = None
    audit.record(
        "memo_type:reinstated",
        actor=actor,
        organisation=organisation,
        data={"code": memo_type.code},
    )
    return memo_type


def _stored(organisation: Organisation) -> list[MemoType]:
    """The stored types; an organisation made before types existed gets its default now."""
    types = stored_types(organisation.id)
    if not types:
        add_default_type(organisation.id)
        db.session().flush()
        types = stored_types(organisation.id)
    return types


def _free_code(title: str, taken: set[str]) -> str:
    """'Delegationsbeslut' -> 'delegationsbeslut', unique in the organisation."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:30] or "typ"
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}-{n}"
    return code
