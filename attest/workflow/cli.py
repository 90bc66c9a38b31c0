"""``attest route``, ``attest substitute`` (t.f.: add, list, end) and ``attest remind``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from attest import db
from attest.cli.common import refused_exits_2, split_roles
from attest.clock import format_date
from attest.orgs.operations import get_organisation
from attest.workflow.routes import route_roles, set_route
from attest.workflow.substitutes import (
    add_substitution,
    current_and_future,
    end_one,
    end_substitution,
    get_substitution,
)


@click.group("route")
def route_group() -> None:
    """Attestation routes per organisation and memo type."""


@route_group.command("set")
@click.option("--org", "org_code", required=True)
@click.option("--type", "memo_type", default="tjansteutlatande", show_default=True)
@click.argument("roles", nargs=-1, required=True)
@with_appcontext
def route_set(org_code: str, memo_type: str, roles: tuple[str, ...]) -> None:
    """Set the route: the roles that attest, first attester first."""
    with refused_exits_2():
        org = get_organisation(org_code)
        set_route(org, memo_type, split_roles(roles))
        db.session().commit()
        titles = [r.title for r in route_roles(org.id, memo_type)]
    click.echo(f"Attestordning för {org.code}: " + " → ".join(titles))


@route_group.command("show")
@click.option("--org", "org_code", required=True)
@click.option("--type", "memo_type", default="tjansteutlatande", show_default=True)
@with_appcontext
def route_show(org_code: str, memo_type: str) -> None:
    """Print the route."""
    with refused_exits_2():
        org = get_organisation(org_code)
        titles = [r.title for r in route_roles(org.id, memo_type)]
    click.echo(" → ".join(titles))


class _AddByDefault(click.Group):
    """``attest substitute USERNAME ...`` (as before the subcommands) means ``add``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["add", *args]
        return super().parse_args(ctx, args)


@click.group("substitute", cls=_AddByDefault)
def substitute_command() -> None:
    """Acting substitutes (t.f.): add (the default), list, end."""


@substitute_command.command("add")
@click.argument("username")
@click.option("--role", required=True, help="Rollen personen är t.f. för.")
@click.option("--for", "for_username", default=None, help="Personen som ersätts (valfritt).")
@click.option("--from", "starts_on", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "ends_on", required=True, type=click.DateTime(["%Y-%m-%d"]))
@with_appcontext
def substitute_add(username, role, for_username, starts_on, ends_on) -> None:
    """Register an acting substitute (t.f.) for a role and period."""
    with refused_exits_2():
        add_substitution(
            username, role, starts_on.date(), ends_on.date(), for_username=for_username
        )
        db.session().commit()
    click.echo(f"{username} är t.f. {role} {starts_on:%Y-%m-%d}–{ends_on:%Y-%m-%d}.")


@substitute_command.command("list")
@click.option("--org", "org_code", required=True, help="Organisationens kod.")
@with_appcontext
def substitute_list(org_code: str) -> None:
    """The substitutions in force or still to come, with the number `substitute end` takes."""
    with refused_exits_2():
        found = current_and_future(get_organisation(org_code))
    if not found:
        click.echo("Inga gällande eller kommande förordnanden.")
    for s in found:
        whom = s.for_user.username if s.for_user else "(vem som helst med rollen)"
        click.echo(
            f"{s.id:>5}  {s.substitute.username:<16} t.f. {s.role.code:<20} för {whom:<16} "
            f"{format_date(s.starts_on)}–{format_date(s.ends_on)}"
        )


@substitute_command.command("end")
@click.argument("number", type=int)
@click.option("--org", "org_code", required=True, help="Organisationens kod.")
@with_appcontext
def substitute_end_one(number: int, org_code: str) -> None:
    """End one substitution now, by its number in `attest substitute list`."""
    with refused_exits_2():
        substitution = get_substitution(get_organisation(org_code), number)
        end_one(substitution)
        db.session().commit()
    click.echo(
        f"{substitution.substitute.username} är inte längre t.f. {substitution.role.code} "
        "(förordnandet är avslutat och t.f.-certifikatet spärrat)."
    )


@click.command("substitute-end")
@click.argument("username")
@click.option("--role", required=True, help="Rollen personen är t.f. för.")
@click.option("--for", "for_username", default=None, help="Personen som ersätts (valfritt).")
@with_appcontext
def substitute_end_command(username, role, for_username) -> None:
    """End an acting substitution (t.f.) now; its t.f. certificate is revoked."""
    with refused_exits_2():
        ended = end_substitution(username, role, for_username=for_username)
        db.session().commit()
    click.echo(f"{username} är inte längre t.f. {role} ({len(ended)} förordnande avslutat).")


@click.command("remind")
@click.option(
    "--hours",
    type=int,
    default=None,
    help="Påminn om steg som väntat längre (standard: REMIND_AFTER_HOURS).",
)
@with_appcontext
def remind_command(hours: int | None) -> None:
    """Mail attesters whose step has waited too long."""
    import datetime as dt

    from attest.workflow import notifications

    hours = hours if hours is not None else current_app.config["REMIND_AFTER_HOURS"]
    count = notifications.remind(dt.timedelta(hours=hours))
    db.session().commit()  # queued in the outbox; attest worker sends them
    click.echo(f"{count} påminnelser.")
