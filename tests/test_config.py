import logging
import os
import stat

import pytest

from attest import config, create_app
from attest.config import ConfigError

pytestmark = pytest.mark.once  # uses no database: the SQLite pass runs it


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


# Settings Flask or its extensions define, set to a fixed value here; not for operators.
_NOT_OPERATOR_SETTINGS = {
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_NAME",
    "WTF_CSRF_TIME_LIMIT",
    "MAX_CONTENT_LENGTH",
}
SECRETS = {
    "SECRET_KEY",
    "KEY_PASSPHRASE",
    "TSA_PASSWORD",
    "MAIL_PASSWORD",
    "OIDC_CLIENT_SECRET",
    "SIGNSERVICE_SP_KEY_PASSWORD",
}


def _readme_settings() -> dict[str, str]:
    """The README's configuration table: setting name -> its row ("_X" is "ATTEST_X")."""
    import re
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    settings = {}
    for row in table.splitlines():
        if row.startswith("| `ATTEST_"):
            first_cell = row.split("|")[1]
            for name in re.findall(r"`(ATTEST)?(_[A-Z0-9_]+)`", first_cell):
                settings[name[1].lstrip("_")] = row
    return settings


def test_every_setting_is_in_the_readme_with_its_default_and_secrets_marked():
    documented = _readme_settings()
    missing = set(config.DEFAULTS) - _NOT_OPERATOR_SETTINGS - set(documented)
    assert not missing, f"settings missing from the README's table: {sorted(missing)}"
    for name in SECRETS:
        row = documented[name]
        assert "secret" in row, f"{name} is not marked as a secret in the README"
    for name, value in config.DEFAULTS.items():
        if name in documented and isinstance(value, int) and not isinstance(value, bool):
            shown = [str(value), f"{value:,}".replace(",", " ")]
            if value % (1024 * 1024) == 0:
                shown.append(f"{value // (1024 * 1024)} MB")
            assert any(s in documented[name] for s in shown), f"{name}'s default {value}"
