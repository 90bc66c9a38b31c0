"""The ``attest`` command line; also reachable as ``flask --app attest ...``.

Commands call the same operations as the views and commit once at the end; a refused
call writes nothing and exits with status 2.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any, Iterator, cast

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from attest import db
from attest.errors import AttestError


@contextlib.contextmanager
def refused_exits_2() -> Iterator[None]:
    """Turn a domain refusal into a clear message and exit status 2, writing nothing."""
    try:
        yield
    except AttestError as exc:
        db.session().rollback()
        click.echo(f"Fel: {exc.message}", err=True)
        sys.exit(2)


def _split_roles(values: tuple[str, ...]) -> list[str]:
    return [part for value in values for part in value.split(",") if part.strip()]


@click.command("init")
def init_command() -> None:
    """Create or migrate the database (and a development configuration if none exists)."""
    from attest import config, create_app, migrate

    instance_path = Flask("attest").instance_path
    import os

    instance_path = os.environ.get("ATTEST_INSTANCE_PATH") or instance_path
    written = config.write_development_config(instance_path)
    if written:
        click.echo(f"Skapade utvecklingskonfiguration med genererade hemligheter: {written}")
    app = create_app()
    with app.app_context():
        migrate.upgrade(app)
        from attest.users.operations import ensure_builtin_roles

        ensure_builtin_roles()
        db.session().commit()
    from attest.files import tighten

    # The keys folder is private already (attest.attestation.keystore writes it so).
    changed = tighten(app.instance_path, app.config["DATABASE_URL"], app.config["BLOB_DIR"])
    if changed:
        click.echo(
            f"Behörigheterna är skärpta på {changed} filer och mappar: bara attests eget "
            "konto kan läsa dem."
        )
    click.echo(f"Databasen är klar: {_display_url(app.config['DATABASE_URL'])}")


def _display_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


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
    from attest.orgs.operations import get_organisation
    from attest.users.operations import add_user, get_role, invite_user

    details = dict(
        full_name=full_name,
        title=title,
        organisation_code=org_code,
        roles=_split_roles(roles),
        department=department,
        email=email,
        phone=phone,
    )
    with refused_exits_2():
        # Check the names before asking for a password, so a typo costs nothing.
        get_organisation(org_code)
        for role in _split_roles(roles):
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
    _tell_link(invitation.link)


def _tell_link(link) -> None:
    from attest.clock import format_datetime

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
    from attest.users.operations import get_user, update_user

    with refused_exits_2():
        changed = update_user(
            get_user(username),
            full_name=full_name,
            title=title,
            roles=_split_roles(roles) if roles else None,
        )
        db.session().commit()
    if changed:
        click.echo(f"Användaren {username} är ändrad; ett nytt certifikat är utfärdat.")
    else:
        click.echo(f"Användaren {username} är oförändrad.")


@user_group.command("deactivate")
@click.argument("username")
@with_appcontext
def user_deactivate(username: str) -> None:
    """Deactivate a user and end their sessions."""
    from attest.users.operations import deactivate_user, get_user

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
    from attest.users.operations import get_user, reset_user

    with refused_exits_2():
        link = reset_user(get_user(username))
        db.session().commit()
    click.echo(f"{username} är återställd: nyckeln är spärrad och lösenordet gäller inte längre.")
    _tell_link(link)


@user_group.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Läs det nya lösenordet från standard input.")
@with_appcontext
def user_passwd(username: str, password_stdin: bool) -> None:
    """Scripted set-up: set a password an administrator chose; the old key is revoked. For
    a person who forgot theirs, use `attest user reset`."""
    from attest.users.operations import get_user, set_password_by_administrator

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


@click.group("keys")
def keys_group() -> None:
    """The organisations' PKI: CA, seal and timestamp authority."""


