"""Who is who after an identity provider has authenticated someone, for every protocol.

A protocol module (attest.sso.oidc, attest.sso.saml) checks the provider's answer and
hands over an :class:`Authentication`; this module decides which person that is
(:func:`sign_in`) and whether a fresh authentication may stand for an attestation
(:func:`begin_step_up`, :func:`complete_step_up`, :func:`consume_step_up`). It never reads a
request: the views do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from attest import audit, clock, db
from attest.errors import Forbidden
from attest.i18n import _l
from attest.orgs.models import Organisation
from attest.sso.models import ExternalIdentity, StepUp
from attest.users.models import User

# Audit events, one place.
LOGIN = "user:sso:login"
LINKED = "user:sso:linked"
CREATED = "user:sso:created"
REFUSED = "user:sso:refused"
STEP_UP_STARTED = "memo:attestation:step_up_started"
STEP_UP_COMPLETED = "memo:attestation:step_up_completed"
STEP_UP_REFUSED = "memo:attestation:step_up_refused"


@dataclass(frozen=True)
class Authentication:
    """What a provider vouched for, after the protocol checked its signature and audience."""

    provider: str  # "oidc:<issuer>" or "saml:<entity id>"
    subject: str  # OIDC sub, SAML NameID (or the configured attribute)
    email: str | None
    employee_number: str | None
    name: str | None
    auth_time: dt.datetime  # when the person authenticated at the provider (UTC)
    context: str | None  # OIDC acr, SAML AuthnContextClassRef

    def audit_data(self) -> dict[str, str | None]:
        return {
            "provider": self.provider,
            "subject": self.subject,
            "auth_time": self.auth_time.isoformat(),
            "context": self.context,
        }


class SsoRefused(Forbidden):
    """The provider's answer does not let this person in (or attest): a Swedish reason for
    the page, and a short code for the audit log."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


# Refusals of the protocols (a bad token, assertion, state): the reason code names the check.
PROTOCOL_REFUSED = _l(
    "Inloggningen kunde inte godkännas: svaret från identitetsleverantören stämmer inte. "
    "Försök igen; kvarstår felet, kontakta en administratör."
)
UNKNOWN_PERSON = _l(
    "Du är inte upplagd i attest. Be en administratör lägga upp dig med din e-postadress "
    "eller ditt anställningsnummer."
)
AMBIGUOUS_PERSON = _l(
    "Flera personer i attest har samma e-postadress. Be en administratör ange ditt "
    "anställningsnummer."
)
DEACTIVATED = _l("Ditt konto i attest är inaktiverat. Kontakta en administratör.")
ALREADY_LINKED = _l(
    "Personen i attest är redan kopplad till ett annat konto hos identitetsleverantören. "
    "Kontakta en administratör."
)
STEP_UP_OLD = _l(
    "Attesteringen kräver en ny inloggning hos identitetsleverantören, gjord efter att du "
    "klickade på Attestera. Försök igen."
)
STEP_UP_CONTEXT = _l(
    "Inloggningen hos identitetsleverantören hade inte den säkerhetsnivå som krävs för att "
    "attestera. Försök igen med rätt inloggningsmetod."
)
STEP_UP_OTHER_PERSON = _l(
    "Den nya inloggningen gällde en annan person än den som är inloggad i attest. Ingenting "
    "har attesterats."
)
STEP_UP_GONE = _l("Attesteringsförsöket har gått ut eller redan använts. Klicka på Attestera igen.")


def refuse(reason: str, message: str, *, data: dict | None = None, user: User | None = None):
    """Record the refusal in the audit log (its own commit: the caller rolls back) and
    return the exception to raise."""
    audit.record(
        REFUSED,
        actor=user,
        organisation=user.organisation if user is not None else None,
        data={"reason": reason, **(data or {})},
    )
    db.session().commit()
    return SsoRefused(message, reason)


def linked_identity(user: User, provider: str | None = None) -> ExternalIdentity | None:
    """The person's link to a provider (the given one, or the one they used last)."""
    statement = sa.select(ExternalIdentity).where(ExternalIdentity.user_id == user.id)
    if provider is not None:
        statement = statement.where(ExternalIdentity.provider == provider)
    statement = statement.order_by(ExternalIdentity.last_login_at.desc().nulls_last())
    return db.session().scalars(statement.limit(1)).first()


