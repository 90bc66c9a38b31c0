"""How a request's transaction ends: COMMIT when it only read, ROLLBACK otherwise.

psycopg discards every statement it has prepared on a connection at a ROLLBACK, so a
request that only read ends with COMMIT (the same for the database) and the next request's
queries run prepared, not parsed and planned anew. Nothing written without a commit of its
own is ever committed by this.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from attest import db
from attest.orgs.models import Organisation

NAME = "Enskede-Årsta-Vantörs stadsdelsförvaltning"


def _name(app, org_id: int) -> str:
    with app.app_context():
        return db.session().get(Organisation, org_id).name


def _ended(app, change) -> bool:
    """Run ``change`` in an app context that ends without an error; whether it was the
    read-only commit that ended it."""
    ended: list[bool] = []
    real = db.end_read_only

    def spy(session):
        ended.append(real(session))
        return ended[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db, "end_read_only", spy)
        with app.app_context():
            change(db.session())
    return bool(ended and ended[-1])


def test_a_context_that_only_read_ends_with_a_commit(app, org):
    assert _ended(app, lambda s: s.scalars(sa.select(Organisation)).all())


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda s, o: setattr(s.get(Organisation, o), "name", "X"), id="pending"),
        pytest.param(
            lambda s, o: (setattr(s.get(Organisation, o), "name", "X"), s.flush()), id="flushed"
        ),
        pytest.param(
            lambda s, o: s.execute(
                sa.update(Organisation).where(Organisation.id == o).values(name="X")
            ),
            id="core-update",
        ),
        pytest.param(
            lambda s, o: s.execute(
                sa.text("UPDATE organisations SET name = 'X' WHERE id = :id"), {"id": o}
            ),
            id="text-update",
        ),
        pytest.param(
            lambda s, o: (
                s.execute(sa.update(Organisation).where(Organisation.id == o).values(name="X")),
                s.scalars(sa.select(Organisation)).all(),  # a read after the write
            ),
            id="write-then-read",
        ),
    ],
)
def test_a_write_nobody_committed_is_rolled_back(app, org, change):
    """The tamper twin: a context that wrote and did not commit is never committed for it,
    whether the change was pending, flushed, or sent as SQL, and whatever it read after."""
    org_id = org.id
    assert not _ended(app, lambda s: change(s, org_id))
    assert _name(app, org_id) == NAME


def test_a_context_that_fails_after_writing_is_rolled_back(app, org):
    org_id = org.id
    with pytest.raises(RuntimeError):
        with app.app_context():
            db.session().get(Organisation, org_id).name = "X"
            db.session().flush()
            raise RuntimeError("the view failed")
    assert _name(app, org_id) == NAME


def test_a_committed_write_then_reads_end_with_a_commit(app, org):
    """A view that committed its change and then read ends its second transaction with a
    commit too: the mark of the write went with the first."""
    org_id = org.id

    def change(session):
        session.get(Organisation, org_id).name = "Ny"
        session.commit()
        session.scalars(sa.select(Organisation)).all()

    assert _ended(app, change)
    assert _name(app, org_id) == "Ny"


@pytest.mark.postgres
def test_pages_run_their_queries_prepared(app, people, auth, client, monkeypatch):
    """After a few pages the connection holds the pages' statements prepared; with every
    request ending in a ROLLBACK (the old way) it holds none."""

    def prepared() -> list[str]:
        with app.app_context():
            return (
                db.session().scalars(sa.text("SELECT statement FROM pg_prepared_statements")).all()
            )

    auth.login(people.avdelningschef.username)
    db.engine_of(app).dispose()  # one connection from here on, used by each request in turn
    for _ in range(7):
        assert client.get("/").status_code == 200
    assert any("login_sessions" in statement for statement in prepared())

    db.engine_of(app).dispose()
    monkeypatch.setattr(db, "end_read_only", lambda session: False)
    for _ in range(7):
        assert client.get("/").status_code == 200
    assert prepared() == []


def test_a_connection_lost_mid_transaction_still_rolls_back(app, org):
    """A dropped connection (a database restart) is invalidated; rolling back its
    transaction then must work, so that the error page can still be drawn."""
    with app.app_context():
        session = db.session()
        session.scalars(sa.select(Organisation)).all()
        session.connection().invalidate()
        session.rollback()
        assert session.scalars(sa.select(Organisation)).all()  # a new connection


@pytest.mark.postgres
@pytest.mark.parametrize("prepared", [True, False])
def test_prepared_statements_can_be_turned_off(database_url, prepared):
    """ATTEST_DATABASE_PREPARED_STATEMENTS=false, for a pooler that cannot keep them."""
    engine = db.make_engine(database_url, prepared=prepared)
    try:
        with engine.connect() as connection:
            for _ in range(6):
                connection.execute(sa.text("SELECT 6 * 7")).scalar()
                connection.commit()
            kept = connection.execute(sa.text("SELECT statement FROM pg_prepared_statements"))
            assert (["SELECT 6 * 7"] if prepared else []) == kept.scalars().all()
    finally:
        engine.dispose()
