"""Fixtures: a fresh database per test on SQLite (default) or PostgreSQL.

``ATTEST_TEST_DATABASE_URL`` selects PostgreSQL, e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``: the suite then creates its own
database ``attest_test_<pid>`` there (so two runs on one server never share one), migrates
it once, truncates it before each test and drops it at the end.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from attest import create_app, db, migrate
from attest.clock import STOCKHOLM, FixedClock
from tests import factories

POSTGRES_URL = os.environ.get("ATTEST_TEST_DATABASE_URL", "")
RUN_DATABASE = f"attest_test_{os.getpid()}"

# argon2 at its cheapest: the tests hash many passwords; production cost is in config.
FAST_HASHING = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1}


def pytest_report_header(config: Any) -> str:
    if POSTGRES_URL:
        return f"attest database: PostgreSQL ({make_url(POSTGRES_URL).render_as_string()})"
    return "attest database: SQLite"


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    # `make test` runs the suite twice, on SQLite and on PostgreSQL. A test marked `once`
    # says nothing about the database (it uses none, or is slow CPU work the same on both):
    # the PostgreSQL pass leaves it to the SQLite pass.
    if POSTGRES_URL:
        once = pytest.mark.skip(reason="not about the database: runs in the SQLite pass")
        for item in items:
            if "once" in item.keywords:
                item.add_marker(once)
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run with ATTEST_TEST_DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def _base_config(instance: Path, url: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "KEY_PASSPHRASE": "test-key-passphrase",
        "DATABASE_URL": url,
        # The workflow's mechanics are tested without signatures; tests of the signatures
        # set SIGNING = "pades" (the default in production) with the `signing` fixture.
        "SIGNING": "record-only",
        "KEYS_DIR": str(instance / "keys"),
        "KEY_KDF_ROUNDS": 1000,
        **FAST_HASHING,
    }


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database: a file to copy (SQLite) or a database to truncate (PostgreSQL)."""
    instance = tmp_path_factory.mktemp("template")
    if POSTGRES_URL:
        admin_url = make_url(POSTGRES_URL)
        test_url = admin_url.set(database=RUN_DATABASE)
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {RUN_DATABASE} WITH (FORCE)"))
            connection.execute(sa.text(f"CREATE DATABASE {RUN_DATABASE}"))
        url = test_url.render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{instance / 'template.sqlite'}"
    app = create_app(_base_config(instance, url))
    with app.app_context():
        migrate.upgrade(app)
    db.engine_of(app).dispose()
    yield url
    if POSTGRES_URL:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {RUN_DATABASE} WITH (FORCE)"))
        admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        tables = [
            row[0]
            for row in connection.execute(
                sa.text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
        ]
        if tables:
            quoted = ", ".join(f'"{name}"' for name in tables)
            connection.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> str:
    if POSTGRES_URL:
        _truncate_postgres(database_template)
        return database_template
    path = tmp_path / "attest.sqlite"
    shutil.copyfile(make_url(database_template).database, path)
    return f"sqlite:///{path}"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2024, 8, 14, 9, 30, tzinfo=STOCKHOLM))


@pytest.fixture
def app_config(tmp_path: Path, database_url: str, clock: FixedClock) -> dict[str, Any]:
    """Override keys in a test with ``@pytest.mark.parametrize`` or by depending on this."""
    instance = tmp_path / "instance"
    instance.mkdir()
    return {**_base_config(instance, database_url), "CLOCK": clock}


@pytest.fixture
def app(app_config: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ATTEST_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(app_config)
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
    with app.app_context():
        return factories.organisation()


@pytest.fixture
def people(app, org):
    """One committed person per built-in role in ``org``."""
    with app.app_context():
        return factories.people(org)


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


LOCK_VERSION_RE = re.compile(r'name="lock_version" type="hidden" value="(\d+)"')


def lock_version(html: str) -> str:
    """The memo version a page's action forms carry, as a browser sends it back."""
    match = LOCK_VERSION_RE.search(html)
    assert match, "no lock_version on the page"
    return match.group(1)


class Auth:
    def __init__(self, client) -> None:
        self.client = client

    def login(self, username: str, password: str = factories.PASSWORD, follow: bool = False):
        page = self.client.get("/auth/login")
        token = csrf_token(page.get_data(as_text=True))
        return self.client.post(
            "/auth/login",
            data={"username": username, "password": password, "csrf_token": token},
            follow_redirects=follow,
        )

    def logout(self):
        page = self.client.get("/", follow_redirects=True)
        token = csrf_token(page.get_data(as_text=True))
        return self.client.post("/auth/logout", data={"csrf_token": token})

    def post(self, url: str, data: dict[str, Any] | None = None, *, page: str = "/", **kwargs: Any):
        """POST with the CSRF token of ``page``, as a browser submitting a form would."""
        token = csrf_token(self.client.get(page).get_data(as_text=True))
        return self.client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)


# --- Real signing: an organisation PKI and personal keys from session caches ------------
# RSA-3072 generation is slow; everything after it is the production path.


@pytest.fixture(scope="session")
def cached_pki():
    from attest.pki import create_org_pki

    return create_org_pki(
        "Enskede-Årsta-Vantörs stadsdelsförvaltning",
        "EÅV",
        dt.datetime(2024, 1, 1, tzinfo=STOCKHOLM),
    )


@pytest.fixture(scope="session")
def key_pool():
    from attest.pki import generate_personal_key

    return [generate_personal_key() for _ in range(6)]


@pytest.fixture
def signing(app, monkeypatch, cached_pki, key_pool):
    """The app with SIGNING = "pades" (the production default), keys from the caches."""
    import itertools

    from attest.attestation import keystore, personal

    keys = itertools.cycle(key_pool)
    monkeypatch.setattr(keystore, "create_org_pki", lambda *a, **k: cached_pki)
    monkeypatch.setattr(personal, "generate_personal_key", lambda: next(keys))
    app.config["SIGNING"] = "pades"
    app.extensions.pop("attest.hooks", None)  # chosen on first use from SIGNING
    return app


@pytest.fixture
def signed_people(app, signing, runner):
    """The organisation with its PKI (attest keys init) and one person per role, with keys."""
    with app.app_context():
        org = factories.organisation()
    assert runner.invoke(args=["keys", "init", "--org", "EÅV"]).exit_code == 0
    with app.app_context():
        return factories.people(org)
