"""Drafts deleted by their author (confirmed, recorded, the Dnr never given again), and
Återkalla with its confirmation, its optional reason and the mail to those who attested."""

from __future__ import annotations

import json

import sqlalchemy as sa

from attest import db
from attest.audit.models import AuditEvent
from attest.memos.models import Memo
from attest.users.operations import get_user
from attest.workflow.operations import attest_memo, return_memo
from tests.support import factories
from tests.support.memos import draft_memo, facts, outbox, sent_memo
from tests.support.web import Browser, Page

RETURN_COMMENT = "Beskriv kostnaden.\nVem betalar?"


def _events(app, name: str) -> list[dict]:
    with app.app_context():
        return [
            json.loads(e.data)
            for e in db.session().scalars(sa.select(AuditEvent).where(AuditEvent.event == name))
        ]


def test_the_author_deletes_a_returned_draft_after_confirming(app, client, auth, people):
    browser = Browser(client, auth)
    author = people.handlaggare
    memo_id = sent_memo(app, author, "Läxhjälp i Rågsved")
    with app.app_context():
        memo = db.session().get(Memo, memo_id)
        return_memo(memo, get_user(people.avdelningschef.username), RETURN_COMMENT)
        db.session().commit()
    dnr = facts(app, memo_id).dnr
    url = f"/memos/{memo_id}"

    # Returned: "Returnerad" in her list, and the comment stands on the edit page too.
    browser.login(author)
    mine = browser.open("/").table("list")
    assert mine[0][:3] == [dnr, "Läxhjälp i Rågsved", "Returnerad"]
    edit = browser.open(f"{url}/edit")
    notice = edit.main.find("div", "return-notice")
    assert notice.find("h2").text.startswith("Returnerat av Jenny Johansson")
    assert notice.find("p").raw_text == RETURN_COMMENT

    # Nobody else is offered the deletion or gets it.
    for other in (people.avdelningschef, people.registrator):
        browser.login(other)
        assert not browser.open(url).main.find_all("a", href=f"{url}/radera")
        assert browser.open(f"{url}/radera", status=403).main.find("h1").text == "Åtkomst nekad"
        lock = str(facts(app, memo_id).lock_version)
        refused = browser.auth.post(f"{url}/radera", {"lock_version": lock}, page=url)
        assert refused.status_code == 403
    assert facts(app, memo_id).state == "utkast"

    browser.login(author)
    page = browser.open(url)
    confirm = browser.open(page.main.find("a", href=f"{url}/radera").attrs["href"])
    assert "Vill du radera utkastet?" in confirm.text
    assert f"Diarienumret {dnr} används inte igen" in confirm.text
    response = browser.press(confirm, "Radera utkastet")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    start = browser.open("/")
    assert "Utkastet är raderat." in start.flashes()
    assert "Du har inga tjänsteutlåtanden ännu." in start.text

    # Gone for everyone, its history and the audit log kept.
    for person in (author, people.avdelningschef):
        browser.login(person)
        assert browser.open(url, status=404).main.find("h1").text == "Sidan finns inte"
        assert browser.open(f"{url}/pdf", status=404)
    after = facts(app, memo_id)
    assert after.state == "raderad"
    assert [h[0] for h in after.history] == ["skicka", "returnera", "radera"]
    assert _events(app, "memo:radera") == [
        {
            "memo": memo_id,
            "dnr": dnr,
            "version": 1,
            "step": None,
            "acting_for": None,
            "to": "raderad",
        }
    ]

    # The next memo gets the next number: a deleted draft's Dnr is not given again.
    next_id = draft_memo(app, author, "Nästa ärende")
    serial = int(dnr.rsplit("/", 1)[1])
    assert facts(app, next_id).dnr == dnr.rsplit("/", 1)[0] + f"/{serial + 1}"


def test_a_sent_memo_is_not_deleted(app, client, auth, people):
    memo_id = sent_memo(app, people.handlaggare)
    before = facts(app, memo_id)
    auth.login(people.handlaggare.username)
    url = f"/memos/{memo_id}"
    assert client.get(f"{url}/radera").status_code == 403
    response = auth.post(f"{url}/radera", {"lock_version": str(before.lock_version)}, page=url)
    assert response.status_code == 409
    assert "”Radera utkastet” går inte nu" in Page(response).text
    assert facts(app, memo_id) == before


def test_withdrawing_asks_for_a_reason_and_tells_those_who_attested(app, client, auth, people):
    browser = Browser(client, auth)
    memo_id = sent_memo(app, people.handlaggare, "Läxhjälp i Rågsved")
    with app.app_context():
        memo = db.session().get(Memo, memo_id)
        attest_memo(memo, get_user(people.avdelningschef.username), password=factories.PASSWORD)
        db.session().commit()
    mails_before = len(outbox(app))
    url = f"/memos/{memo_id}"

    browser.login(people.handlaggare)
    confirm = browser.open(f"{url}/aterkalla")
    assert "de som redan har attesterat får ett meddelande" in confirm.text
    page = browser.press_and_follow(
        confirm, "Återkalla", {"Anledning (frivillig)": "Fel belopp i sammanfattningen."}
    )
    assert "Tjänsteutlåtandet är återkallat och är ett utkast igen." in page.flashes()
    assert page.table("history")[-1][1:5] == [
        "Återkallade",
        "Evelyn Garate Ormazabal",
        "1",
        "Fel belopp i sammanfattningen.",
    ]
    dnr = facts(app, memo_id).dnr
    # The avdelningschef attested and is told; the director had not and is not.
    assert outbox(app)[mails_before:] == [
        (people.avdelningschef.email, f"Återkallat: {dnr} Läxhjälp i Rågsved")
    ]
    with app.app_context():
        from attest.workflow.models import OutboxMail

        body = db.session().scalars(sa.select(OutboxMail).order_by(OutboxMail.id.desc())).first()
        assert "Anledning: Fel belopp i sammanfattningen." in body.body
        assert "Din attest gäller inte för en ny version" in body.body
