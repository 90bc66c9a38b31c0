"""``attest user signing``: how a person signs (their own key, or the signature service)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from attest import db
from attest.cli.common import refused_exits_2
from attest.signservice.operations import SIGNING_METHODS, set_signing_method
from attest.users.operations import get_user


@click.command("signing")
@click.argument("username")
@click.option("--method", type=click.Choice(SIGNING_METHODS), required=True)
@click.option(
    "--id",
    "signservice_id",
    default="",
    help="Personens identitet hos underskriftstjänsten (SIGNSERVICE_ID_ATTRIBUTE), "
    "t.ex. personnumret.",
)
@with_appcontext
def signing_command(username: str, method: str, signservice_id: str) -> None:
    """Sign with the person's own key, or through the signature service."""
    with refused_exits_2():
        user = get_user(username)
        set_signing_method(user, method, signservice_id)
        db.session().commit()
    click.echo(f"{user.username} skriver under med: {method}.")