def signs_in_through_provider(user: User) -> bool:
    """Whether the person's attestations need a step-up at a provider: they are linked to one,
    and do not sign through the signature service (which authenticates its signers itself)."""
    return user.signing_method != "signservice" and linked_identity(user) is not None


def sign_in(auth: Authentication) -> User:
    """The person this authentication is: linked before, matched on first sign-in by e-mail
    or employee number, or (SSO_CREATE_PEOPLE) created with no roles. SsoRefused otherwise.

    The caller starts the session and commits.
    """
    session = db.session()
    link = session.scalar(
        sa.select(ExternalIdentity).where(
            ExternalIdentity.provider == auth.provider, ExternalIdentity.subject == auth.subject
        )
    )
    data = auth.audit_data()
    if link is not None:
        user = link.user
    else:
        found = _match(auth) or _create(auth)
        if found is None:
            raise refuse("unknown_person", UNKNOWN_PERSON, data=data)
        user = found
        if user.active and linked_identity(user, auth.provider) is not None:
            raise refuse("already_linked", ALREADY_LINKED, data=data, user=user)
        if user.active:
            link = ExternalIdentity(
                user_id=user.id,
                provider=auth.provider,
                subject=auth.subject,
                created_at=clock.now(),
            )
            session.add(link)
            session.flush()
            audit.record(LINKED, actor=user, organisation=user.organisation, data=data)
    if not user.active:
        raise refuse("deactivated", DEACTIVATED, data=data, user=user)
    assert link is not None
    link.last_login_at = clock.now()
    audit.record(LOGIN, actor=user, organisation=user.organisation, data=data)
    return user


def _match(auth: Authentication) -> User | None:
    session = db.session()
    if auth.employee_number:
        found = session.scalar(sa.select(User).where(User.employee_number == auth.employee_number))
        if found is not None:
            return found
    if auth.email:
        people = list(
            session.scalars(
                sa.select(User).where(
                    # lower() on both sides: SQLite's folds only ASCII ("Å" stays)
                    sa.func.lower(User.email)
                    == sa.func.lower(auth.email.strip())
                )
            )
        )
        if len(people) > 1:
            raise refuse("ambiguous_email", AMBIGUOUS_PERSON, data=auth.audit_data())
        if people:
            return people[0]
    return None


def _create(auth: Authentication) -> User | None:
    """A new person with no roles (SSO_CREATE_PEOPLE): an administrator grants them."""
    config = current_app.config
    if not config["SSO_CREATE_PEOPLE"]:
        return None
    session = db.session()
    code = config["SSO_ORGANISATION"]
    if code:
        organisation = session.scalar(sa.select(Organisation).where(Organisation.code == code))
    else:  # the installation's only organisation
        organisations = list(session.scalars(sa.select(Organisation).limit(2)))
        organisation = organisations[0] if len(organisations) == 1 else None
    if organisation is None:
        return None
    user = User(
        username=_free_username(auth),
        full_name=(auth.name or auth.email or auth.subject)[:200],
        title="",
        department="",
        email=(auth.email or "")[:254],
        phone="",
        employee_number=auth.employee_number,
        organisation=organisation,
        password_hash=None,
        own_password=False,
        active=True,
        created_at=clock.now(),
    )
    session.add(user)
    session.flush()
    audit.record(
        CREATED,
        organisation=organisation,
        data={"username": user.username, **auth.audit_data()},
    )
    return user


def _free_username(auth: Authentication) -> str:
    base = re.sub(r"[^a-z0-9._-]", "", (auth.email or "").split("@")[0].lower())[:60]
    base = base or "sso-" + hashlib.sha256(auth.subject.encode()).hexdigest()[:10]
    taken = set(
        db.session().scalars(sa.select(User.username).where(User.username.like(f"{base}%")))
    )
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    return name


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class StepUpTicket:
    """What the view keeps to find the attempt again: the token (one-time) and the provider."""

    token: str
    provider: str
    started_at: dt.datetime


