"""The ``attest`` command line; also reachable as ``flask --app attest ...``.

Each package keeps its commands beside it (a ``cli.py``); they are registered here. Commands
call the same operations as the views and commit once at the end; a refused call writes
nothing and exits with status 2 (attest.cli.common.refused_exits_2).
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from attest.api.cli import token_group
from attest.archive.cli import archive_group
from attest.attestation.cli import audit_group, keys_group
from attest.blobs.cli import blobs_group
from attest.cli.common import refused_exits_2, split_roles
from attest.orgs.cli import org_group
from attest.outbox.cli import worker_command
from attest.serving.cli import demo_command, init_command, serve_command
from attest.signservice.cli import signing_command
from attest.users.cli import role_group, user_group
from attest.verify.commands import verify_all_command, verify_command
from attest.webhooks.cli import webhook_group
from attest.workflow.cli import (
    remind_command,
    route_group,
    substitute_command,
    substitute_end_command,
)

__all__ = ["COMMANDS", "init_command", "main", "refused_exits_2", "split_roles"]

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
    token_group,
    webhook_group,
    worker_command,
    archive_group,
)


user_group.add_command(signing_command)  # attest user signing: key or signature service


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
