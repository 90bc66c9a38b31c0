"""Nothing typed is lost: a form posted after the session ended is kept, sealed, for its
own person, and filled in again after they log in; never sent by itself. And the idle
warning's "Fortsätt vara inloggad"."""

from __future__ import annotations

import json

import sqlalchemy as sa

from attest import db
from attest.audit.models import AuditEvent
from attest.auth.stash import COOKIE, FormStash
from tests.support.memos import draft_memo, edit_form, facts, sent_memo
from tests.support.web import Browser, Page, csrf_token, lock_version

COMMENT = "Beskriv kostnaden för läxhjälpen\noch vem som betalar den."


def _stashes(app) -> list[FormStash]:
    with app.app_context():
        return list(db.session().scalars(sa.select(FormStash)))


def _restored(page: Page) -> dict | None:
    holder = page.main.find_all("div", "restored-form")
    return json.loads(holder[0].attrs["data-form"]) if holder else None


def _post_after_the_idle_limit(client, auth, clock, person, memo_id: int, **headers):
    """Open the memo, let the idle limit pass, then press Returnera with a comment."""
    auth.login(person.username)
    url = f"/memos/{memo_id}"
    html = client.get(url).get_data(as_text=True)
    clock.advance(minutes=31)
    fields = {
        "csrf_token": csrf_token(html),
        "lock_version": lock_version(html),
        "comment": COMMENT,
    }
    return client.post(f"{url}/returnera", data=fields, headers=headers)


def test_a_return_comment_after_the_idle_limit_comes_back_after_the_login(
    app, client, auth, people, clock
):
    memo_id = sent_memo(app, people.handlaggare)
    before = facts(app, memo_id)
    url = f"/memos/{memo_id}"
    response = _post_after_the_idle_limit(
        client, auth, clock, people.avdelningschef, memo_id, Referer=f"http://localhost{url}"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=%2Fmemos%2F1"
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert facts(app, memo_id) == before, "nothing returned"
    login = Page(client.get("/auth/login"))
    assert login.flashes() == [
        "Du har loggats ut efter en tids inaktivitet.",
        "Det du skrev är sparat. Logga in igen, så kommer du tillbaka till sidan med det "
        "ifyllt. Inget har skickats än.",
    ]

    # Kept sealed: the database alone cannot read it; only the comment, for her, this page.
    [stash] = _stashes(app)
    assert (stash.page, stash.action) == (url, f"{url}/returnera")
    assert "kostnaden".encode() not in stash.sealed and COMMENT.encode() not in stash.sealed

    # Someone else logging in on this browser sees nothing of it.
    auth.login(people.registrator.username)
    assert _restored(Page(client.get(url))) is None
    auth.logout()

    response = auth.login(people.avdelningschef.username, follow=False)
    assert response.headers["Location"] == "/"  # the login page was opened without next here
    page = Page(client.get(url))
    assert _restored(page) == {"action": f"{url}/returnera", "fields": {"comment": [COMMENT]}}
    assert COMMENT.replace("\n", " ") in page.main.find("div", "restored-form").text.replace(
        "\n", " "
    )
    assert facts(app, memo_id) == before, "filled in, never sent by itself"
    assert client.get_cookie(COOKIE) is None and _stashes(app) == [], "shown once"
    assert _restored(Page(client.get(url))) is None
    with app.app_context():
        events = [
            e.event
            for e in db.session().scalars(
                sa.select(AuditEvent).where(AuditEvent.event.like("user:form:%"))
            )
        ]
    assert events == ["user:form:stashed", "user:form:restored"]

    # Pressed again with the page's own token: the return goes through.
    browser = Browser(client, auth)
    browser.logged_in = True
    page = browser.press_and_follow(page, "Returnera", {"Kommentar": COMMENT})
    assert "Tjänsteutlåtandet är returnerat till handläggaren." in page.flashes()
    assert facts(app, memo_id).history[-1][::3] == ("returnera", COMMENT)


def test_nothing_is_kept_from_elsewhere_or_after_its_hour(app, client, auth, people, clock):
    memo_id = sent_memo(app, people.handlaggare)
    url = f"/memos/{memo_id}"
    # No page of ours behind the post (no Referer, or another site's): refused as before.
    for headers in ({}, {"Referer": "https://evil.example/memos/1"}):
        response = _post_after_the_idle_limit(
            client, auth, clock, people.avdelningschef, memo_id, **headers
        )
        assert response.status_code == 400
        assert "säkerhetstoken saknas" in Page(response).text
    # A browser that was never logged in has no session to stash for.
    stranger = app.test_client()
    response = stranger.post(
        f"{url}/returnera", data={"comment": COMMENT}, headers={"Referer": f"http://localhost{url}"}
    )
    assert response.status_code == 400
    assert _stashes(app) == []

    # Kept, but the person comes back after FORM_STASH_MINUTES: gone, and its cookie too.
    response = _post_after_the_idle_limit(
        client, auth, clock, people.avdelningschef, memo_id, Referer=f"http://localhost{url}"
    )
    assert response.status_code == 302 and len(_stashes(app)) == 1
    clock.advance(minutes=61)
    auth.login(people.avdelningschef.username)
    assert _restored(Page(client.get(url))) is None
    assert client.get_cookie(COOKIE) is None


def test_staying_logged_in_restarts_the_idle_time(app, client, auth, people, clock):
    auth.login(people.avdelningschef.username)
    page = client.get("/").get_data(as_text=True)
    assert '<meta name="attest-session-seconds-left" content="1800">' in page
    assert client.get("/auth/session").get_json() == {"seconds_left": 1800}
    clock.advance(minutes=29)
    assert client.get("/auth/session").get_json() == {"seconds_left": 1800}
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200, "still logged in 58 minutes on"
    clock.advance(minutes=31)
    response = client.get("/auth/session")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_drafts_edits_after_the_idle_limit_come_back_on_its_edit_page(
    app, client, auth, people, clock
):
    memo_id = draft_memo(app, people.handlaggare, "Läxhjälp i Rågsved")
    before = facts(app, memo_id)
    edit = f"/memos/{memo_id}/edit"
    auth.login(people.handlaggare.username)
    fields = edit_form(client.get(edit).get_data(as_text=True), sammanfattning=COMMENT)
    token = csrf_token(client.get(edit).get_data(as_text=True))
    clock.advance(hours=1)
    response = client.post(
        edit,
        data={**fields, "csrf_token": token},
        content_type="multipart/form-data",
        headers={"Referer": f"http://localhost{edit}"},
    )
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    auth.login(people.handlaggare.username)
    restored = _restored(Page(client.get(edit)))
    assert restored is not None and restored["action"] == edit
    assert restored["fields"]["sammanfattning"] == [COMMENT]
    assert restored["fields"]["rubrik"] == ["Läxhjälp i Rågsved"]
    assert "lock_version" not in restored["fields"] and "csrf_token" not in restored["fields"]
    assert facts(app, memo_id) == before, "no version saved by itself"
