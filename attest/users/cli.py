"""``attest user`` (people: add, list, edit, deactivate, reset, passwd) and ``attest role``
(add, rename, remove). The same verbs as the administrator's pages (attest.admin)."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from attest import db
from attest.attestation.personal import key_statuses
from attest.cli.common import refused_exits_2, split_roles
from attest.clock import format_date, format_datetime
from attest.orgs.models import Organisation
from attest.orgs.operations import get_organisation
from attest.users import operations as people
from attest.users.operations import (
    add_role,
    add_user,
    deactivate_user,
    get_role,
    get_user,
    invite_user,
    list_roles,
    rename_role,
    reset_user,
    set_password_by_administrator,
    update_user,
)
from attest.workflow.roles import retire_role


@click.group("user")
def user_group() -> None:
    """People and their roles."""


@user_group.command("add")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Fullständigt namn.")
@click.option("--title", default="", help="Titel, t.ex. Avdelningschef.")
@click.option("--role", "roles", multiple=True, required=True, help="Roll; kan upprepas.")
@click.option("--org", "org_code", required=True, help="Organisationens kod.")
@click.option("--department", default="", help="Avdelning.")
@click.option("--email", default="", help="Aktiveringslänken skickas hit.")
@click.option("--phone", default="")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Skriptad uppsättning: läs ett lösenord som administratören valt från standard input.",
)
@with_appcontext
def user_add(username, full_name, title, roles, org_code, department, email, phone, password_stdin):
    """Add a user: an enrolment link with which they choose their own password (mailed to
    --email, or printed once here); or, scripted, a password from standard input."""
    details = dict(
        full_name=full_name,
        title=title,
        organisation_code=org_code,
        roles=split_roles(roles),
        department=department,
        email=email,
        phone=phone,
    )
    with refused_exits_2():
        # Check the names before asking for a password, so a typo costs nothing.
        get_organisation(org_code)
        for role in split_roles(roles):
            get_role(role)
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
            user = add_user(username, password=password, **details)
            db.session().commit()
            click.echo(f"Användaren {user.username} ({user.full_name}) är tillagd.")
            _say_password_is_administrators()
            return
        invitation = invite_user(username, **details)
        db.session().commit()
    click.echo(f"Användaren {invitation.user.username} ({invitation.user.full_name}) är tillagd.")
    tell_link(invitation.link)


def tell_link(link) -> None:
    if link.mailed_to:
        click.echo(
            f"Aktiveringslänken är skickad till {link.mailed_to} och gäller till "
            f"{format_datetime(link.expires_at)}."
        )
        return
    click.echo(
        "Ingen e-postadress: ge personen den här länken (den visas bara nu, gäller en gång "
        f"och till {format_datetime(link.expires_at)}):"
    )
    click.echo(link.url)


def _say_password_is_administrators() -> None:
    if current_app.config["REQUIRE_OWN_PASSWORD"]:
        click.echo(
            "Lösenordet är satt av en administratör: personen kan logga in men måste välja "
            "ett eget under Byt lösenord innan hen kan attestera."
        )


@user_group.command("update")
@click.argument("username")
@click.option("--name", "full_name", default=None, help="Nytt fullständigt namn.")
@click.option("--title", default=None, help="Ny titel.")
@click.option("--role", "roles", multiple=True, help="Rollerna personen ska ha; kan upprepas.")
@with_appcontext
def user_update(username: str, full_name, title, roles) -> None:
    """Change a person's name, title or roles: a new certificate, the old one revoked."""
    with refused_exits_2():
        changed = update_user(
            get_user(username),
            full_name=full_name,
            title=title,
            roles=split_roles(roles) if roles else None,
        )
        db.session().commit()
    if changed:
        click.echo(f"Användaren {username} är ändrad; ett nytt certifikat är utfärdat.")
    else:
        click.echo(f"Användaren {username} är oförändrad.")


@user_group.command("edit")
@click.argument("username")
@click.option("--name", "full_name", default=None, help="Nytt fullständigt namn.")
@click.option("--title", default=None, help="Ny titel.")
@click.option("--department", default=None, help="Ny avdelning.")
@click.option("--email", default=None, help="Ny e-postadress.")
@click.option("--phone", default=None, help="Nytt telefonnummer.")
@click.option("--role", "roles", multiple=True, help="Rollerna personen ska ha; kan upprepas.")
@with_appcontext
def user_edit(username: str, full_name, title, department, email, phone, roles) -> None:
    """Change a person's details or roles (as the administrator's page does); a change of
    name, title or roles gives them a new certificate and revokes the old one."""
    with refused_exits_2():
        changed = update_user(
            get_user(username),
            full_name=full_name,
            title=title,
            department=department,
            email=email,
            phone=phone,
            roles=split_roles(roles) if roles else None,
        )
        db.session().commit()
    click.echo(f"Användaren {username} är {'ändrad' if changed else 'oförändrad'}.")


