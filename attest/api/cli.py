"""``attest token create|revoke|list``: the organisation's API tokens."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from attest import db
from attest.cli.common import refused_exits_2


@click.group("token")
def token_group() -> None:
    """API tokens (for the diarium and other programs)."""


@token_group.command("create")
@click.option("--org", "org_code", required=True, help="Organisationens kod.")
@click.option("--name", required=True, help="Vad token används till, t.ex. diariet.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    help="memos:read, memos:write; kommaseparerat eller upprepat.",
)
@with_appcontext
def token_create(org_code: str, name: str, scopes: tuple[str, ...]) -> None:
    """Create a token; it is printed once and only its SHA-256 is kept."""
    from attest.api.tokens import create_token
    from attest.orgs.operations import get_organisation

    with refused_exits_2():
        created = create_token(get_organisation(org_code), name, scopes)
        db.session().commit()
    click.echo(f"Token {created.token.name} ({created.token.scopes}) för {org_code}:", err=True)
    click.echo(created.secret)
    click.echo("Spara den nu: den visas inte igen.", err=True)


@token_group.command("revoke")
@click.option("--org", "org_code", required=True)
@click.option("--name", required=True)
@with_appcontext
def token_revoke(org_code: str, name: str) -> None:
    """Revoke a token: it is refused from now on."""
    from attest.api.tokens import revoke_token
    from attest.orgs.operations import get_organisation

    with refused_exits_2():
        revoke_token(get_organisation(org_code), name)
        db.session().commit()
    click.echo(f"Token {name} är återkallad.")


@token_group.command("list")
@click.option("--org", "org_code", required=True)
@with_appcontext
def token_list(org_code: str) -> None:
    """The organisation's tokens: name, start, scopes, created, last used, revoked."""
    from attest.api.tokens import list_tokens
    from attest.clock import format_datetime
    from attest.orgs.operations import get_organisation

    with refused_exits_2():
        found = list_tokens(get_organisation(org_code))
    for token in found:
        state = f"återkallad {format_datetime(token.revoked_at)}" if token.revoked_at else "giltig"
        used = format_datetime(token.last_used_at) or "aldrig"
        click.echo(
            f"{token.name}\t{token.prefix}…\t{token.scopes}\tskapad "
            f"{format_datetime(token.created_at)}\tsenast använd {used}\t{state}"
        )
