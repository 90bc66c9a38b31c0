"""``attest org``: organisations (förvaltningar)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from attest import db
from attest.cli.common import refused_exits_2


@click.group("org")
def org_group() -> None:
    """Organisations (förvaltningar)."""


@org_group.command("add")
@click.option("--code", required=True, help="Kod i diarienumret, t.ex. EÅV.")
@click.option("--name", required=True, help="Förvaltningens namn.")
@click.option("--board", required=True, help="Nämnden som tjänsteutlåtandena går till.")
@click.option("--short-name", default="", help="Kort namn för underskriftsblocket.")
@click.option("--address", default="", help="Postadress; rader åtskilda med \\n.")
@click.option("--switchboard", default="", help="Växelns telefonnummer.")
@click.option("--website", default="", help="Webbadress för sidfoten.")
@with_appcontext
def org_add(code, name, board, short_name, address, switchboard, website) -> None:
    """Add an organisation."""
    from attest.orgs.operations import add_organisation

    with refused_exits_2():
        org = add_organisation(
            code=code,
            name=name,
            board=board,
            short_name=short_name,
            postal_address=address.replace("\\n", "\n"),
            switchboard=switchboard,
            website=website,
        )
        db.session().commit()
    click.echo(f"Organisationen {org.code} ({org.name}) är tillagd.")
