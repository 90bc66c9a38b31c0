"""Alembic driven from the app: the migrations folder and the app's database."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from flask import Flask

from attest import paths


def alembic_config(app: Flask) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(paths.migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", app.config["DATABASE_URL"].replace("%", "%%"))
    cfg.attributes["engine"] = app.extensions["attest.db"].engine
    return cfg


def upgrade(app: Flask, revision: str = "head") -> None:
    command.upgrade(alembic_config(app), revision)


def downgrade(app: Flask, revision: str) -> None:
    command.downgrade(alembic_config(app), revision)


def current_heads(app: Flask) -> tuple[str, ...]:
    from alembic.runtime.migration import MigrationContext

    with app.extensions["attest.db"].engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_heads()
