"""The wheel carries what an installed attest needs: every package, templates, migrations."""

import configparser
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.once  # uses no database: the SQLite pass runs it

ROOT = Path(__file__).resolve().parent.parent


def _declared_packages():
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    return set(parser["options"]["packages"].split())


def test_every_package_is_declared():
    found = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "attest").rglob("__init__.py")
    }
    assert found - _declared_packages() == set()


@pytest.mark.slow
@pytest.mark.system
def test_wheel_contains_templates_migrations_and_static(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("attest-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "attest/templates/base.html" in names
    assert "attest/templates/auth/login.html" in names
    assert "attest/migrations/env.py" in names
    assert any(n.startswith("attest/migrations/versions/0001") for n in names)
    assert "attest/static/attest.css" in names
    assert {"attest/pdf/fonts/DejaVuSans.ttf", "attest/pdf/fonts/LICENSE"} <= names
