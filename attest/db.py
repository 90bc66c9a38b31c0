"""The database: declarative base, one session per app context, UTC timestamps."""

from __future__ import annotations

import datetime as dt
import os
import re
import weakref
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker

from attest import files

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A timezone-aware datetime stored in UTC; SQLite's naive values come back as UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.timezone.utc)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


@dataclass
class _State:
    engine: Engine
    session: scoped_session[Session]


def _app_context_id() -> int:
    from flask import g

    return id(g._get_current_object())


CONNECT_TIMEOUT_SECONDS = 10


def make_engine(
    url: str, *, pool_size: int = 5, max_overflow: int = 10, prepared: bool = True
) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
        database = files.sqlite_path(url)
        if database is not None and database.parent.is_dir():
            # Created 0600 here; SQLite gives its -wal and -shm files the same mode.
            files.create_private_file(database)
    else:
        # pre_ping: a connection the database dropped (a restart) is replaced on checkout,
        # not handed to a request. connect_timeout: an unreachable server is an error in
        # seconds (503 "try again", attest.web), not a request that hangs.
        kwargs.update(pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True)
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        if not prepared:  # psycopg's threshold: None never prepares
            kwargs["connect_args"]["prepare_threshold"] = None
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "before_cursor_execute", _note_write)
    event.listen(engine, "commit", _forget_writes)
    event.listen(engine, "rollback", _forget_writes)
    _ENGINES.add(engine)
    return engine


# Every engine of this process. gunicorn loads the app in its master and forks the workers
# (attest serve --prod preloads): a connection the master had opened must never be used by
# two processes, so a forked child starts with empty pools and leaves the parent's
# connections to the parent (SQLAlchemy's recipe for pools across fork).
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _forget_connections_after_fork() -> None:
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_connections_after_fork)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


# A transaction that only read ends with COMMIT, not ROLLBACK (end_read_only): the same for
# the database, but psycopg discards every statement it has prepared on the connection at
# a ROLLBACK (psycopg._preparing), so that each request's queries would be parsed and
# planned anew; planning the worklist's query costs six times running it. A statement
# other than a SELECT marks the connection as having written until its transaction ends;
# anything unsure (a pool's own reset, a savepoint) leaves the mark, and so the ROLLBACK.
# (A SELECT of a function that writes, or of pg_notify, would pass for a read: attest
# sends none; one that ever does must end its transaction itself.)
_WROTE = "attest.db.wrote"
_READ = re.compile(r"\s*SELECT\b", re.IGNORECASE)


def _note_write(connection: sa.Connection, _cursor: Any, statement: str, *_: Any) -> None:
    if not _READ.match(statement):
        connection.info[_WROTE] = True


def _forget_writes(connection: sa.Connection) -> None:
    # An invalidated connection (lost: a database restart) has no DBAPI connection to ask,
    # and is never used again.
    if not connection.invalidated:
        connection.info.pop(_WROTE, None)


def end_read_only(session: Session) -> bool:
    """Commit the session's transaction if it has only read; whether it did.

    Nothing pending, nothing flushed, no statement but SELECTs: COMMIT and ROLLBACK are
    then the same, and COMMIT keeps the connection's prepared statements. A session with
    anything else is left to its ROLLBACK.
    """
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return False
    if session.connection().info.get(_WROTE):
        return False
    session.commit()
    return True


def init_app(app: Flask) -> None:
    engine = make_engine(
        app.config["DATABASE_URL"],
        pool_size=app.config["DATABASE_POOL_SIZE"],
        max_overflow=app.config["DATABASE_MAX_OVERFLOW"],
        prepared=app.config["DATABASE_PREPARED_STATEMENTS"],
    )
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    state = _State(engine=engine, session=scoped_session(factory, scopefunc=_app_context_id))
    app.extensions["attest.db"] = state

    @app.teardown_appcontext
    def _remove_session(exc: BaseException | None) -> None:
        if exc is None and state.session.registry.has():
            try:
                end_read_only(state.session())
            except sa.exc.SQLAlchemyError:
                pass  # nothing was written; remove() rolls back what is left
        state.session.remove()


def _state() -> _State:
    return current_app.extensions["attest.db"]


def session() -> Session:
    """The session of the current app context."""
    return _state().session()


def engine() -> Engine:
    return _state().engine


def engine_of(app: Flask) -> Engine:
    return app.extensions["attest.db"].engine