@keys_group.command("init")
@click.option("--org", "org_code", required=True)
@with_appcontext
def keys_init(org_code: str) -> None:
    """Create the organisation's CA, seal and TSA certificates and keys."""
    from attest.attestation import keystore
    from attest.orgs.operations import get_organisation

    with refused_exits_2():
        org = get_organisation(org_code)
        keystore.init_org_keys(org)
        from attest import audit

        audit.record("organisation:keys:created", organisation=org, data={"code": org.code})
        db.session().commit()
    click.echo(f"Nycklar för {org_code} finns i {keystore.org_dir(org_code)} (krypterade).")
    click.echo(f"CA-certifikatet att dela ut: {keystore.ca_path(org_code)}")


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Check the hash chain and its sealed anchors; exit 1 at the first broken entry."""
    from attest.attestation.audit_anchor import verify_audit

    report = verify_audit()
    if report.ok:
        click.echo(f"Granskningsloggen är hel: {report.entries} poster.")
        return
    click.echo(
        f"Granskningsloggen är bruten vid post {report.first_broken_seq}: {report.reason}.",
        err=True,
    )
    sys.exit(1)


@audit_group.command("timestamp")
@with_appcontext
def audit_timestamp() -> None:
    """Anchor the chain's head with each organisation's system seal (daily, from cron)."""
    from attest.attestation.audit_anchor import timestamp_all

    count = timestamp_all()
    db.session().commit()
    click.echo(f"Huvudet förankrat med systemsigillet för {count} organisation(er).")


@click.group("blobs")
def blobs_group() -> None:
    """Stored PDFs and bilagor (in the database or BLOB_DIR)."""


@blobs_group.command("check")
@with_appcontext
def blobs_check() -> None:
    """Check that every stored file is there and matches its SHA-256; exit 1 if one is not."""
    from attest.blobs import TEMPORARY_PREFIX, check_all

    report = check_all()
    for problem in report.problems:
        click.echo(f"{problem.sha256}: {problem.reason}", err=True)
    if report.stray_files:
        click.echo(
            f"{report.stray_files} filer i BLOB_DIR hör inte till någon rad (kvar efter "
            "avbrutna skrivningar; ofarliga)."
        )
    if report.temporary_files:
        click.echo(
            f"{report.temporary_files} halvskrivna temporära filer ({TEMPORARY_PREFIX}*) i "
            "BLOB_DIR efter avbrutna skrivningar; ofarliga."
        )
    if not report.ok:
        click.echo(
            f"Fel: {len(report.problems)} av {report.blobs} lagrade filer saknas eller är "
            "skadade.",
            err=True,
        )
        sys.exit(1)
    click.echo(
        f"Alla {report.blobs} lagrade filer finns och stämmer med sina SHA-256 "
        f"({report.references} hänvisningar)."
    )


@click.group("role")
def role_group() -> None:
    """Roles; a route step names one."""


@role_group.command("add")
@click.argument("code")
@click.option("--title", required=True, help="Titeln som visas, t.ex. Ekonomichef.")
@with_appcontext
def role_add(code: str, title: str) -> None:
    """Add a role (e.g. ekonomichef) that routes can name."""
    from attest.users.operations import add_role

    with refused_exits_2():
        role = add_role(code, title)
        db.session().commit()
    click.echo(f"Rollen {role.code} ({role.title}) är tillagd.")


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
    from attest.orgs.operations import get_organisation
    from attest.workflow.routes import route_roles, set_route

    with refused_exits_2():
        org = get_organisation(org_code)
        set_route(org, memo_type, _split_roles(roles))
        db.session().commit()
        titles = [r.title for r in route_roles(org.id, memo_type)]
    click.echo(f"Attestordning för {org.code}: " + " → ".join(titles))


@route_group.command("show")
@click.option("--org", "org_code", required=True)
@click.option("--type", "memo_type", default="tjansteutlatande", show_default=True)
@with_appcontext
def route_show(org_code: str, memo_type: str) -> None:
    """Print the route."""
    from attest.orgs.operations import get_organisation
    from attest.workflow.routes import route_roles

    with refused_exits_2():
        org = get_organisation(org_code)
        titles = [r.title for r in route_roles(org.id, memo_type)]
    click.echo(" → ".join(titles))


@click.command("substitute")
@click.argument("username")
@click.option("--role", required=True, help="Rollen personen är t.f. för.")
@click.option("--for", "for_username", default=None, help="Personen som ersätts (valfritt).")
@click.option("--from", "starts_on", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "ends_on", required=True, type=click.DateTime(["%Y-%m-%d"]))
@with_appcontext
def substitute_command(username, role, for_username, starts_on, ends_on) -> None:
    """Register an acting substitute (t.f.) for a role and period."""
    from attest.workflow.substitutes import add_substitution

    with refused_exits_2():
        add_substitution(
            username, role, starts_on.date(), ends_on.date(), for_username=for_username
        )
        db.session().commit()
    click.echo(f"{username} är t.f. {role} {starts_on:%Y-%m-%d}–{ends_on:%Y-%m-%d}.")


@click.command("substitute-end")
@click.argument("username")
@click.option("--role", required=True, help="Rollen personen är t.f. för.")
@click.option("--for", "for_username", default=None, help="Personen som ersätts (valfritt).")
@with_appcontext
def substitute_end_command(username, role, for_username) -> None:
    """End an acting substitution (t.f.) now; its t.f. certificate is revoked."""
    from attest.workflow.substitutes import end_substitution

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


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create the demo organisation and one user per role (idempotent)."""
    from attest import demo

    with refused_exits_2():
        report = demo.create_demo()
        db.session().commit()
    click.echo(f"Demoorganisation: {report.organisation_code}")
    click.echo(f"Lösenord för alla demoanvändare: {demo.DEMO_PASSWORD}")
    if current_app.config["REQUIRE_OWN_PASSWORD"]:
        click.echo(
            "REQUIRE_OWN_PASSWORD är på: demoanvändarna väljer egna lösenord under Byt "
            "lösenord innan de kan attestera."
        )
    for username, name, role_title in report.users:
        click.echo(f"  {username:<10} {name} ({role_title})")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--prod", is_flag=True, help="gunicorn med flera processer (produktion).")
