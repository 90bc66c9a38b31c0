"""The JSON API: tokens and scopes, the memo resources, problem details, the audit."""

from __future__ import annotations

import base64
import json
import re

import pytest
import sqlalchemy as sa

from attest import db
from attest.api.tokens import SCOPES, revoke_token
from attest.audit.models import AuditEvent
from attest.memos.models import Memo
from attest.orgs.operations import get_organisation
from attest.users.operations import get_user
from attest.workflow import worklists
from attest.workflow.operations import submit_memo
from tests.support import factories
from tests.support.api import ApiClient, bilaga, draft, make_token


@pytest.fixture
def token(app, people) -> str:
    return make_token(app)


@pytest.fixture
def api(client, token) -> ApiClient:
    return ApiClient(client, token)


def _create(api, people, **fields):
    response = api.post("/api/v1/memos/", draft(people.handlaggare.username, **fields))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_draft_with_a_bilaga_is_hers_and_among_her_memos(app, api, people):
    memo = _create(
        api,
        people,
        sammanfattning="Läxhjälpen kostar 200 000 kronor.",
        subsections=[{"title": "Jämställdhetsanalys", "text": "Text."}],
        bilagor=[bilaga("Budget.pdf", pages=2, title="Budget för läxhjälpen")],
    )
    assert memo["state"] == "utkast" and memo["version"] == 1
    assert memo["author"]["username"] == people.handlaggare.username
    assert memo["dnr"] == "EÅV 2024/1" and memo["diarium_dnr"] is None
    assert [(b["title"], b["page_count"], b["filename"]) for b in memo["bilagor"]] == [
        ("Budget för läxhjälpen", 2, "Budget.pdf")
    ]
    assert memo["subsections"] == [{"title": "Jämställdhetsanalys", "text": "Text."}]
    assert memo["links"]["frozen_pdf"] is None
    with app.app_context():
        author = get_user(people.handlaggare.username)
        assert [m.id for m in worklists.my_memos(author).items] == [memo["id"]]
    read = api.get(f"/api/v1/memos/{memo['id']}").get_json()
    assert read["sammanfattning"] == "Läxhjälpen kostar 200 000 kronor."


def test_the_author_must_be_a_handlaggare_of_the_tokens_organisation(app, api, people):
    with app.app_context():
        other = factories.organisation("SÖ", name="Södermalm")
        factories.user(other, "handlaggare", username="hl-so")
    for username in ("hl-so", "nobody", people.avdelningschef.username):
        response = api.post("/api/v1/memos/", draft(username))
        assert response.status_code in (400, 403), username
        assert response.content_type == "application/problem+json"
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(Memo)) == 0


def test_an_update_is_a_new_version_and_a_stale_one_is_refused(app, api, people):
    memo = _create(api, people, bilagor=[bilaga("a.pdf"), bilaga("b.pdf")])
    first, second = (b["id"] for b in memo["bilagor"])
    body = {
        "rubrik": "Ny rubrik",
        "lock_version": memo["lock_version"],
        "remove_bilagor": [first],
        "bilagor": [bilaga("c.pdf")],
    }
    updated = api.put(f"/api/v1/memos/{memo['id']}", body)
    assert updated.status_code == 200, updated.get_json()
    data = updated.get_json()
    assert data["version"] == 2 and data["rubrik"] == "Ny rubrik"
    assert [b["filename"] for b in data["bilagor"]] == ["b.pdf", "c.pdf"]
    stale = api.put(f"/api/v1/memos/{memo['id']}", {**body, "bilagor": []})
    assert stale.status_code == 409
    assert api.get(f"/api/v1/memos/{memo['id']}").get_json()["version"] == 2
    unknown = {**body, "lock_version": data["lock_version"], "remove_bilagor": [first]}
    assert api.put(f"/api/v1/memos/{memo['id']}", unknown).status_code == 400


