"""The test databases: a migrated template per run, a fresh copy per test, and snapshots.

``ATTEST_TEST_DATABASE_URL`` selects PostgreSQL, e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``: the suite then creates its own
database ``attest_test_<pid>`` there (so two runs, or two pytest-xdist workers, never share
one), migrates it once, empties it before each test and drops it at the end. On SQLite
the migrated template is a file copied per test.

A ``Snapshot`` is a database state built once (an organisation with keys, attested memos)
and put back per test: on SQLite a copy of the file, on PostgreSQL the rows of every table
written back after a truncate, sequences included.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url

from attest import create_app, db, migrate

POSTGRES_URL = os.environ.get("ATTEST_TEST_DATABASE_URL", "")
RUN_DATABASE = f"attest_test_{os.getpid()}"

# argon2 at its cheapest: the tests hash many passwords; production cost is in config.
FAST_HASHING = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1}
# PBKDF2 rounds for every key the tests make (personal keys and the organisation's keys);
# the production default (attest.pki.keys.DEFAULT_KDF_ROUNDS) is tested where it matters.
TEST_KDF_ROUNDS = 1000


def base_config(instance: Path, url: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "KEY_PASSPHRASE": "test-key-passphrase",
        "DATABASE_URL": url,
        # The workflow's mechanics are tested without signatures; tests of the signatures
        # set SIGNING = "pades" (the default in production) with the `signing` fixture.
        "SIGNING": "record-only",
        "KEYS_DIR": str(instance / "keys"),
        "KEY_KDF_ROUNDS": TEST_KDF_ROUNDS,
        **FAST_HASHING,
    }


def describe() -> str:
    if POSTGRES_URL:
        return f"PostgreSQL ({make_url(POSTGRES_URL).render_as_string()})"
    return "SQLite"


def _admin_engine() -> sa.Engine:
    return sa.create_engine(make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")


def create_template(instance: Path) -> str:
    """A migrated database of this run: a SQLite file, or the run's PostgreSQL database."""
    if POSTGRES_URL:
        admin = _admin_engine()
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {RUN_DATABASE} WITH (FORCE)"))
            connection.execute(sa.text(f"CREATE DATABASE {RUN_DATABASE}"))
            # A test database: a commit need not wait for the disk (nothing is kept).
            connection.execute(
                sa.text(f"ALTER DATABASE {RUN_DATABASE} SET synchronous_commit = off")
            )
        admin.dispose()
        url = make_url(POSTGRES_URL).set(database=RUN_DATABASE)
        url_text = url.render_as_string(hide_password=False)
    else:
        url_text = f"sqlite:///{instance / 'template.sqlite'}"
    app = create_app(base_config(instance, url_text))
    with app.app_context():
        migrate.upgrade(app)
    db.engine_of(app).dispose()
    return url_text


def drop_template() -> None:
    if POSTGRES_URL:
        admin = _admin_engine()
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {RUN_DATABASE} WITH (FORCE)"))
        admin.dispose()


@dataclass(frozen=True)
class _Layout:
    tables: list[sa.Table]  # in foreign-key order
    sequences: list[str]
    serials: list[tuple[str, str, str]]  # (table, column, its sequence)


_layouts: dict[str, _Layout] = {}


def _layout(connection: sa.Connection) -> _Layout:
    """The tables, sequences and serial columns, read once per database."""
    key = connection.engine.url.render_as_string(hide_password=False)
    if key not in _layouts:
        metadata = sa.MetaData()
        metadata.reflect(connection)
        tables = [t for t in metadata.sorted_tables if t.name != "alembic_version"]
        sequences = list(
            connection.scalars(
                sa.text("SELECT schemaname || '.' || sequencename FROM pg_sequences")
            )
        )
        serials = []
        for table in tables:
            for column in table.primary_key.columns:
                sequence = connection.scalar(
                    sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
                    {"table": table.name, "column": column.name},
                )
                if sequence:
                    serials.append((table.name, column.name, sequence))
        _layouts[key] = _Layout(tables, sequences, serials)
    return _layouts[key]


