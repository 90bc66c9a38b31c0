import logging
import os
import stat

import pytest

from attest import config, create_app
from attest.config import ConfigError


def test_missing_secret_key_is_refused_at_start(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTEST_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("ATTEST_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="ATTEST_SECRET_KEY"):
        create_app()


def test_environment_overrides_defaults_and_instance_file(tmp_path, monkeypatch):
    (tmp_path / "attest.cfg").write_text("SECRET_KEY = 'from-file'\nPASSWORD_MIN_LENGTH = 14\n")
    monkeypatch.setenv("ATTEST_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("ATTEST_SECRET_KEY", "from-env")
    monkeypatch.setenv("ATTEST_DATABASE_URL", f"sqlite:///{tmp_path}/other.sqlite")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["PASSWORD_MIN_LENGTH"] == 14  # from the file, JSON-typed
    assert app.config["DATABASE_URL"].endswith("other.sqlite")


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTEST_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("ATTEST_DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "k"})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path}/attest.sqlite"


def test_test_config_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTEST_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("ATTEST_SECRET_KEY", "from-env")
    assert create_app({"SECRET_KEY": "from-test"}).config["SECRET_KEY"] == "from-test"


def test_too_short_minimum_password_length_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTEST_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="PASSWORD_MIN_LENGTH"):
        create_app({"SECRET_KEY": "k", "PASSWORD_MIN_LENGTH": 4})


def test_unknown_environment_variable_is_warned_about(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("ATTEST_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("ATTEST_SECRT_KEY", "typo")
    with caplog.at_level(logging.WARNING, logger="attest.config"):
        create_app({"SECRET_KEY": "k"})
    assert "ATTEST_SECRT_KEY" in caplog.text


def test_development_config_is_generated_once_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv("ATTEST_SECRET_KEY", raising=False)
    path = config.write_development_config(tmp_path)
    assert path is not None and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    first = path.read_text()
    assert "SECRET_KEY" in first and "KEY_PASSPHRASE" in first
    assert config.write_development_config(tmp_path) is None
    assert path.read_text() == first
    other = tmp_path / "other"
    assert config.write_development_config(other) is not None
    assert (other / "attest.cfg").read_text() != first  # generated, not a fixed fallback


def test_no_development_config_when_production_sets_the_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTEST_SECRET_KEY", "production-secret")
    assert config.write_development_config(tmp_path) is None
    assert not (tmp_path / "attest.cfg").exists()
