"""Memo types: an administrator makes them in the browser (title, required sections, route);
a handläggare picks one; a memo lacking a required section is not sent; a sent memo keeps
the route it was sent with."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from attest import blobs, db
from attest.audit.models import AuditEvent
from attest.memos.models import Memo, MemoType
from attest.users.operations import add_role, get_user
from attest.workflow.models import Submission
from tests.support import factories
from tests.support.memos import memo_form, post_form
from tests.support.web import csrf_token

THREE_STEPS = ["avdelningschef", "ekonomichef", "stadsdelsdirektor"]


@pytest.fixture
def ekonomichef(app, org):
    """A role beyond the built-in ones and the person who holds it."""
    with app.app_context():
        add_role("ekonomichef", "Ekonomichef")
        person = factories.user(org, "ekonomichef", username="maria", full_name="Maria Lind")
        db.session().commit()
        return person.username


def _switch(auth, person) -> None:
    auth.logout()
    assert auth.login(person.username).status_code == 302


def _type_form(title: str, steps, required=("meeting_date", "forslag_till_beslut")):
    data: dict = {"title": title, "required": list(required)}
    for n in range(6):
        data[f"steps-{n}"] = steps[n] if n < len(steps) else ""
    return data


def _new_type(auth, title: str, steps, **kwargs):
    return auth.post(
        "/admin/memotyper/ny", _type_form(title, steps, **kwargs), page="/admin/memotyper/"
    )


def _submission_steps(app, memo_id: int) -> list[str]:
    with app.app_context():
        submission = db.session().scalar(
            sa.select(Submission).where(
                Submission.memo_id == memo_id, Submission.status != "voided"
            )
        )
        return [s.role_code for s in submission.steps]


def test_an_administrator_makes_a_type_that_a_handlaggare_picks_and_sends(
    app, auth, people, ekonomichef
):
    auth.login(people.administrator.username)
    page = auth.client.get("/admin/memotyper/").get_data(as_text=True)
    assert "Tjänsteutlåtande" in page and "Ny typ" in page
    response = _new_type(auth, "Delegationsbeslut", THREE_STEPS)
    assert response.status_code == 302
    listing = auth.client.get("/admin/memotyper/").get_data(as_text=True)
    assert "Typen Delegationsbeslut är skapad." in listing
    assert "Ekonomichef" in listing
    with app.app_context():
        event = db.session().scalar(
            sa.select(AuditEvent).where(AuditEvent.event == "memo_type:added")
        )
        assert event is not None and event.actor_id == people.administrator.id
        assert '"steps":["avdelningschef","ekonomichef","stadsdelsdirektor"]' in event.data

    # The handläggare chooses between the two types; one is preselected.
    _switch(auth, people.handlaggare)
    new_page = auth.client.get("/memos/new").get_data(as_text=True)
    assert 'name="memo_type"' in new_page
    assert '<option selected value="tjansteutlatande">' in new_page
    assert '<option value="delegationsbeslut">Delegationsbeslut</option>' in new_page
    response = post_form(
        auth, "/memos/new", memo_form(rubrik="Inköp av läromedel", memo_type="delegationsbeslut")
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    memo_id = int(response.headers["Location"].rsplit("/", 1)[1])
    show = auth.client.get(f"/memos/{memo_id}").get_data(as_text=True)
    assert "Ekonomichef" in show  # the planned route, three steps
    sent = auth.post(f"/memos/{memo_id}/skicka", {"lock_version": "1"}, page=f"/memos/{memo_id}")
    assert sent.status_code == 302, sent.get_data(as_text=True)[:3000]
    assert _submission_steps(app, memo_id) == THREE_STEPS
    with app.app_context():
        memo = db.session().get(Memo, memo_id)
        assert memo.memo_type == "delegationsbeslut"
        submission = db.session().scalar(sa.select(Submission).where(Submission.memo_id == memo_id))
        text = PdfReader(io.BytesIO(blobs.store().get(submission.frozen_pdf_sha256))).pages[0]
        assert "Delegationsbeslut" in text.extract_text()


def test_a_memo_without_the_required_sections_is_not_sent(app, auth, people):
    auth.login(people.handlaggare.username)
    response = post_form(
        auth,
        "/memos/new",
        memo_form(rubrik="Bara en rubrik", forslag_till_beslut="", meeting_date=""),
    )
    assert response.status_code == 302
    memo_id = int(response.headers["Location"].rsplit("/", 1)[1])
    refused = auth.post(f"/memos/{memo_id}/skicka", {"lock_version": "1"}, page=f"/memos/{memo_id}")
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert (
        "Fyll i det som krävs innan tjänsteutlåtandet skickas för attest: "
        "Sammanträdesdatum, Förvaltningens förslag till beslut." in text
    )
    with app.app_context():
        memo = db.session().get(Memo, memo_id)
        assert memo.state == "utkast"
        assert memo.latest_version.rubrik == "Bara en rubrik"  # nothing lost
        assert db.session().scalar(sa.select(sa.func.count(Submission.id))) == 0


def test_a_type_may_require_other_sections_or_none(app, auth, people):
    auth.login(people.administrator.username)
    with app.app_context():
        type_id = db.session().scalar(sa.select(MemoType.id))
    saved = auth.post(
        f"/admin/memotyper/{type_id}/spara",
        _type_form(
            "Tjänsteutlåtande", ["avdelningschef", "stadsdelsdirektor"], required=["bakgrund"]
        ),
        page=f"/admin/memotyper/{type_id}",
    )
    assert saved.status_code == 302
    memo_id = factories_memo(app, people, forslag_till_beslut="", meeting_date=None)
    _switch(auth, people.handlaggare)
    refused = auth.post(f"/memos/{memo_id}/skicka", {"lock_version": "1"}, page=f"/memos/{memo_id}")
    assert refused.status_code == 400
    assert "skickas för attest: Bakgrund." in refused.get_data(as_text=True)


def factories_memo(app, people, **fields) -> int:
    with app.app_context():
        return factories.memo(get_user(people.handlaggare.username), **fields).id


def test_a_sent_memo_keeps_the_route_it_was_sent_with(app, auth, people, ekonomichef):
    memo_id = factories_memo(app, people)
    auth.login(people.handlaggare.username)
    sent = auth.post(f"/memos/{memo_id}/skicka", {"lock_version": "1"}, page=f"/memos/{memo_id}")
    assert sent.status_code == 302
    _switch(auth, people.administrator)
    with app.app_context():
        type_id = db.session().scalar(sa.select(MemoType.id))
    saved = auth.post(
        f"/admin/memotyper/{type_id}/spara",
        _type_form("Tjänsteutlåtande", THREE_STEPS),
        page=f"/admin/memotyper/{type_id}",
    )
    assert saved.status_code == 302
    after = auth.client.get("/admin/memotyper/").get_data(as_text=True)
    assert "behåller sin attestordning" in after
    assert _submission_steps(app, memo_id) == ["avdelningschef", "stadsdelsdirektor"]
    second = factories_memo(app, people)
    _switch(auth, people.handlaggare)
    assert (
        auth.post(
            f"/memos/{second}/skicka", {"lock_version": "1"}, page=f"/memos/{second}"
        ).status_code
        == 302
    )
    assert _submission_steps(app, second) == THREE_STEPS


@pytest.mark.parametrize(
    "title, steps, message",
    [
        ("", ["avdelningschef"], "Ange typens namn."),
        ("Tjänsteutlåtande", ["avdelningschef"], "Det finns redan en typ som heter"),
        ("Utan steg", [], "En attestordning måste ha minst ett steg."),
        ("Dubbel", ["avdelningschef", "avdelningschef"], "Samma roll kan inte förekomma"),
        ("Fel roll", ["handlaggare"], "attesterar inte och kan inte vara ett steg"),
        ("Okänd roll", ["kung"], "kung"),
    ],
)
def test_a_bad_type_is_refused_and_nothing_changes(app, auth, people, title, steps, message):
    auth.login(people.administrator.username)
    response = _new_type(auth, title, steps)
    assert 400 <= response.status_code < 500
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count(MemoType.id))) == 1


def test_retiring_a_type_stops_offering_it_but_never_the_last(app, auth, people):
    auth.login(people.administrator.username)
    assert _new_type(auth, "Delegationsbeslut", ["avdelningschef"]).status_code == 302
    with app.app_context():
        first, second = db.session().scalars(sa.select(MemoType.id).order_by(MemoType.id))
    page = "/admin/memotyper/"
    assert auth.post(f"/admin/memotyper/{first}/avveckla", page=page).status_code == 302
    last = auth.post(f"/admin/memotyper/{second}/avveckla", page=page)
    assert last.status_code == 400
    assert "minst en typ av ärende" in last.get_data(as_text=True)
    _switch(auth, people.handlaggare)
    new_page = auth.client.get("/memos/new").get_data(as_text=True)
    assert "tjansteutlatande" not in new_page
    refused = post_form(auth, "/memos/new", memo_form(memo_type="tjansteutlatande"))
    assert refused.status_code == 400
    assert "Den typen av ärende finns inte." in refused.get_data(as_text=True)
    _switch(auth, people.administrator)
    assert auth.post(f"/admin/memotyper/{first}/ateruppta", page=page).status_code == 302


def test_the_type_pages_are_for_the_organisations_administrator(app, client, auth, people):
    auth.login(people.handlaggare.username)
    assert client.get("/admin/memotyper/").status_code == 403
    token = csrf_token(client.get("/").get_data(as_text=True))
    refused = client.post(
        "/admin/memotyper/ny", data={**_type_form("X", ["avdelningschef"]), "csrf_token": token}
    )
    assert refused.status_code == 403
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count(MemoType.id))) == 1
