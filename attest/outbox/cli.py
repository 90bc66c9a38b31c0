"""``attest worker``: the outbox's delivery process."""

from __future__ import annotations

import sys
from typing import Any, cast

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--once", is_flag=True, help="Leverera det som väntar nu och avsluta.")
@with_appcontext
def worker_command(once: bool) -> None:
    """Deliver the outbox (mails, webhooks) and run the reminders, until stopped."""
    from attest.outbox.worker import Worker, sqlite_single_worker, stop_on_signals

    app = cast(Any, current_app)._get_current_object()
    worker = Worker(app)
    try:
        with sqlite_single_worker(app):
            if once:
                counts = worker.run_once()
                click.echo(
                    f"{counts.mails} e-post, {counts.webhooks} webhooks levererade; "
                    f"{counts.failures} misslyckade (försöks igen senare)."
                )
                return
            undo = stop_on_signals(worker)
            click.echo(f"attest worker {worker.name} levererar utkorgen (avsluta med Ctrl+C)")
            try:
                worker.run()
            finally:
                undo()
    except RuntimeError as exc:
        click.echo(f"Fel: {exc}", err=True)
        sys.exit(2)
