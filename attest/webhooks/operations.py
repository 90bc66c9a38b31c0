"""Domain verbs for webhooks: add and remove an endpoint, read the log, send again.

The CLI (``attest webhook ...``) and the administrator's pages call these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from attest import audit, clock, db
from attest.errors import Invalid, NotFound
from attest.orgs.models import Organisation
from attest.outbox import claims
from attest.outbox.models import DeliveryStatus
from attest.users.models import User
from attest.webhooks import secrets
from attest.webhooks.events import EVENTS
from attest.webhooks.models import WebhookDelivery, WebhookEndpoint
from attest.webhooks.targets import check_target
from attest.workflow import worklists

MAX_ENDPOINTS_PER_ORGANISATION = 20


@dataclass(frozen=True)
class AddedEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # whsec_...: shown once, never again


def _events(names: Sequence[str]) -> list[str]:
    wanted = sorted({part.strip() for name in names for part in name.split(",") if part.strip()})
    if not wanted:
        raise Invalid(_("Välj minst en händelse."))
    unknown = [name for name in wanted if name not in EVENTS]
    if unknown:
        raise Invalid(
            _(
                "Okänd händelse: %(names)s. Kända: %(known)s.",
                names=", ".join(unknown),
                known=", ".join(EVENTS),
            )
        )
    return wanted


def active_endpoints(organisation: Organisation) -> list[WebhookEndpoint]:
    return list(
        db.session().scalars(
            sa.select(WebhookEndpoint)
            .where(
                WebhookEndpoint.organisation_id == organisation.id,
                WebhookEndpoint.removed_at.is_(None),
            )
            .order_by(WebhookEndpoint.id)
        )
    )


def add_endpoint(
    organisation: Organisation, url: str, events: Sequence[str], actor: User | None = None
) -> AddedEndpoint:
    """Register a URL for events; the generated secret is returned once."""
    names = _events(events)
    check_target(url, allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE"])
    if len(active_endpoints(organisation)) >= MAX_ENDPOINTS_PER_ORGANISATION:
        raise Invalid(
            _("En organisation kan ha högst %(n)d webhooks.", n=MAX_ENDPOINTS_PER_ORGANISATION)
        )
    secret = secrets.new_secret()
    endpoint = WebhookEndpoint(
        organisation_id=organisation.id,
        url=url.strip(),
        events=" ".join(names),
        secret_encrypted=secrets.encrypt(secret, organisation.id),
        created_at=clock.now(),
    )
    db.session().add(endpoint)
    db.session().flush()
    audit.record(
        "webhook:endpoint:added",
        actor=actor,
        organisation=organisation,
        data={"endpoint": endpoint.id, "url": endpoint.url, "events": names},
    )
    return AddedEndpoint(endpoint, secret)


def get_endpoint(organisation: Organisation, endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session().get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.organisation_id != organisation.id or endpoint.removed_at:
        raise NotFound(_("Webhooken finns inte."))
    return endpoint


def remove_endpoint(
    organisation: Organisation, endpoint_id: int, actor: User | None = None
) -> WebhookEndpoint:
    """No more deliveries to it; what is still waiting is given up; the log stays."""
    endpoint = get_endpoint(organisation, endpoint_id)
    moment = clock.now()
    endpoint.removed_at = moment
    db.session().execute(
        sa.update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.status == DeliveryStatus.PENDING.value,
        )
        .values(status=DeliveryStatus.FAILED.value, last_error="webhooken är borttagen")
    )
    audit.record(
        "webhook:endpoint:removed",
        actor=actor,
        organisation=organisation,
        data={"endpoint": endpoint.id, "url": endpoint.url},
    )
    return endpoint


def get_delivery(organisation: Organisation, delivery_id: int) -> WebhookDelivery:
    delivery = db.session().get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.organisation_id != organisation.id:
        raise NotFound(_("Leveransen finns inte."))
    return delivery


def send_again(
    organisation: Organisation, delivery_id: int, actor: User | None = None
) -> WebhookDelivery:
    """ "Skicka igen": the same message (same webhook-id) due now, with fresh attempts."""
    delivery = get_delivery(organisation, delivery_id)
    if delivery.endpoint.removed_at is not None:
        raise Invalid(_("Webhooken är borttagen; leveransen kan inte skickas igen."))
    claims.send_again(delivery, now=clock.now())
    audit.record(
        "webhook:delivery:resent",
        actor=actor,
        organisation=organisation,
        data={"delivery": delivery.id, "message_id": delivery.message_id},
    )
    return delivery


def delivery_log(organisation: Organisation, page: int, per_page: int = 50) -> worklists.Page:
    """The organisation's deliveries, newest first, a page at a time."""
    return worklists.paginate(
        sa.select(WebhookDelivery).where(WebhookDelivery.organisation_id == organisation.id),
        (WebhookDelivery.id.desc(),),
        page,
        per_page,
    )
