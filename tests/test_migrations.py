"""Migrations run up from an empty database and match the models."""

import os

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from attest import create_app, db, migrate
from attest.db import Base
from tests.support.database import POSTGRES_URL, base_config


def _empty_database_url(tmp_path):
    if not POSTGRES_URL:
        return f"sqlite:///{tmp_path}/empty.sqlite"
    admin_url = sa.engine.make_url(POSTGRES_URL)
    name = f"attest_migrations_{os.getpid()}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False)


def _drop_database(app) -> None:
    db.engine_of(app).dispose()
    if POSTGRES_URL:
        admin = sa.create_engine(sa.engine.make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            name = sa.engine.make_url(app.config["DATABASE_URL"]).database
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def test_upgrade_from_empty_then_down_and_up_again(tmp_path):
    app = create_app(base_config(tmp_path, _empty_database_url(tmp_path)))
    config = migrate.alembic_config(app)
    head = ScriptDirectory.from_config(config).get_current_head()
    with app.app_context():
        migrate.upgrade(app)
        assert migrate.current_heads(app) == (head,)
        roles = db.session().execute(sa.text("SELECT code FROM roles ORDER BY code")).scalars()
        assert list(roles) == [
            "administrator",
            "avdelningschef",
            "handlaggare",
            "registrator",
            "stadsdelsdirektor",
        ]
        db.session().close()
        migrate.downgrade(app, "base")
        assert migrate.current_heads(app) == ()
        assert "users" not in sa.inspect(db.engine()).get_table_names()
        migrate.upgrade(app)
        assert migrate.current_heads(app) == (head,)
    _drop_database(app)


def test_audit_events_learn_their_memo_on_upgrade(tmp_path):
    """0009 fills audit_events.memo_id from each event's hashed data, leaving the rest alone."""
    app = create_app(base_config(tmp_path, _empty_database_url(tmp_path)))
    insert = sa.text(
        "INSERT INTO audit_events (seq, created_at, event, address, data, prev_hash, entry_hash)"
        " VALUES (:seq, CURRENT_TIMESTAMP, :event, '', :data, :prev, :hash)"
    )
    events = [
        (1, "memo:skicka", '{"dnr":"EÅV 2024/1","memo":7,"version":1}'),
        (2, "user:added", '{"username":"jenny"}'),
        (3, "memo:attestera", '{"memo":12,"step":1}'),
        (4, "odd", "not json"),
    ]
    with app.app_context():
        migrate.upgrade(app, "0008")
        with db.engine().begin() as connection:
            for seq, event, data in events:
                row = {"seq": seq, "event": event, "data": data, "prev": "0" * 64, "hash": str(seq)}
                connection.execute(insert, row)
        migrate.upgrade(app)
        with db.engine().connect() as connection:
            rows = connection.execute(sa.text("SELECT seq, memo_id FROM audit_events ORDER BY seq"))
            assert rows.all() == [(1, 7), (2, None), (3, 12), (4, None)]
    _drop_database(app)


def test_models_and_migrations_agree(app):
    import attest.models  # noqa: F401

    with db.engine_of(app).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
