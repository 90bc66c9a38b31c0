"""attest token create|revoke|list and attest webhook add|list|remove."""

from __future__ import annotations

import pytest

from tests.support.api import ApiClient


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WEBHOOK_ALLOW_PRIVATE": True}


def test_a_token_is_printed_once_works_and_is_revoked(app, runner, client, people):
    made = runner.invoke(
        args=["token", "create", "--org", "EÅV", "--name", "diariet", "--scope", "memos:read"]
    )
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("attest_")
    assert ApiClient(client, secret).get("/api/v1/memos/").status_code == 200
    listed = runner.invoke(args=["token", "list", "--org", "EÅV"])
    assert "diariet" in listed.output and secret not in listed.output
    again = runner.invoke(
        args=["token", "create", "--org", "EÅV", "--name", "diariet", "--scope", "memos:read"]
    )
    assert again.exit_code == 2 and "finns redan" in again.output
    assert (
        runner.invoke(args=["token", "revoke", "--org", "EÅV", "--name", "diariet"]).exit_code == 0
    )
    assert ApiClient(client, secret).get("/api/v1/memos/").status_code == 401
    bad = runner.invoke(
        args=["token", "create", "--org", "EÅV", "--name", "x", "--scope", "memos:attest"]
    )
    assert bad.exit_code == 2 and "Okänd behörighet" in bad.output


def test_a_webhook_is_added_with_its_secret_listed_and_removed(app, runner, people):
    added = runner.invoke(
        args=[
            "webhook",
            "add",
            "--org",
            "EÅV",
            "--url",
            "http://127.0.0.1:9/h",
            "--event",
            "memo.attested",
        ]
    )
    assert added.exit_code == 0, added.output
    assert added.stdout.strip().splitlines()[-1].startswith("whsec_")
    listed = runner.invoke(args=["webhook", "list", "--org", "EÅV"])
    assert "http://127.0.0.1:9/h\tmemo.attested" in listed.output
    endpoint_id = listed.output.split("\t")[0]
    removed = runner.invoke(args=["webhook", "remove", "--org", "EÅV", "--id", endpoint_id])
    assert removed.exit_code == 0
    assert runner.invoke(args=["webhook", "list", "--org", "EÅV"]).output == ""
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    refused = runner.invoke(
        args=[
            "webhook",
            "add",
            "--org",
            "EÅV",
            "--url",
            "http://127.0.0.1:9/h",
            "--event",
            "memo.sent",
        ]
    )
    assert refused.exit_code == 2 and "https://" in refused.output


def test_the_worker_once_delivers_and_says_what(app, runner, people):
    done = runner.invoke(args=["worker", "--once"])
    assert done.exit_code == 0, done.output
    assert "0 e-post, 0 webhooks levererade" in done.output