@click.option(
    "--workers", default=None, type=int, help="Antal processer (standard: 2 × kärnor + 1)."
)
@click.option("--threads", default=4, show_default=True, help="Trådar per process.")
@with_appcontext
def serve_command(host: str, port: int, prod: bool, workers: int | None, threads: int) -> None:
    """Run the development server, or gunicorn with --prod."""
    if prod:
        _serve_production(host, port, workers, threads)
        return
    # app.run() refuses to start inside a Flask CLI command; werkzeug serves it directly.
    from werkzeug.serving import run_simple

    click.echo(f"attest svarar på http://{host}:{port}/ (avsluta med Ctrl+C)")
    run_simple(host, port, cast(Any, current_app)._get_current_object(), threaded=True)


def _serve_production(host: str, port: int, workers: int | None, threads: int) -> None:
    """Replace this process with gunicorn serving attest.serving.wsgi:app.

    The configuration was loaded and checked already (with_appcontext): a bad one fails
    here, once and clearly, not in every worker.
    """
    import os
    import shutil

    if current_app.config["DATABASE_URL"].startswith("sqlite"):
        click.echo(
            "Varning: produktion med SQLite. Sätt ATTEST_DATABASE_URL till PostgreSQL.", err=True
        )
    here = os.path.dirname(sys.executable)
    gunicorn = shutil.which("gunicorn", path=here) or shutil.which("gunicorn")
    if gunicorn is None:
        click.echo("Fel: gunicorn saknas; installera attest[prod].", err=True)
        sys.exit(2)
    count = workers or (2 * (os.cpu_count() or 1) + 1)
    args = [
        gunicorn,
        "--bind", f"{host}:{port}",
        "--workers", str(count),
        "--threads", str(threads),
        "--worker-class", "gthread",
        "--timeout", "60",
        "--graceful-timeout", "30",
        "--access-logfile", "/dev/null",  # attest logs each request as JSON itself
        "--error-logfile", "-",
        "attest.serving.wsgi:app",
    ]  # fmt: skip
    click.echo(f"gunicorn: {count} processer × {threads} trådar på http://{host}:{port}/", err=True)
    os.execv(gunicorn, args)


