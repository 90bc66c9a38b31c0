"""The audit log page: the organisation's events by person, memo, event and period, a page
at a time, and whether the chain is whole or where it breaks."""

from __future__ import annotations

import sqlalchemy as sa

from attest import db
from attest.audit.models import AuditEvent
from attest.users.operations import get_user
from tests.support import factories
from tests.support.web import Page, choose


def _memos(app, people, count: int) -> list[str]:
    with app.app_context():
        author = get_user(people.handlaggare.username)
        return [factories.memo(author, rubrik=f"Ärende {n}").dnr for n in range(count)]


def _rows(response) -> list[list[str]]:
    return Page(response).table("audit-log")


def test_the_log_filters_pages_and_says_the_chain_is_whole(app, auth, people):
    dnrs = _memos(app, people, 3)
    auth.login(people.administrator.username)
    page = auth.client.get("/admin/granskningslogg/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Posterna på sidan hänger ihop med kedjan" in text
    whole = auth.client.get("/admin/granskningslogg/?kedja=hela").get_data(as_text=True)
    with app.app_context():
        total = db.session().scalar(sa.select(sa.func.count(AuditEvent.seq)))
    assert f"Granskningsloggen är hel: {total} poster." in whole

    by_memo = _rows(auth.client.get("/admin/granskningslogg/", query_string={"memo": dnrs[1]}))
    assert [row[2] for row in by_memo] == ["memo:created"]
    assert by_memo[0][3] == people.handlaggare.full_name and by_memo[0][4] == dnrs[1]

    by_event = _rows(auth.client.get("/admin/granskningslogg/?event=memo:created"))
    assert len(by_event) == 3
    person = people.handlaggare.id
    by_person = _rows(auth.client.get(f"/admin/granskningslogg/?person={person}"))
    assert {row[3] for row in by_person} == {people.handlaggare.full_name}
    today = _rows(auth.client.get("/admin/granskningslogg/?start=2024-08-14&end=2024-08-14"))
    assert len(today) >= 3
    before = _rows(auth.client.get("/admin/granskningslogg/?end=2024-08-13"))
    assert before == [["Inga händelser."]]
    unknown = auth.client.get("/admin/granskningslogg/?memo=EÅV 1999/1").get_data(as_text=True)
    assert "Inget tjänsteutlåtande har Dnr EÅV 1999/1." in unknown
    bad = auth.client.get("/admin/granskningslogg/?start=igår")
    assert bad.status_code == 400
    assert "Ange datumet som ÅÅÅÅ-MM-DD." in bad.get_data(as_text=True)


def test_the_log_is_paged(app, auth, people, monkeypatch):
    from attest.audit import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    _memos(app, people, 3)
    auth.login(people.administrator.username)
    first = auth.client.get("/admin/granskningslogg/?event=memo:created").get_data(as_text=True)
    assert "Sida 1 av 2" in first
    second = _rows(auth.client.get("/admin/granskningslogg/?event=memo:created&sida=2"))
    assert len(second) == 1


def test_a_changed_entry_is_shown_where_the_chain_breaks(app, auth, people):
    _memos(app, people, 2)
    with app.app_context():
        seq = db.session().scalar(
            sa.select(sa.func.min(AuditEvent.seq)).where(AuditEvent.event == "memo:created")
        )
        db.session().execute(
            sa.update(AuditEvent).where(AuditEvent.seq == seq).values(data='{"memo":999}')
        )
        db.session().commit()
    auth.login(people.administrator.username)
    whole = auth.client.get("/admin/granskningslogg/?kedja=hela").get_data(as_text=True)
    assert f"Granskningsloggen är bruten vid post {seq}: posten har ändrats." in whole
    shown = auth.client.get("/admin/granskningslogg/").get_data(as_text=True)
    assert "Granskningsloggen är bruten vid post" in shown  # the page's own events' check
    # In English, the reason too (it is kept as the catalogue's Swedish msgid).
    choose(auth.client, "en")
    whole = auth.client.get("/admin/granskningslogg/?kedja=hela").get_data(as_text=True)
    assert f"broken at entry {seq}: the entry has been changed." in whole, whole


def test_another_organisations_events_are_not_shown(app, auth, people):
    with app.app_context():
        other = factories.organisation("SÖ", name="Södermalms stadsdelsförvaltning")
        author = factories.user(other, "handlaggare", username="hl-so")
        factories.memo(author, rubrik="Södermalms ärende")
        factories.user(other, "administrator", username="adm-so")
    auth.login(people.administrator.username)
    ours = auth.client.get("/admin/granskningslogg/?event=memo:created").get_data(as_text=True)
    assert "SÖ " not in ours
    auth.logout()
    auth.login("adm-so")
    theirs = auth.client.get("/admin/granskningslogg/").get_data(as_text=True)
    assert people.handlaggare.full_name not in theirs
    assert "Södermalms ärende" not in ours and "memo:created" in theirs
