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


def test_people_get_identifiers_and_their_keys_certificates_on_upgrade(tmp_path):
    """0011 gives every user a person identifier of their own and copies each key's
    certificate into person_certificates, revoked with a revoked key. On SQLite too: a
    batch-mode copy of users would drop the table and, foreign keys on, its keys with it."""
    import uuid

    app = create_app(base_config(tmp_path, _empty_database_url(tmp_path)))
    with app.app_context():
        migrate.upgrade(app, "0010")
        with db.engine().begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO organisations (id, code, name, short_name, board, postal_address,"
                    " switchboard, website, created_at) VALUES (1, 'EÅV', 'F', '', 'N', '', '', '',"
                    " CURRENT_TIMESTAMP)"
                )
            )
            for user_id in (1, 2):
                connection.execute(
                    sa.text(
                        "INSERT INTO users (id, organisation_id, username, full_name, title,"
                        " department, phone, email, password_hash, active, created_at) VALUES"
                        " (:id, 1, :name, :name, '', '', '', '', 'x', :active, CURRENT_TIMESTAMP)"
                    ),
                    {"id": user_id, "name": f"person{user_id}", "active": True},
                )
            for key_id, revoked in ((1, None), (2, "2024-08-01 10:00:00")):
                connection.execute(
                    sa.text(
                        "INSERT INTO user_keys (id, user_id, certificate_pem, certificate_sha256,"
                        " serial, encrypted_key_pem, not_before, not_after, created_at, revoked_at)"
                        " VALUES (:id, :id, 'pem', :sha, '12345', 'key', CURRENT_TIMESTAMP,"
                        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, :revoked)"
                    ),
                    {"id": key_id, "sha": str(key_id) * 64, "revoked": revoked},
                )
        migrate.upgrade(app)
        with db.engine().connect() as connection:
            ids = connection.execute(sa.text("SELECT person_id FROM users ORDER BY id")).scalars()
            ids = list(ids)
            assert len(set(ids)) == 2 and all(uuid.UUID(i).version == 4 for i in ids)
            rows = connection.execute(
                sa.text(
                    "SELECT user_key_id, kind, certificate_sha256, revoked_at IS NOT NULL,"
                    " revocation_reason FROM person_certificates ORDER BY user_key_id"
                )
            ).all()
            assert [tuple(r) for r in rows] == [
                (1, "role", "1" * 64, False, ""),
                (2, "role", "2" * 64, True, "key revoked"),
            ]
        db.session().close()
        migrate.downgrade(app, "0010")  # and back down, the data of before kept
        with db.engine().connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM user_keys")).scalar() == 2
    _drop_database(app)


def test_models_and_migrations_agree(app):
    import attest.models  # noqa: F401

    with db.engine_of(app).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