@click.command("verify", context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def verify_command(args: tuple[str, ...]) -> None:
    """Verify attested PDFs offline (attest verify --help)."""
    from attest.verify.cli import main as verify_main

    sys.exit(verify_main(list(args)))


@click.command("verify-all")
@click.option(
    "--since",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Från och med den dag tjänsteutlåtandena blev attesterade (ÅÅÅÅ-MM-DD).",
)
@click.option(
    "--until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Till och med den dagen (standard: i dag).",
)
@click.option("--org", "org_code", default=None, help="Organisationens kod (standard: alla).")
@click.option("--json", "as_json", is_flag=True, help="Skriv rapporten som JSON.")
@with_appcontext
def verify_all_command(since, until, org_code: str | None, as_json: bool) -> None:
    """Verify every memo attested in a period against the records; exit 1 if any is not valid."""
    import json

    import sqlalchemy as sa

    from attest.attestation import keystore
    from attest.orgs.models import Organisation
    from attest.orgs.operations import get_organisation
    from attest.verify.bulk import record_run, verify_all

    with refused_exits_2():
        if org_code:
            organisations = [get_organisation(org_code)]
        else:
            everyone = db.session().scalars(sa.select(Organisation).order_by(Organisation.code))
            organisations = [org for org in everyone if keystore.has_pki(org)]
    reports = []
    for org in organisations:
        with contextlib.ExitStack() as stack, refused_exits_2():
            bars: list = []

            def progress(done: int, total: int, org=org, bars=bars, stack=stack) -> None:
                if not bars:
                    bar = click.progressbar(
                        length=total, label=f"Verifierar {org.code}", file=sys.stderr
                    )
                    bars.append(stack.enter_context(bar))
                bars[0].update(1)

            report = verify_all(
                org, since.date(), until.date() if until else None, progress=progress
            )
        record_run(report, source="cli")
        reports.append(report)
    db.session().commit()

    if as_json:
        payload = [r.to_dict() for r in reports]
        click.echo(json.dumps(payload[0] if org_code else payload, ensure_ascii=False, indent=2))
    else:
        for report in reports:
            _print_bulk_report(report)
    sys.exit(0 if all(r.ok for r in reports) else 1)


def _print_bulk_report(report) -> None:
    from attest.verify.report import CHECK_TITLES, format_time

    period = f"{report.since.isoformat()} – {report.until.isoformat() if report.until else 'i dag'}"
    click.echo(
        f"{report.organisation_code} {period}: {report.valid} av {report.total} giltiga "
        f"({report.seconds:.1f} s, {report.rate:.1f} per sekund)."
    )
    if not report.audit_ok:
        click.echo(f"  Granskningsloggen är bruten vid {report.audit_reason}.")
    for item in report.not_valid:
        attested = format_time(item.attested_at)
        click.echo(f"  {item.dnr} ”{item.rubrik}” ({attested}): {item.verdict_title}")
        for check in item.problems:
            title = CHECK_TITLES[check.code][0]
            where = f" ({check.subject})" if check.subject else ""
            click.echo(f"    ✗ {title}{where}: {check.message}")


def _package_commands() -> tuple[click.Command, ...]:
    """Commands that live beside their package (a cli.py each), registered here."""
    from attest.api.cli import token_group
    from attest.archive.cli import archive_group
    from attest.outbox.cli import worker_command
    from attest.webhooks.cli import webhook_group

    return (token_group, webhook_group, worker_command, archive_group)


COMMANDS = (
    init_command,
    verify_command,
    verify_all_command,
    keys_group,
    audit_group,
    blobs_group,
    org_group,
    user_group,
    role_group,
    route_group,
    substitute_command,
    substitute_end_command,
    remind_command,
    demo_command,
    serve_command,
    *_package_commands(),
)


def register_flask_commands(app: Flask) -> None:
    for command in COMMANDS:
        if command is not init_command:
            app.cli.add_command(command)
    # `flask --app attest init` works too once the instance is configured.
    app.cli.add_command(init_command)


def _create_app() -> Flask:
    from attest import create_app

    return create_app()


class AttestGroup(FlaskGroup):
    """Commands resolve without loading the app, so `attest --help` and `attest init` work
    before a configuration exists; each command loads the app when it runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(command.name for command in COMMANDS)  # type: ignore[misc]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        for command in COMMANDS:
            if command.name == name:
                return command
        return super().get_command(ctx, name)


main = AttestGroup(
    name="attest",
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help="attest: tjänsteutlåtanden med digital attest.",
)
