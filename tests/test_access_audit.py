"""Refused access leaves a trace: a 403 or 404 on someone else's memo, version, bilaga or
page is an audit event (who, what, from where), and every access log line names the user."""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa

from attest import db
from attest.audit.models import AuditEvent
from attest.serving.logs import JsonFormatter
from attest.users import roles
from tests.support import factories

REFUSED = "access:refused"


def _refusals(app) -> list[tuple[int | None, str, dict]]:
    with app.app_context():
        query = sa.select(AuditEvent).where(AuditEvent.event == REFUSED).order_by(AuditEvent.seq)
        return [(e.actor_id, e.address, json.loads(e.data)) for e in db.session().scalars(query)]


def _memo_of_another_organisation(app) -> tuple[int, int]:
    """A draft with a bilaga in Södermalm: (memo id, bilaga id)."""
    from attest.memos.bilagor import check_pdf

    with app.app_context():
        org = factories.organisation("SÖ", name="Södermalms stadsdelsförvaltning")
        author = factories.user(org, roles.HANDLAGGARE, username="sara")
        memo = factories.memo(author, uploads=[check_pdf("b.pdf", factories.pdf_bytes())])
        return memo.id, memo.versions[0].attachments[0].id


def test_another_organisations_memo_is_404_and_recorded(app, auth, people, client):
    memo_id, bilaga_id = _memo_of_another_organisation(app)
    auth.login(people.avdelningschef.username)
    urls = [
        f"/memos/{memo_id}",
        f"/memos/{memo_id}/pdf",
        f"/memos/{memo_id}/versions/1",
        f"/memos/{memo_id}/bilagor/{bilaga_id}",
    ]
    for url in urls:
        assert client.get(url, environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 404
    refusals = _refusals(app)
    assert [data["path"] for _, _, data in refusals] == urls
    for actor, address, data in refusals:
        assert actor == people.avdelningschef.id and address == "10.1.2.3"
        assert data["status"] == 404 and data["memo"] == memo_id and data["method"] == "GET"


def test_a_forbidden_page_or_action_is_403_and_recorded(app, auth, people, client):
    auth.login(people.registrator.username)
    assert client.get("/memos/new").status_code == 403
    assert client.get("/utkorg").status_code == 403
    [(actor, _, first), (_, _, second)] = _refusals(app)
    assert actor == people.registrator.id
    assert (first["path"], first["status"]) == ("/memos/new", 403)
    assert (second["path"], second["status"]) == ("/utkorg", 403)


def test_an_unknown_address_or_a_visitor_not_logged_in_is_not_an_event(app, auth, people, client):
    assert client.get("/memos/1").status_code == 302  # to the login page
    auth.login(people.handlaggare.username)
    assert client.get("/finns-inte").status_code == 404  # no page: nobody's object
    assert _refusals(app) == []


def test_the_access_log_line_carries_the_user_id(app, auth, people, client, caplog):
    auth.login(people.handlaggare.username)
    with caplog.at_level(logging.INFO, logger="attest.access"):
        client.get("/")
        client.get("/memos/999999")
    lines = [
        json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "attest.access"
    ]
    assert [(line["path"], line["status"], line["user_id"]) for line in lines] == [
        ("/", 200, people.handlaggare.id),
        ("/memos/999999", 404, people.handlaggare.id),
    ]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="attest.access"):
        app.test_client().get("/auth/login")
    [record] = [r for r in caplog.records if r.name == "attest.access"]
    assert json.loads(JsonFormatter().format(record))["user_id"] is None
