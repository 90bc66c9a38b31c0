"""Fixtures: a fresh database per test on SQLite (default) or PostgreSQL, signed material
built once per session (tests/support/worlds.py), and the app, client and people.

The database helpers live in tests/support/database.py; ``ATTEST_TEST_DATABASE_URL`` selects
PostgreSQL. Under pytest-xdist every worker has its own database and its own worlds.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

from attest import create_app, db
from attest.clock import STOCKHOLM, FixedClock
from tests.support import apps, database, factories, passes, shared
from tests.support import signing as signing_support
from tests.support import softhsm as softhsm_support
from tests.support.database import POSTGRES_URL, base_config
from tests.support.web import Auth
from tests.support.worlds import Attested, Worlds

SHARED_ENV = "ATTEST_TEST_SHARED"


def pytest_configure(config: Any) -> None:
    # Under pytest-xdist the controller makes one folder for the run and its workers make
    # the PKIs, key pool and worlds once between them there (tests/support/shared.py).
    if hasattr(config, "workerinput"):
        if os.environ.get(SHARED_ENV):
            shared.use_folder(Path(os.environ[SHARED_ENV]))
    elif config.getoption("numprocesses", default=None):
        folder = tempfile.mkdtemp(prefix="attest-tests-")
        os.environ[SHARED_ENV] = folder
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


def pytest_report_header(config: Any) -> str:
    return f"attest database: {database.describe()}"


E2E_DIR = Path(__file__).resolve().parent / "e2e"


apps.share_compiled_routes()


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.system)  # a server and Chromium
    # The long tests first (in their order): pytest-xdist's workers then end together
    # instead of one waiting for the other's last long test.
    items.sort(key=lambda item: 0 if ("slow" in item.keywords or "system" in item.keywords) else 1)
    # `make test` runs the suite twice, on SQLite and on PostgreSQL. A test marked `once`
    # says nothing about the database: one of the passes runs it (tests/support/passes.py).
    passes.skip_once_tests_of_the_other_pass(items)
    if POSTGRES_URL:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run with ATTEST_TEST_DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database: a file to copy (SQLite) or a database to truncate (PostgreSQL)."""
    yield database.create_template(tmp_path_factory.mktemp("template"))
    database.drop_template()


@pytest.fixture(scope="session")
def database_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where every test of this worker has its SQLite database, under the same name: its app
    then reuses the engine (and the SQL it compiled) of the tests before (apps.py). On
    PostgreSQL each worker's tests share one database already."""
    return tmp_path_factory.mktemp("database")


@pytest.fixture
def database_url(database_template: str, worlds: Worlds, request, database_folder: Path) -> str:
    """A fresh database for the test: empty, or already holding the organisation (``org``),
    its people (``people``) or the access matrix's world (``access_matrix``) when the test
    uses them, copied from a world built once."""
    for start in ("access_matrix", "people", "org"):
        if start in request.fixturenames:
            return worlds.fresh_database(start, database_folder)
    return database.fresh_database(database_template, database_folder)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2024, 8, 14, 9, 30, tzinfo=STOCKHOLM))


@pytest.fixture
def app_config(tmp_path: Path, database_url: str, clock: FixedClock) -> dict[str, Any]:
    """Override keys in a test with ``@pytest.mark.parametrize`` or by depending on this."""
    instance = tmp_path / "instance"
    instance.mkdir()
    return {**base_config(instance, database_url), "CLOCK": clock}