def test_a_sent_memo_cannot_be_updated_nor_given_a_dnr(app, api, people):
    # What the memo type requires before sending.
    memo = _create(
        api, people, forslag_till_beslut="Nämnden godkänner avtalet.", meeting_date="2024-09-19"
    )
    with app.app_context():
        submit_memo(db.session().get(Memo, memo["id"]), get_user(people.handlaggare.username))
        db.session().commit()
    fresh = api.get(f"/api/v1/memos/{memo['id']}").get_json()
    body = {"rubrik": "x", "lock_version": fresh["lock_version"]}
    assert api.put(f"/api/v1/memos/{memo['id']}", body).status_code == 409
    dnr = {"diarium_dnr": "EÅV 2024/99", "lock_version": fresh["lock_version"]}
    assert api.put(f"/api/v1/memos/{memo['id']}/dnr", dnr).status_code == 409
    state = api.get(f"/api/v1/memos/{memo['id']}/state").get_json()
    assert state["state"] == "attest" and state["state_title"] == "Hos avdelningschef"
    assert state["submission"]["current_step"] == 1
    route = api.get(f"/api/v1/memos/{memo['id']}/route").get_json()
    assert not route["planned"]
    assert [s["role"] for s in route["steps"]] == ["avdelningschef", "stadsdelsdirektor"]
    history = api.get(f"/api/v1/memos/{memo['id']}/history").get_json()["items"]
    assert [h["action"] for h in history] == ["skicka"]
    frozen = api.get(f"/api/v1/memos/{memo['id']}/frozen.pdf")
    assert frozen.status_code == 200 and frozen.data.startswith(b"%PDF-")
    assert api.get(f"/api/v1/memos/{memo['id']}/attested.pdf").status_code == 404


def test_the_diarium_dnr_is_unique_in_the_organisation_and_printed(app, api, people):
    first, second = _create(api, people), _create(api, people)
    url = f"/api/v1/memos/{first['id']}/dnr"
    set_ = api.put(url, {"diarium_dnr": "EÅV 2024/1234", "lock_version": first["lock_version"]})
    assert set_.status_code == 200 and set_.get_json()["diarium_dnr"] == "EÅV 2024/1234"
    taken = api.put(
        f"/api/v1/memos/{second['id']}/dnr",
        {"diarium_dnr": "EÅV 2024/1234", "lock_version": second["lock_version"]},
    )
    assert taken.status_code == 409
    for bad in ("", "   ", "<script>", "x" * 41, "ingen siffra"):
        response = api.put(url, {"diarium_dnr": bad, "lock_version": 99})
        assert response.status_code in (400, 409, 422), bad
    found = api.get("/api/v1/memos/", query_string={"dnr": "EÅV 2024/1234"}).get_json()
    assert [m["id"] for m in found["items"]] == [first["id"]]
    with app.app_context():
        from attest.memos.rendering import document_for

        memo = db.session().get(Memo, first["id"])
        assert document_for(memo, memo.latest_version, steps=(), date=None).dnr == "EÅV 2024/1234"