def _empty(connection: sa.Connection) -> None:
    """Every table emptied and every sequence back at 1.

    DELETE, children first, rather than TRUNCATE: on tables of a few rows it costs a few
    milliseconds where TRUNCATE of every table costs a few hundred (new files per table).
    """
    layout = _layout(connection)
    # One round trip: the deletes, children first, and the sequences back at 1.
    statements = [f'DELETE FROM "{table.name}"' for table in reversed(layout.tables)]
    if layout.sequences:
        resets = ", ".join(f"setval('{name}', 1, false)" for name in layout.sequences)
        statements.append(f"SELECT {resets}")
    connection.exec_driver_sql("; ".join(statements))


def empty_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        _empty(connection)
    engine.dispose()


def fresh_database(template_url: str, tmp_path: Path) -> str:
    """An empty migrated database for one test."""
    if POSTGRES_URL:
        empty_postgres(template_url)
        return template_url
    path = tmp_path / "attest.sqlite"
    _copy_sqlite(Path(_sqlite_path(template_url)), path)
    return f"sqlite:///{path}"


def _copy_sqlite(source: Path, path: Path) -> None:
    """``path`` becomes a copy of the database file ``source``: a new file, never the old
    one rewritten in place, and without the old one's write-ahead log (SQLite would apply
    it to the copy). Nothing may be connected to the old file through a pool: the app
    fixture disposes its engine's pool when each test ends."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, path)


def _sqlite_path(url: str) -> str:
    path = make_url(url).database
    assert path, url
    return path


# --- snapshots ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """One database state: a SQLite file, or each PostgreSQL table's rows in insert order."""

    sqlite_file: Path | None = None
    tables: tuple[tuple[str, tuple[dict[str, Any], ...]], ...] = ()


def capture(app: Flask, folder: Path) -> Snapshot:
    """The app's database as it stands (committed data only)."""
    engine = db.engine_of(app)
    if engine.dialect.name == "sqlite":
        target = folder / "snapshot.sqlite"
        source = sqlite3.connect(_sqlite_path(str(engine.url)))
        copy = sqlite3.connect(target)
        with copy:
            source.backup(copy)
        source.close()
        copy.close()
        engine.dispose()
        return Snapshot(sqlite_file=target)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    tables = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = tuple(dict(row._mapping) for row in connection.execute(sa.select(table)))
            tables.append((table.name, rows))
    engine.dispose()
    return Snapshot(tables=tuple(tables))


def restore(app: Flask, snapshot: Snapshot) -> None:
    """Put the snapshot's state into the app's database, replacing what is there."""
    engine = db.engine_of(app)
    engine.dispose()  # no pooled connection may see the old file or rows
    load(str(engine.url.render_as_string(hide_password=False)), snapshot)


def load(url: str, snapshot: Snapshot) -> None:
    """Make the database at ``url`` hold the snapshot's state (nothing may be connected to
    a SQLite file, whose file is replaced)."""
    if snapshot.sqlite_file is not None:
        _copy_sqlite(snapshot.sqlite_file, Path(_sqlite_path(url)))
        return
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        _empty(connection)
        layout = _layout(connection)
        by_name = {table.name: table for table in layout.tables}
        for name, rows in snapshot.tables:
            if rows:
                connection.execute(by_name[name].insert(), list(rows))
        if layout.serials:
            # Each serial continues after the snapshot's largest value (or starts at 1).
            connection.execute(
                sa.text(
                    "SELECT "
                    + ", ".join(
                        f"setval('{sequence}', coalesce((SELECT max(\"{column}\") "
                        f'FROM "{table}"), 0) + 1, false)'
                        for table, column, sequence in layout.serials
                    )
                )
            )
    engine.dispose()


def fresh_copy(template_url: str, snapshot: Snapshot, tmp_path: Path) -> str:
    """A database for one test that starts as the snapshot."""
    if snapshot.sqlite_file is not None:
        path = tmp_path / "attest.sqlite"
        _copy_sqlite(snapshot.sqlite_file, path)
        return f"sqlite:///{path}"
    load(template_url, snapshot)
    return template_url
