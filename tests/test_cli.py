import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from attest import db
from attest.orgs.models import Organisation
from attest.users.models import User
from attest.users.operations import authenticate
from tests.support import factories
from tests.support.servers import Server

ORG_ARGS = [
    "org",
    "add",
    "--code",
    "EÅV",
    "--name",
    "Enskede-Årsta-Vantörs stadsdelsförvaltning",
    "--board",
    "Enskede-Årsta-Vantörs stadsdelsnämnd",
    "--address",
    "Box 81\\n121 22 Johanneshov",
]


def _count(app, model):
    with app.app_context():
        return db.session().scalar(sa.select(sa.func.count()).select_from(model))


def test_org_add(app, runner):
    result = runner.invoke(args=ORG_ARGS)
    assert result.exit_code == 0, result.output
    with app.app_context():
        org = db.session().scalar(sa.select(Organisation))
        assert (org.code, org.postal_address) == ("EÅV", "Box 81\n121 22 Johanneshov")


def test_org_add_twice_is_refused_with_status_2(app, runner):
    runner.invoke(args=ORG_ARGS)
    result = runner.invoke(args=ORG_ARGS)
    assert result.exit_code == 2 and "finns redan" in result.output
    assert _count(app, Organisation) == 1


def test_user_add_reads_password_from_stdin(app, runner):
    runner.invoke(args=ORG_ARGS)
    result = runner.invoke(
        args=[
            "user",
            "add",
            "jenny",
            "--name",
            "Jenny Johansson",
            "--title",
            "Avdelningschef",
            "--role",
            "avdelningschef",
            "--role",
            "Registrator",
            "--org",
            "EÅV",
            "--email",
            "jenny@example.se",
            "--password-stdin",
        ],
        input="ett långt lösenord\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = authenticate("jenny", "ett långt lösenord")
        assert user is not None and user.role_codes == {"avdelningschef", "registrator"}
        assert user.password_hash.startswith("$argon2id$")


def test_user_add_without_a_password_prints_an_enrolment_link_once(app, runner):
    runner.invoke(args=ORG_ARGS)
    result = runner.invoke(
        args=[
            "user",
            "add",
            "anders",
            "--name",
            "Anders Carstorp",
            "--role",
            "stadsdelsdirektör",
            "--org",
            "EÅV",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Ingen e-postadress" in result.output
    link = result.output.strip().splitlines()[-1]
    assert link.startswith("http://127.0.0.1:5000/aktivera/")
    with app.app_context():
        user = db.session().scalar(sa.select(User).where(User.username == "anders"))
        assert user.password_hash is None and not user.own_password


def test_user_add_unknown_org_or_role_or_short_password_writes_nothing(app, runner):
    runner.invoke(args=ORG_ARGS)
    base = ["user", "add", "x", "--name", "X", "--password-stdin"]
    cases = [
        (base + ["--role", "avdelningschef", "--org", "NOPE"], "Okänd organisation"),
        (base + ["--role", "chef", "--org", "EÅV"], "Okänd roll"),
        (base + ["--role", "avdelningschef", "--org", "EÅV"], "minst 12 tecken"),
    ]
    for args, message in cases:
        result = runner.invoke(args=args, input="kort\n")
        assert result.exit_code == 2, result.output
        assert message in result.output
    # The password rules hold for a password an administrator pipes in, too.
    ok = base + ["--role", "avdelningschef", "--org", "EÅV"]
    for password, message in (("password1234", "vanligaste"), ("xxxxxxxxxxxxxx", "upprepningar")):
        result = runner.invoke(args=ok, input=f"{password}\n")
        assert result.exit_code == 2 and message in result.output, result.output
    assert _count(app, User) == 0


def test_names_the_pdf_cannot_print_are_refused_and_nothing_written(app, runner):
    result = runner.invoke(args=[*ORG_ARGS[:3], "X", "--name", "Förvaltning 中", *ORG_ARGS[6:]])
    assert result.exit_code == 2 and "”中” (U+4E2D) kan inte skrivas ut" in result.output
    runner.invoke(args=ORG_ARGS)
    base = ["user", "add", "x", "--role", "avdelningschef", "--org", "EÅV", "--password-stdin"]
    for option, value in (("--name", "Li 李"), ("--title", "Chef ⵣ")):
        extra = [] if option == "--name" else ["--name", "Agnieszka Wiśniewska"]
        result = runner.invoke(args=[*base, option, value, *extra], input="ett långt lösenord\n")
        assert result.exit_code == 2 and "kan inte skrivas ut i PDF:en" in result.output
    assert _count(app, User) == 0 and _count(app, Organisation) == 1
    result = runner.invoke(
        args=[*base, "--name", "Agnieszka Wiśniewska", "--title", "Yıldız"],
        input="ett långt lösenord\n",
    )
    assert result.exit_code == 0, result.output


def test_user_deactivate(app, runner):
    runner.invoke(args=ORG_ARGS)
    runner.invoke(
        args=[
            "user",
            "add",
            "x",
            "--name",
            "X",
            "--role",
            "registrator",
            "--org",
            "EÅV",
            "--password-stdin",
        ],
        input="ett långt lösenord\n",
    )
    assert runner.invoke(args=["user", "deactivate", "x"]).exit_code == 0
    with app.app_context():
        assert authenticate("x", "ett långt lösenord") is None
    assert runner.invoke(args=["user", "deactivate", "nobody"]).exit_code == 2


def test_demo_is_idempotent(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    for name in (
        "Evelyn Garate Ormazabal",
        "Jenny Johansson",
        "Anders Carstorp",
        "attest-demo-2024",
    ):
        assert name in first.output
    users = _count(app, User)
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and second.output == first.output
    assert _count(app, User) == users == 5
    with app.app_context():
        for username in ("evelyn", "jenny", "anders", "karin", "admin"):
            assert authenticate(username, "attest-demo-2024") is not None


@pytest.mark.system
@pytest.mark.once  # its own instance on SQLite, whichever pass runs it
def test_serve_answers_on_the_login_page(tmp_path):
    """`attest serve` really serves: start it, fetch the login page, stop it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
    env["ATTEST_INSTANCE_PATH"] = str(tmp_path / "instance")
    env["ATTEST_KEYS_DIR"] = str(tmp_path / "keys")
    assert _attest("init", env=env).returncode == 0
    with Server(env, tmp_path / "server.log", prod=False) as server:
        with urllib.request.urlopen(f"{server.url}/auth/login", timeout=10) as response:
            html = response.read().decode()
    assert "Användarnamn" in html and "Logga in" in html


def _attest(*args, env, input=None):
    script = Path(sys.executable).parent / "attest"
    return subprocess.run(
        [str(script), *args], env=env, input=input, capture_output=True, text=True, timeout=120
    )


@pytest.mark.system
@pytest.mark.once  # its own instance on SQLite, whichever pass runs it
def test_console_script_from_nothing_to_demo(tmp_path):
    """What `make run` does: a fresh instance folder, init, demo; then init again."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}
    env["ATTEST_INSTANCE_PATH"] = str(tmp_path / "instance")
    env["ATTEST_KEYS_DIR"] = str(tmp_path / "keys")
    env["ATTEST_KEY_KDF_ROUNDS"] = "1000"
    env["ATTEST_ARGON2_TIME_COST"] = "1"
    env["ATTEST_ARGON2_MEMORY_COST"] = "1024"
    init = _attest("init", env=env)
    assert init.returncode == 0, init.stderr
    assert (tmp_path / "instance" / "attest.cfg").exists()
    assert (tmp_path / "instance" / "attest.sqlite").exists()
    demo = _attest("demo", env=env)
    assert demo.returncode == 0, demo.stderr
    assert "evelyn" in demo.stdout
    again = _attest("init", env=env)
    assert again.returncode == 0 and "Skapade" not in again.stdout
    flask = subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--app", "attest", "user", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert flask.returncode == 0 and "add" in flask.stdout


def test_keys_init_makes_the_organisations_keys_and_publishes_the_ca(app, signing, runner):
    """`attest keys init --org X`: the CA, seal and TSA in encrypted files, the CA published,
    the event in the audit log."""
    from attest.attestation import keystore
    from attest.audit.models import AuditEvent

    with app.app_context():
        org = factories.organisation("FAR", name="Farsta stadsdelsförvaltning")
    result = runner.invoke(args=["keys", "init", "--org", "FAR"])
    assert result.exit_code == 0, result.output
    assert "krypterade" in result.output and "FAR-ca.pem" in result.output
    with app.app_context():
        assert keystore.has_pki(org) and keystore.ca_path("FAR").exists()
        events = db.session().scalars(sa.select(AuditEvent.event)).all()
        assert "organisation:keys:created" in events
