"""API tokens: created and revoked by the administrator, stored as SHA-256, scoped.

A token acts for its organisation within its scopes. It reads memos and writes drafts in
the name of a handläggare; it never attests, returns or sends (there is no scope for that:
only a person does). Every request made with one is in the audit log.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, Sequence

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from attest import audit, clock, db
from attest.api.models import ApiToken
from attest.errors import Invalid, NotFound
from attest.orgs.models import Organisation
from attest.pdf.fonts import check_printable
from attest.users.models import User

READ = "memos:read"
WRITE = "memos:write"
# Every scope, with what it allows (the CLI's help, the admin page and the OpenAPI text).
SCOPES: dict[str, Any] = {
    READ: _l("Läsa tjänsteutlåtanden, deras status, attestordning, historik och PDF:er."),
    WRITE: _l("Skapa och ändra utkast och sätta diariets Dnr."),
}
PREFIX = "attest_"
MAX_NAME_LENGTH = 80

USED = "api:token:used"
REFUSED = "api:token:refused"


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    secret: str  # the token itself: shown once, never again


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _scopes(names: Sequence[str]) -> list[str]:
    wanted = sorted({part.strip() for name in names for part in name.split(",") if part.strip()})
    if not wanted:
        raise Invalid(_("Välj minst en behörighet (scope)."))
    unknown = [name for name in wanted if name not in SCOPES]
    if unknown:
        raise Invalid(
            _(
                "Okänd behörighet: %(names)s. Kända: %(known)s.",
                names=", ".join(unknown),
                known=", ".join(SCOPES),
            )
        )
    return wanted


def _active(organisation: Organisation, name: str) -> ApiToken | None:
    return db.session().scalar(
        sa.select(ApiToken).where(
            ApiToken.organisation_id == organisation.id,
            ApiToken.name == name,
            ApiToken.revoked_at.is_(None),
        )
    )


def create_token(
    organisation: Organisation, name: str, scopes: Sequence[str], actor: User | None = None
) -> CreatedToken:
    """A new token; its secret is returned once and only its SHA-256 is kept."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise Invalid(_("Ange ett namn på högst %(n)d tecken.", n=MAX_NAME_LENGTH))
    check_printable(name)
    granted = _scopes(scopes)
    if _active(organisation, name) is not None:
        raise Invalid(_("Det finns redan en giltig token med namnet %(name)s.", name=name))
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        organisation_id=organisation.id,
        name=name,
        token_sha256=digest(secret),
        prefix=secret[:12],
        scopes=" ".join(granted),
        created_at=clock.now(),
        created_by_id=actor.id if actor else None,
    )
    db.session().add(token)
    db.session().flush()
    audit.record(
        "api:token:created",
        actor=actor,
        organisation=organisation,
        data={"token": token.id, "name": name, "scopes": granted},
    )
    return CreatedToken(token, secret)


def revoke_token(organisation: Organisation, name: str, actor: User | None = None) -> ApiToken:
    token = _active(organisation, " ".join(name.split()))
    if token is None:
        raise NotFound(_("Det finns ingen giltig token med namnet %(name)s.", name=name))
    token.revoked_at = clock.now()
    audit.record(
        "api:token:revoked",
        actor=actor,
        organisation=organisation,
        data={"token": token.id, "name": token.name},
    )
    return token


def list_tokens(organisation: Organisation) -> list[ApiToken]:
    """The organisation's tokens, revoked ones too, newest first."""
    return list(
        db.session().scalars(
            sa.select(ApiToken)
            .where(ApiToken.organisation_id == organisation.id)
            .order_by(ApiToken.id.desc())
        )
    )


def find(secret: str) -> ApiToken | None:
    """The token with this secret, revoked or not; None for a secret that never was."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    return db.session().scalar(sa.select(ApiToken).where(ApiToken.token_sha256 == digest(secret)))


def record_use(token: ApiToken, *, method: str, path: str, status: int) -> None:
    """Every request made with a token, in the audit log (and when it was last used)."""
    token.last_used_at = clock.now()
    audit.record(
        USED if token.revoked_at is None else REFUSED,
        organisation=token.organisation,
        data={
            "token": token.id,
            "name": token.name,
            "method": method,
            "path": path[:300],
            "status": status,
        },
    )
