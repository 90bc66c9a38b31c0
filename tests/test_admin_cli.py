"""The commands that the administrator's pages also offer: user list|edit, role
add|list|rename|remove, substitute add|list|end (tests/test_cli.py has the older ones)."""

from __future__ import annotations

import sqlalchemy as sa

from attest import db
from attest.users.models import Role
from attest.users.operations import get_user
from attest.workflow.models import Substitution


def test_user_list_shows_the_organisations_people_and_their_keys(app, runner, people):
    result = runner.invoke(args=["user", "list", "--org", "EÅV"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 5
    (jenny,) = [line for line in lines if line.startswith("ac-EÅV")]
    assert "Jenny Johansson" in jenny and "avdelningschef" in jenny and "aktiv" in jenny
    found = runner.invoke(args=["user", "list", "--org", "EÅV", "--search", "karin"])
    assert [line.split()[0] for line in found.output.splitlines()] == ["reg-EÅV"]
    assert runner.invoke(args=["user", "list", "--org", "NOPE"]).exit_code == 2


def test_user_edit_changes_details_and_roles(app, runner, people):
    result = runner.invoke(
        args=["user", "edit", "reg-EÅV", "--phone", "08-1", "--role", "registrator,handlaggare"]
    )
    assert result.exit_code == 0, result.output
    assert "är ändrad" in result.output
    with app.app_context():
        person = get_user("reg-EÅV")
        assert person.phone == "08-1"
        assert person.role_codes == {"registrator", "handlaggare"}
    refused = runner.invoke(args=["user", "edit", "reg-EÅV", "--role", "chef"])
    assert refused.exit_code == 2 and "Okänd roll" in refused.output


def test_a_role_is_added_renamed_and_removed(app, runner, people):
    added = runner.invoke(args=["role", "add", "ekonomichef", "--title", "Ekonom", "--org", "EÅV"])
    assert added.exit_code == 0, added.output
    assert "ekonomichef" in runner.invoke(args=["role", "list", "--org", "EÅV"]).output
    renamed = runner.invoke(args=["role", "rename", "ekonomichef", "--title", "Ekonomichef"])
    assert renamed.exit_code == 0 and "heter Ekonomichef" in renamed.output
    runner.invoke(args=["route", "set", "--org", "EÅV", "avdelningschef", "ekonomichef"])
    in_use = runner.invoke(args=["role", "remove", "ekonomichef"])
    assert in_use.exit_code == 2 and "attestordningen" in in_use.output
    runner.invoke(args=["route", "set", "--org", "EÅV", "avdelningschef", "stadsdelsdirektor"])
    removed = runner.invoke(args=["role", "remove", "ekonomichef"])
    assert removed.exit_code == 0, removed.output
    with app.app_context():
        assert db.session().get(Role, "ekonomichef").retired_at is not None
    assert "ekonomichef" not in runner.invoke(args=["role", "list", "--org", "EÅV"]).output


def test_substitutes_are_added_listed_and_ended(app, runner, people):
    old_form = [
        "substitute",
        "sd-EÅV",
        "--role",
        "avdelningschef",
        "--for",
        "ac-EÅV",
        "--from",
        "2024-08-14",
        "--to",
        "2024-08-31",
    ]
    added = runner.invoke(args=old_form)
    assert added.exit_code == 0, added.output
    listed = runner.invoke(args=["substitute", "list", "--org", "EÅV"])
    assert listed.exit_code == 0, listed.output
    (line,) = listed.output.splitlines()
    number = line.split()[0]
    assert "sd-EÅV" in line and "ac-EÅV" in line and "2024-08-14–2024-08-31" in line
    ended = runner.invoke(args=["substitute", "end", number, "--org", "EÅV"])
    assert ended.exit_code == 0, ended.output
    with app.app_context():
        assert db.session().scalars(sa.select(Substitution)).one().ended_at is not None
    again = runner.invoke(args=["substitute", "end", number, "--org", "EÅV"])
    assert again.exit_code == 2 and "redan avslutat" in again.output
    elsewhere = runner.invoke(args=["substitute", "end", number, "--org", "NOPE"])
    assert elsewhere.exit_code == 2
    empty = runner.invoke(args=["substitute", "list", "--org", "EÅV"])
    assert "Inga gällande eller kommande förordnanden." in empty.output
