"""``attest webhook add|list|remove``: where an organisation's events are sent."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from attest import db
from attest.cli.common import refused_exits_2


@click.group("webhook")
def webhook_group() -> None:
    """Webhooks: URLs that receive memo events, signed (Standard Webhooks)."""


@webhook_group.command("add")
@click.option("--org", "org_code", required=True, help="Organisationens kod.")
@click.option("--url", required=True, help="https://... som tar emot händelserna.")
@click.option(
    "--event",
    "events",
    multiple=True,
    required=True,
    help="memo.sent, memo.returned, memo.withdrawn, memo.step_attested, memo.attested.",
)
@with_appcontext
def webhook_add(org_code: str, url: str, events: tuple[str, ...]) -> None:
    """Register a URL; prints the signing secret (whsec_...) once."""
    from attest.orgs.operations import get_organisation
    from attest.webhooks.operations import add_endpoint

    with refused_exits_2():
        added = add_endpoint(get_organisation(org_code), url, events)
        db.session().commit()
    endpoint = added.endpoint
    click.echo(f"Webhook {endpoint.id} till {endpoint.url} ({endpoint.events}).", err=True)
    click.echo(added.secret)
    click.echo("Hemligheten visas inte igen: ge den till mottagaren nu.", err=True)


@webhook_group.command("list")
@click.option("--org", "org_code", required=True)
@with_appcontext
def webhook_list(org_code: str) -> None:
    """The organisation's webhooks: id, URL, events."""
    from attest.orgs.operations import get_organisation
    from attest.webhooks.operations import active_endpoints

    with refused_exits_2():
        found = active_endpoints(get_organisation(org_code))
    for endpoint in found:
        click.echo(f"{endpoint.id}\t{endpoint.url}\t{endpoint.events}")


@webhook_group.command("remove")
@click.option("--org", "org_code", required=True)
@click.option("--id", "endpoint_id", required=True, type=int, help="Id från attest webhook list.")
@with_appcontext
def webhook_remove(org_code: str, endpoint_id: int) -> None:
    """Stop sending to a webhook; deliveries still waiting are given up."""
    from attest.orgs.operations import get_organisation
    from attest.webhooks.operations import remove_endpoint

    with refused_exits_2():
        endpoint = remove_endpoint(get_organisation(org_code), endpoint_id)
        db.session().commit()
    click.echo(f"Webhook {endpoint.id} ({endpoint.url}) är borttagen.")
