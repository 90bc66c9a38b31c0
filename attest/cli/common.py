"""What every command shares: a refusal exits 2 having written nothing."""

from __future__ import annotations

import contextlib
import sys
from typing import Iterator

import click

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


def split_roles(values: tuple[str, ...]) -> list[str]:
    return [part for value in values for part in value.split(",") if part.strip()]