def test_the_list_filters_and_pages_with_a_cursor(app, api, people):
    made = [_create(api, people, rubrik=f"Ärende {n}")["id"] for n in range(5)]
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/v1/memos/", query_string=query).get_json()
        seen += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made
    assert api.get("/api/v1/memos/", query_string={"state": "attest"}).get_json()["items"] == []
    mine = api.get("/api/v1/memos/", query_string={"author": people.handlaggare.username})
    assert len(mine.get_json()["items"]) == 5
    bad = api.get("/api/v1/memos/", query_string={"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and bad.content_type == "application/problem+json"


def test_scopes_are_enforced_and_a_revoked_token_refused(app, client, people):
    reader = ApiClient(client, make_token(app, name="läsare", scopes=["memos:read"]))
    assert reader.get("/api/v1/memos/").status_code == 200
    refused = reader.post("/api/v1/memos/", draft(people.handlaggare.username))
    assert refused.status_code == 403
    assert "memos:write" in refused.get_json()["detail"]
    with app.app_context():
        revoke_token(get_organisation("EÅV"), "läsare")
        db.session().commit()
    gone = reader.get("/api/v1/memos/")
    assert gone.status_code == 401 and gone.headers["WWW-Authenticate"].startswith("Bearer")
    for header in ({}, {"Authorization": "Bearer attest_made-up"}, {"Authorization": "Basic x"}):
        response = client.get("/api/v1/memos/", headers=header)
        assert response.status_code == 401, header


def test_another_organisations_memo_is_not_found(app, api, client, people):
    theirs = _create(api, people)["id"]
    with app.app_context():
        other = factories.organisation("SÖ", name="Södermalms stadsdelsförvaltning")
        factories.user(other, "handlaggare", username="hl-so")
    stranger = ApiClient(client, make_token(app, org_code="SÖ"))
    for path in ("", "/state", "/route", "/history", "/frozen.pdf", "/verification"):
        response = stranger.get(f"/api/v1/memos/{theirs}{path}")
        assert response.status_code == 404, path
        assert "Rågsved" not in response.get_data(as_text=True)
    assert (
        stranger.put(f"/api/v1/memos/{theirs}", {"rubrik": "x", "lock_version": 1}).status_code
        == 404
    )
    assert stranger.get("/api/v1/memos/").get_json()["items"] == []


def test_problems_are_swedish_and_english_on_request(app, client, token, people):
    swedish = ApiClient(client, token).post("/api/v1/memos/", {"author": "x"})
    english = ApiClient(client, token, "en").post("/api/v1/memos/", {"author": "x"})
    for response in (swedish, english):
        assert response.status_code == 422
        assert response.content_type == "application/problem+json"
        assert response.get_json()["status"] == 422
        assert "rubrik" in response.get_json()["errors"]
    assert swedish.get_json()["errors"]["rubrik"] == ["Fältet måste anges."]
    assert english.get_json()["errors"]["rubrik"] == ["The field is required."]
    assert swedish.get_json()["title"] == "Felaktiga uppgifter"
    assert english.get_json()["title"] == "Invalid data"
    assert english.headers["Content-Language"] == "en"
    missing = ApiClient(client, token, "en").get("/api/v1/memos/999")
    assert missing.get_json()["detail"] == "The memo does not exist."


def test_bad_bilagor_are_refused_with_the_reason(app, api, people):
    not_base64 = {"filename": "x.pdf", "content": "***"}
    not_pdf = {"filename": "x.pdf", "content": base64.b64encode(b"hello").decode()}
    for item in (not_base64, not_pdf):
        response = api.post("/api/v1/memos/", draft(people.handlaggare.username, bilagor=[item]))
        assert response.status_code == 400, response.get_json()
        assert "x.pdf" in response.get_json()["detail"]
    unknown = api.post("/api/v1/memos/", draft(people.handlaggare.username, extra=1))
    assert unknown.status_code == 422 and unknown.get_json()["errors"] == {"extra": ["Okänt fält."]}
    raw = api.client.post(
        "/api/v1/memos/",
        data="{not json",
        headers={**api.headers(), "Content-Type": "application/json"},
    )
    assert raw.status_code in (400, 422) and raw.content_type == "application/problem+json"


def test_every_use_of_a_token_is_audited(app, api, client, people):
    api.get("/api/v1/memos/")
    api.get("/api/v1/memos/12345")
    ApiClient(client, "attest_nothing").get("/api/v1/memos/")  # unknown: nothing to name
    with app.app_context():
        events = (
            db.session()
            .scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.event == "api:token:used")
                .order_by(AuditEvent.seq)
            )
            .all()
        )
        used = [json.loads(e.data) for e in events]
    assert [(u["method"], u["path"], u["status"]) for u in used] == [
        ("GET", "/api/v1/memos/", 200),
        ("GET", "/api/v1/memos/12345", 404),
    ]
    assert {u["name"] for u in used} == {"diariet"}


def test_no_token_can_attest(app):
    """Only people attest: no scope allows it, and no API route takes a workflow action."""
    assert set(SCOPES) == {"memos:read", "memos:write"}
    api_rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/")]
    assert api_rules
    for rule in api_rules:
        words = ("attestera", "skicka", "returnera", "aterkalla", "withdraw", "sign")
        assert not any(word in rule.rule for word in words), rule.rule


def test_the_openapi_document_is_3_1_and_its_page_lists_every_operation(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    assert spec["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    operations = [
        (m.upper(), p) for p, item in spec["paths"].items() for m in item if m != "parameters"
    ]
    assert len(operations) == 11
    page = client.get("/api/v1/docs").get_data(as_text=True)
    for method, path in operations:
        assert f"<code>{method} {path}</code>" in page
    # No script of its own: only attest.js, every page's (it labels table cells on a phone).
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/attest.js" defer>']
