"""What attest writes to disk is readable by its own account only: the instance folder, the
SQLite database and its -wal/-shm files, the blob folder and its files; `attest init`
tightens an installation made before this was so."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from attest import blobs, create_app, db
from attest.cli import init_command
from tests.support.database import FAST_HASHING


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    """A umask that lets anyone read what is created (what many servers run with)."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def _config(instance: Path, **more) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "KEY_PASSPHRASE": "test-key-passphrase",
        "SIGNING": "record-only",
        **FAST_HASHING,
        **more,
    }


def test_a_new_instance_its_database_and_blobs_are_private(tmp_path, monkeypatch, loose_umask):
    instance = tmp_path / "instance"
    blob_dir = tmp_path / "blobs"
    monkeypatch.setenv("ATTEST_INSTANCE_PATH", str(instance))
    app = create_app(_config(instance, BLOB_DIR=str(blob_dir)))
    from attest import migrate

    with app.app_context():
        migrate.upgrade(app)
        sha = blobs.store().put(b"%PDF-1.4 en bilaga")
        db.session().commit()
    database = instance / "attest.sqlite"
    assert mode(instance) == 0o700
    assert mode(database) == 0o600
    for suffix in ("-wal", "-shm"):
        journal = Path(f"{database}{suffix}")
        assert journal.exists() and mode(journal) == 0o600, suffix
    assert mode(blob_dir) == 0o700
    assert mode(blob_dir / sha[:2]) == 0o700
    assert mode(blob_dir / sha[:2] / sha) == 0o600
    db.engine_of(app).dispose()


def test_attest_init_tightens_an_existing_installation(tmp_path, monkeypatch, loose_umask):
    instance = tmp_path / "instance"
    blob_dir = tmp_path / "blobs"
    env = {
        "ATTEST_INSTANCE_PATH": str(instance),
        "ATTEST_BLOB_DIR": str(blob_dir),
        "ATTEST_KEYS_DIR": str(tmp_path / "keys"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    assert runner.invoke(init_command).exit_code == 0
    # As an older attest (or a careless copy) left it: readable by everyone.
    (blob_dir / "ab").mkdir(parents=True)
    (blob_dir / "ab" / ("ab" + "0" * 62)).write_bytes(b"data")
    database = instance / "attest.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").touch()  # there while the database is in use
    for path in (instance, blob_dir, blob_dir / "ab"):
        os.chmod(path, 0o755)
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        os.chmod(path, 0o644)
    os.chmod(blob_dir / "ab" / ("ab" + "0" * 62), 0o644)

    result = runner.invoke(init_command)
    assert result.exit_code == 0, result.output
    assert mode(instance) == 0o700
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        assert mode(path) == 0o600, path
    assert mode(blob_dir) == 0o700 and mode(blob_dir / "ab") == 0o700
    assert mode(blob_dir / "ab" / ("ab" + "0" * 62)) == 0o600
    assert "Behörigheterna" in result.output