def begin_step_up(user: User, memo_id: int, login_session_token: str) -> StepUpTicket:
    """An attempt to attest ``memo_id`` after a fresh authentication, bound to this login
    session; the protocol sends the person to the provider with the token as its state."""
    link = linked_identity(user)
    if link is None:
        raise Forbidden(_l("Du loggar inte in via en identitetsleverantör."))
    token = secrets.token_urlsafe(32)
    started_at = clock.now()
    db.session().add(
        StepUp(
            token_hash=_digest(token),
            user_id=user.id,
            login_session_hash=_digest(login_session_token),
            memo_id=memo_id,
            provider=link.provider,
            started_at=started_at,
        )
    )
    audit.record(
        STEP_UP_STARTED,
        actor=user,
        organisation=user.organisation,
        data={"memo": memo_id, "provider": link.provider},
    )
    return StepUpTicket(token=token, provider=link.provider, started_at=started_at)


def find_step_up(token: str, user: User, login_session_token: str) -> StepUp:
    """The unused, unexpired attempt of this token, begun in this login session."""
    row = db.session().scalar(sa.select(StepUp).where(StepUp.token_hash == _digest(token or "")))
    minutes = current_app.config["SSO_STEP_UP_MINUTES"]
    if (
        row is None
        or row.user_id != user.id
        or row.login_session_hash != _digest(login_session_token or "")
        or row.used_at is not None
        or row.started_at + dt.timedelta(minutes=minutes) < clock.now()
    ):
        raise _refuse_step_up(user, "step_up_gone", STEP_UP_GONE, {})
    return row


def required_context(provider: str) -> str | None:
    """The authentication context an attestation needs: the protocol's own setting, else
    SSO_REQUIRED_CONTEXT; None when any will do."""
    config = current_app.config
    own = config.get("OIDC_ACR_VALUES") if provider.startswith("oidc:") else None
    if provider.startswith("saml:"):
        own = config.get("SAML_AUTHN_CONTEXT")
    return own or config["SSO_REQUIRED_CONTEXT"] or None


def complete_step_up(auth: Authentication, expected_user: User, attempt: StepUp) -> StepUp:
    """Accept the provider's fresh authentication for the attempt, or SsoRefused: it must
    name the linked person, be later than the attempt began, and have the required context."""
    data = {"memo": attempt.memo_id, **auth.audit_data()}
    link = linked_identity(expected_user, auth.provider)
    if auth.provider != attempt.provider or link is None or link.subject != auth.subject:
        raise _refuse_step_up(expected_user, "other_person", STEP_UP_OTHER_PERSON, data)
    # auth_time has whole seconds: an authentication in the attempt's own second counts.
    if auth.auth_time < attempt.started_at.replace(microsecond=0):
        raise _refuse_step_up(expected_user, "auth_time_old", STEP_UP_OLD, data)
    needed = required_context(auth.provider)
    if needed and auth.context not in needed.split():
        raise _refuse_step_up(expected_user, "context_missing", STEP_UP_CONTEXT, data)
    attempt.completed_at = clock.now()
    attempt.subject = auth.subject
    attempt.auth_time = auth.auth_time
    attempt.context = auth.context
    audit.record(
        STEP_UP_COMPLETED,
        actor=expected_user,
        organisation=expected_user.organisation,
        data=data,
    )
    return attempt


def consume_step_up(token: str, user: User, login_session_token: str, memo_id: int) -> StepUp:
    """The completed attempt for this memo, marked used (in the attestation's transaction:
    a wrong PIN rolls it back, and the person may try the PIN again)."""
    attempt = find_step_up(token, user, login_session_token)
    if attempt.completed_at is None or attempt.memo_id != memo_id:
        raise _refuse_step_up(user, "step_up_gone", STEP_UP_GONE, {"memo": memo_id})
    attempt.used_at = clock.now()
    return attempt


def _refuse_step_up(user: User, reason: str, message: str, data: dict) -> SsoRefused:
    audit.record(
        STEP_UP_REFUSED,
        actor=user,
        organisation=user.organisation,
        data={"reason": reason, **data},
    )
    db.session().commit()
    return SsoRefused(message, reason)
