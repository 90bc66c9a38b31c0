"""Production serving: gunicorn, /healthz, JSON logs with request ids, blobs in a directory."""

import json
import logging
import os
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from attest import blobs, create_app, db
from attest.blobs import Blob, DirectoryBlobStore
from attest.serving.logs import JsonFormatter
from tests.support import factories
from tests.support.database import POSTGRES_URL
from tests.support.servers import ATTEST, Server


def test_healthz_ok(client, org):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "keys": "ok"}}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_reports_an_unreachable_database_as_503(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTEST_INSTANCE_PATH", str(tmp_path))
    app = create_app({"SECRET_KEY": "k", "DATABASE_URL": f"sqlite:///{tmp_path}/no/such/dir/x.db"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["checks"]["database"] == "fel"


def test_healthz_reports_unloadable_keys_as_503(app, app_config, tmp_path, monkeypatch):
    from attest.attestation import keystore

    app.config["SIGNING"] = "pades"
    with app.app_context():
        org = factories.organisation()
        keystore.init_org_keys(org)
    app.config["KEY_PASSPHRASE"] = "not the passphrase"
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["checks"]["keys"] == "fel"


def test_every_response_carries_a_request_id_and_logs_it_as_json(client, caplog):
    with caplog.at_level(logging.INFO, logger="attest.access"):
        given = client.get("/auth/login", headers={"X-Request-Id": "abc-123"})
        made = client.get("/auth/login", headers={"X-Request-Id": "<script>"})
    assert given.headers["X-Request-Id"] == "abc-123"
    assert made.headers["X-Request-Id"] != "<script>" and len(made.headers["X-Request-Id"]) == 16
    record = next(r for r in caplog.records if r.name == "attest.access")
    line = json.loads(JsonFormatter().format(record))
    assert line["path"] == "/auth/login" and line["status"] == 200 and line["method"] == "GET"
    assert "duration_ms" in line


def test_a_request_failing_in_the_first_hooks_still_carries_its_id(
    auth, client, people, monkeypatch
):
    import sqlalchemy as sa

    from attest.auth import sessions

    auth.login(people.handlaggare.username)

    def database_down(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT", {}, ConnectionRefusedError("refused"))

    monkeypatch.setattr(sessions, "find", database_down)  # the session check comes first
    response = client.get("/", headers={"X-Request-Id": "req-42"})
    assert response.status_code == 503
    assert response.headers["X-Request-Id"] == "req-42"


def test_directory_blobs_are_written_atomically_and_checked(app, tmp_path):
    store = DirectoryBlobStore(tmp_path / "blobs")
    with app.app_context():
        sha = store.put(b"%PDF-1.7 innehall")
        assert store.put(b"%PDF-1.7 innehall") == sha
        db.session().commit()
        path = tmp_path / "blobs" / sha[:2] / sha
        assert path.read_bytes() == b"%PDF-1.7 innehall"
        assert db.session().get(Blob, sha).data == b""  # the row is the reference, not the bytes
        assert store.get(sha) == b"%PDF-1.7 innehall"
        assert not list((tmp_path / "blobs").rglob(".tmp-*"))
        path.write_bytes(b"%PDF-1.7 ANDRAT")
        with pytest.raises(OSError, match="damaged"):
            store.get(sha)


def test_memos_and_pdfs_work_with_blobs_in_a_directory(app, people, auth, client, tmp_path):
    app.config["BLOB_DIR"] = str(tmp_path / "blobs")
    app.extensions.pop("attest.blobs", None)
    with app.app_context():
        from attest.memos.bilagor import check_pdf
        from attest.users.operations import get_user

        author = get_user(people.handlaggare.username)
        bilaga = check_pdf("bilaga.pdf", factories.pdf_bytes(pages=2, text="Bilagans text"))
        memo = factories.memo(author, uploads=[bilaga])
        memo_id = memo.id
        assert isinstance(blobs.store(), DirectoryBlobStore)
        assert all(b.data == b"" for b in db.session().scalars(sa.select(Blob)))
    auth.login(people.handlaggare.username)
    response = client.get(f"/memos/{memo_id}/pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def _listening_sockets(port: int) -> int:
    """How many TCP sockets listen on the port (/proc/net/tcp: state 0A is LISTEN)."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    fields = [line.split() for line in lines]
    return sum(1 for f in fields if f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port)


@pytest.mark.system
def test_gunicorn_serves_with_several_workers(database_url, tmp_path):
    """`attest serve --prod`: gunicorn workers answer /healthz and the login page (on
    PostgreSQL in the PostgreSQL run)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
    env.update(
        ATTEST_INSTANCE_PATH=str(tmp_path),
        ATTEST_SECRET_KEY="serving-test",
        ATTEST_DATABASE_URL=database_url,
        ATTEST_SIGNING="record-only",
    )
    with Server(env, tmp_path / "server.log", workers=2) as server:
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as r:
            health = json.loads(r.read())
            request_id = r.headers["X-Request-Id"]
        assert health["status"] == "ok" and request_id
        with urllib.request.urlopen(f"{server.url}/auth/login", timeout=5) as r:
            assert "Logga in" in r.read().decode()
        # Each worker listens on a socket of its own, and the kernel spreads connections
        # over them; on one shared socket the first worker awake took most of them.
        deadline = time.monotonic() + 30  # the second worker may still be booting
        while _listening_sockets(server.port) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _listening_sockets(server.port) == 2
    output = server.output(tail=None)
    assert "Booting worker" in output and output.count("Booting worker") >= 2
    # The app was made once, in the master, before it forked the workers (--preload): its
    # start-up warning (record-only signing) is logged once, not once per worker.
    started = [line for line in output.splitlines() if '"logger": "attest.workflow.hooks"' in line]
    assert len(started) == 1, output
    assert output.index(started[0]) < output.index("Booting worker"), output
    if POSTGRES_URL:
        assert database_url.startswith("postgresql")


@pytest.mark.once  # a fresh interpreter, no database
def test_the_app_starts_without_loading_saml_or_oidc_libraries_it_is_not_configured_for():
    """Every gunicorn worker and `attest` command creates the app: pysaml2 (which reads its
    XML schemas at import) and Authlib are loaded only where SAML or OIDC is configured."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from attest import create_app\n"
        "create_app({'SECRET_KEY': 'x', 'DATABASE_URL': 'sqlite://'})\n"
        "print(sorted(m for m in ('saml2', 'authlib') if m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert out.strip() == "[]"


def test_a_forked_worker_never_uses_a_connection_its_parent_opened(database_url):
    """gunicorn forks its workers from a master that loaded the app: a pooled connection
    of the parent is the parent's alone (a socket used by two processes mixes their
    queries); the child opens its own."""
    engine = db.make_engine(database_url)
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
    assert engine.pool.checkedin() == 1
    pid = os.fork()
    if pid == 0:  # the child: nothing pooled; a query of its own works
        try:
            empty = engine.pool.checkedin() == 0
            with engine.connect() as connection:
                works = connection.execute(sa.text("SELECT 1")).scalar() == 1
            os._exit(0 if empty and works else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert engine.pool.checkedin() == 1  # the parent's connection is still there, and works
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT 1")).scalar() == 1
    engine.dispose()


@pytest.mark.system
@pytest.mark.once  # a subprocess that stops before any database
def test_serve_prod_refuses_a_bad_configuration_before_gunicorn_starts(tmp_path):
    """`attest serve --prod` checks the configuration itself (gunicorn's master then loads
    the app): a bad setting is one clear line in Swedish and exit 2, and nothing serves."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
    env.update(ATTEST_INSTANCE_PATH=str(tmp_path), ATTEST_SECRET_KEY="x", ATTEST_SIGNING="bogus")
    done = subprocess.run(
        [str(ATTEST), "serve", "--prod", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Fel i konfigurationen: SIGNING måste vara 'pades' eller 'record-only'." in done.stderr
    assert "Traceback" not in done.stderr and "gunicorn" not in done.stdout + done.stderr