@user_group.command("list")
@click.option("--org", "org_code", required=True, help="Organisationens kod.")
@click.option("--search", default="", help="Sök på namn, användarnamn, e-post eller titel.")
@click.option(
    "--show",
    type=click.Choice(["active", "inactive", "all"]),
    default="active",
    show_default=True,
)
@click.option("--limit", default=500, show_default=True, help="Högst så många rader.")
@with_appcontext
def user_list(org_code: str, search: str, show: str, limit: int) -> None:
    """The organisation's people: username, name, roles, status and key."""
    active = {"active": True, "inactive": False}.get(show)
    with refused_exits_2():
        statement = people.people_query(get_organisation(org_code), search, active=active)
    found = list(
        db.session().scalars(statement.order_by(*people.PEOPLE_ORDER).limit(max(1, limit)))
    )
    statuses = key_statuses(found)
    for person in found:
        key = statuses[person.id]
        if key.valid_until is not None:
            key_text = f"nyckel till {format_date(key.valid_until)}"
        elif key.revoked_at is not None:
            key_text = f"nyckel spärrad {format_date(key.revoked_at)}"
        else:
            key_text = "ingen nyckel"
        state = "aktiv" if person.active else "inaktiverad"
        click.echo(
            f"{person.username:<16} {person.full_name:<30} "
            f"{','.join(sorted(person.role_codes)):<36} {state:<11} {key_text}"
        )
    if not found:
        click.echo("Ingen användare matchar.")


@user_group.command("deactivate")
@click.argument("username")
@with_appcontext
def user_deactivate(username: str) -> None:
    """Deactivate a user and end their sessions."""
    with refused_exits_2():
        deactivate_user(get_user(username))
        db.session().commit()
    click.echo(f"Användaren {username} är inaktiverad.")


@user_group.command("reset")
@click.argument("username")
@with_appcontext
def user_reset(username: str) -> None:
    """Reset (administrator): the key is revoked, the password and sessions end, and a new
    enrolment link lets the person choose a new password. Never sets one."""
    with refused_exits_2():
        link = reset_user(get_user(username))
        db.session().commit()
    click.echo(f"{username} är återställd: nyckeln är spärrad och lösenordet gäller inte längre.")
    tell_link(link)


@user_group.command("employee-number")
@click.argument("username")
@click.argument("number", required=False, default="")
@with_appcontext
def user_employee_number(username: str, number: str) -> None:
    """Set (or, without NUMBER, remove) the employee number a first sign-in through the
    identity provider matches."""
    with refused_exits_2():
        people.set_employee_number(get_user(username), number)
        db.session().commit()
    click.echo(f"Anställningsnummer för {username}: {number or '(inget)'}")


@user_group.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Läs det nya lösenordet från standard input.")
@with_appcontext
def user_passwd(username: str, password_stdin: bool) -> None:
    """Scripted set-up: set a password an administrator chose; the old key is revoked. For
    a person who forgot theirs, use `attest user reset`."""
    with refused_exits_2():
        user = get_user(username)
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Nytt lösenord", hide_input=True, confirmation_prompt=True)
        set_password_by_administrator(user, password)
        db.session().commit()
    click.echo(f"Lösenordet för {username} är satt; den gamla nyckeln är spärrad.")
    _say_password_is_administrators()


@click.group("role")
def role_group() -> None:
    """Roles; a route step names one."""


@role_group.command("add")
@click.argument("code")
@click.option("--title", required=True, help="Titeln som visas, t.ex. Ekonomichef.")
@click.option(
    "--org", "org_code", default=None, help="Organisationens egen roll (utan: gemensam för alla)."
)
@with_appcontext
def role_add(code: str, title: str, org_code: str | None) -> None:
    """Add a role (e.g. ekonomichef) that routes can name."""
    with refused_exits_2():
        organisation = get_organisation(org_code) if org_code else None
        role = add_role(code, title, organisation=organisation)
        db.session().commit()
    click.echo(f"Rollen {role.code} ({role.title}) är tillagd.")


@role_group.command("list")
@click.option("--org", "org_code", default=None, help="Organisationens roller och de gemensamma.")
@with_appcontext
def role_list(org_code: str | None) -> None:
    """The roles in use (not retired)."""
    with refused_exits_2():
        organisation = get_organisation(org_code) if org_code else None
    for role in list_roles(organisation):
        kind = "gemensam" if role.organisation_id is None else "egen"
        click.echo(f"{role.code:<24} {role.title:<30} {kind}")


@role_group.command("rename")
@click.argument("code")
@click.option("--title", required=True, help="Den nya titeln.")
@with_appcontext
def role_rename(code: str, title: str) -> None:
    """Change the title shown; the certificates of those who hold the role are issued anew."""
    with refused_exits_2():
        role = get_role(code)
        changed = rename_role(role, title)
        db.session().commit()
    click.echo(f"Rollen {role.code} heter {role.title}." if changed else "Oförändrad.")


@role_group.command("remove")
@click.argument("code")
@with_appcontext
def role_remove(code: str) -> None:
    """Retire a role that no route, person, t.f. or memo on its way uses (it stays for the
    history that names it)."""
    with refused_exits_2():
        role = get_role(code)
        organisation = (
            db.session().get(Organisation, role.organisation_id) if role.organisation_id else None
        )
        retire_role(role, organisation, by=None)
        db.session().commit()
    click.echo(f"Rollen {role.code} ({role.title}) är avvecklad.")
