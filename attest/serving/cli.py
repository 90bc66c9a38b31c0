"""``attest init``, ``attest demo`` and ``attest serve``: an installation from nothing to
serving pages."""

from __future__ import annotations

import os
import socket
import sys
from typing import Any, Mapping

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo, with_appcontext

from attest import db
from attest.cli.common import refused_exits_2


@click.command("init")
def init_command() -> None:
    """Create or migrate the database (and a development configuration if none exists)."""
    from attest import config, create_app, migrate

    instance_path = Flask("attest").instance_path
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
@click.pass_context
def serve_command(
    ctx: click.Context, host: str, port: int, prod: bool, workers: int | None, threads: int
) -> None:
    """Run the development server, or gunicorn with --prod."""
    if prod:
        _serve_production(host, port, workers, threads)
        return
    app = ctx.ensure_object(ScriptInfo).load_app()
    # app.run() refuses to start inside a Flask CLI command; werkzeug serves it directly.
    from werkzeug.serving import run_simple

    click.echo(f"attest svarar på http://{host}:{port}/ (avsluta med Ctrl+C)")
    run_simple(host, port, app, threaded=True)


def _checked_config() -> Mapping[str, Any]:
    """The configuration as the app will read it, checked; exits 2 saying what is wrong."""
    from attest import config

    bare = Flask(
        "attest",
        instance_path=os.environ.get("ATTEST_INSTANCE_PATH") or None,
        instance_relative_config=True,
    )
    try:
        config.load(bare, None)
    except config.ConfigError as exc:
        click.echo(f"Fel i konfigurationen: {exc}", err=True)
        sys.exit(2)
    return bare.config


# Linux balances connections over sockets sharing a port; other systems (BSD, macOS) give
# them all to one of the sockets.
_SPREAD_BY_KERNEL = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def _serve_production(host: str, port: int, workers: int | None, threads: int) -> None:
    """Replace this process with gunicorn serving attest.serving.wsgi:app.

    The configuration is checked here first, without loading the app (gunicorn's master
    does that): a bad one fails once and clearly, before gunicorn starts. gunicorn loads
    the app once, in its master (--preload), and forks the workers from it: they start
    without importing anything again and share the master's memory, and a worker that
    dies (a crash, the kernel's OOM killer) is replaced by a fork that serves at once. A
    new version of attest is deployed by restarting the service (a HUP reloads the
    configuration, not the code). Nothing the master made is shared by two processes:
    database pools start empty in each worker (attest.db), keys and HSM sessions are
    opened in the worker that uses them.

    On Linux each worker listens on a socket of its own (SO_REUSEPORT, gunicorn's
    --reuse-port) and the kernel spreads new connections evenly over them. On one shared
    socket the worker that woke first took them: of 50 browsers' keep-alive connections
    one worker of five held 21-29, limited to one core by its interpreter lock while others
    idled (bench/bench_load.py: 25-35% more pages per second spread). The price: a
    connection still waiting in the queue of a worker that dies is reset, as one being
    served would be; the worker's replacement listens anew.
    """
    import shutil

    if _checked_config()["DATABASE_URL"].startswith("sqlite"):
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
        "--preload",
        *(["--reuse-port"] if _SPREAD_BY_KERNEL else []),
        "--access-logfile", "/dev/null",  # attest logs each request as JSON itself
        "--error-logfile", "-",
        "attest.serving.wsgi:app",
    ]  # fmt: skip
    click.echo(f"gunicorn: {count} processer × {threads} trådar på http://{host}:{port}/", err=True)
    os.execv(gunicorn, args)