@pytest.fixture
def app(app_config: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ATTEST_INSTANCE_PATH", str(tmp_path / "instance"))
    # One engine per database URL in this worker: SQL compiled once (tests/support/apps.py).
    monkeypatch.setattr(db, "make_engine", apps.shared_engine)
    app = create_app(app_config)
    # Templates compiled once per worker, not once per test's app (a third of a small
    # test's time): Jinja's bytecode cache, keyed by each template's source.
    app.jinja_env.bytecode_cache = apps.JINJA_BYTECODE
    with app.app_context():
        from attest.users.operations import ensure_builtin_roles

        ensure_builtin_roles()
        db.session().commit()
    yield app
    db.engine_of(app).dispose()


@pytest.fixture
def app_context(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# Data fixtures make their rows in a context of their own: a test that holds an app
# context while it uses the client would share ``g`` (and the logged-in user) between
# requests, which no real request ever does.
@pytest.fixture
def org(app):
    """The organisation EÅV (the test's database starts with it: see database_url)."""
    from attest.orgs.operations import get_organisation

    with app.app_context():
        return get_organisation("EÅV")


@pytest.fixture
def people(app, org):
    """One enrolled person per built-in role in ``org`` (in the database from the start)."""
    return factories.People.load(org.code, app)


@pytest.fixture
def access_matrix(people, worlds) -> dict[str, Any]:
    """The facts of the access matrix's world (tests/support/access_world.py), which the
    test's database starts as."""
    return worlds.get("access_matrix").facts


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)


# --- Real signing: an organisation PKI and personal keys from session caches ------------
# RSA-3072 generation is slow; everything after it is the production path.


@pytest.fixture(scope="session")
def cached_pki():
    """The organisation's PKI, made once per session (tests/support/signing.py)."""
    return signing_support.make_pki()


def pki_for(code: str):
    """The session's PKI of an organisation code: EÅV's, or the second förvaltning's."""
    return signing_support.second_pki() if code == "SKV" else signing_support.make_pki()


@pytest.fixture(scope="session")
def rogue_pki():
    """A second CA with exactly the organisation's names: another förvaltning, or a forger."""
    return signing_support.make_pki("rogue")


@pytest.fixture(scope="session")
def key_pool():
    return signing_support.key_pool()


@pytest.fixture
def signing(app, monkeypatch, cached_pki, key_pool):
    """The app with SIGNING = "pades" (the production default), keys from the caches."""
    from attest.attestation import keystore, personal

    keys = itertools.cycle(key_pool)
    monkeypatch.setattr(keystore, "create_org_pki", lambda name, code, now: pki_for(code))
    monkeypatch.setattr(personal, "generate_personal_key", lambda: next(keys))
    app.config["SIGNING"] = "pades"
    app.extensions.pop("attest.hooks", None)  # chosen on first use from SIGNING
    return app


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory):
    """A SoftHSM2 token of this test session (and worker), for the PKCS#11 backend."""
    reason = softhsm_support.missing()
    if reason is not None:
        pytest.skip(reason)
    token = softhsm_support.init_token(tmp_path_factory.mktemp("softhsm"))
    yield token
    from attest.custody.pkcs11 import close_sessions

    close_sessions()


@pytest.fixture(scope="session")
def worlds(database_template, tmp_path_factory) -> Worlds:
    return Worlds(
        database_template, tmp_path_factory.mktemp("worlds"), pki_for, signing_support.key_pool
    )


@pytest.fixture
def signed_people(app, signing, worlds, clock):
    """The organisation with its PKI (attest keys init) and one person per role, with keys."""
    worlds.restore("signed", app, clock)
    return factories.People.load("EÅV", app)


@pytest.fixture
def attested(app, signed_people, worlds, clock) -> Attested:
    """A memo sent and attested by Avdelningschef and Stadsdelsdirektör, two hours apart."""
    return worlds.restore("attested", app, clock).facts["attested"]


@pytest.fixture
def attested_over_days(app, signed_people, worlds, clock) -> Attested:
    """A memo attested the day after it was sent (15 August 2024) and the day after that."""
    return worlds.restore("attested_over_days", app, clock).facts["attested"]


@pytest.fixture
def three_days(app, signed_people, worlds, clock) -> tuple[Attested, ...]:
    """Memos attested on 14, 15 and 16 August 2024 (Stockholm), with 0, 1 and 2 bilagor."""
    return worlds.restore("three_days", app, clock).facts["three_days"]


@pytest.fixture
def acting_attested(app, signed_people, worlds, clock) -> Attested:
    """A memo whose director's row Petra Ersättare attested as t.f. stadsdelsdirektör."""
    return worlds.restore("acting", app, clock).facts["acting"]


@pytest.fixture
def three_steps(app, signed_people, worlds, clock) -> Attested:
    """A memo attested by Avdelningschef, Ekonomichef (Maria Lind) and Stadsdelsdirektör."""
    return worlds.restore("three_steps", app, clock).facts["three_steps"]


@pytest.fixture
def two_organisations(app, signed_people, worlds, clock) -> Attested:
    """EÅV and Skarpnäck (SKV), each with a CA of its own; a memo attested in SKV."""
    return worlds.restore("two_organisations", app, clock).facts["second"]
