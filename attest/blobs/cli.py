"""``attest blobs check``: the stored PDFs and bilagor, each against its SHA-256."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


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
