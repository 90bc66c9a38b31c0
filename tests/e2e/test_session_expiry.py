"""A comment typed while the session runs out is not lost: the idle warning, then the
comment kept over the login and filled in again, and the return going through."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from typing import Iterator

from playwright.sync_api import expect

from attest.clock import SystemClock
from tests.support.browser import Live, memo_facts, memo_in_state

COMMENT = "Beskriv kostnaden för läxhjälpen\noch vem som betalar den."


class LateClock(SystemClock):
    """The server's time, put forward by the test: a minute's idleness without the wait."""

    def __init__(self) -> None:
        self.ahead = dt.timedelta()

    def now(self) -> dt.datetime:
        return super().now() + self.ahead


@contextmanager
def idle_limit_of_a_minute(live: Live) -> Iterator[LateClock]:
    app = live.app
    clock, before = LateClock(), (
        app.extensions["attest.clock"],
        app.config["SESSION_IDLE_MINUTES"],
    )
    app.extensions["attest.clock"], app.config["SESSION_IDLE_MINUTES"] = clock, 1
    try:
        yield clock
    finally:
        app.extensions["attest.clock"], app.config["SESSION_IDLE_MINUTES"] = before


def test_a_return_comment_typed_as_the_session_ends_survives_the_login(visit, live: Live):
    memo_id = memo_in_state(live, "hos_avdelningschef", "Läxhjälp i Rågsved")
    with idle_limit_of_a_minute(live) as clock:
        ac = visit()
        ac.page.clock.install()  # the page's timers, moved by the test like the server's clock
        ac.login(live.avdelningschef)
        ac.goto(f"/memos/{memo_id}")

        # Before the limit the page warns, and staying logged in is one button away.
        ac.page.clock.run_for(50_000)
        warning = ac.page.get_by_role("alert").filter(has_text="Du loggas snart ut")
        expect(warning).to_be_visible()
        ac.look("idle-warning")
        with ac.page.expect_response("**/auth/session") as kept:
            warning.get_by_role("button", name="Fortsätt vara inloggad").click()
        assert 55 <= kept.value.json()["seconds_left"] <= 60, "a whole minute again"
        expect(warning).to_be_hidden()

        # The comment is typed; the minute passes before the button is pressed.
        ac.page.get_by_label("Kommentar").fill(COMMENT)
        clock.ahead = dt.timedelta(minutes=2)
        ac.page.get_by_role("button", name="Returnera").click()
        expect(ac.page.get_by_role("heading", level=1)).to_have_text("Logga in")
        expect(ac.page.get_by_role("status")).to_contain_text("Det du skrev är sparat.")
        assert "säkerhetstoken" not in ac.page.content()
        assert memo_facts(live, memo_id)[0] == "attest", "nothing was returned yet"

        # After the login: the same page, the comment filled in, nothing sent by itself.
        ac.page.get_by_label("Användarnamn").fill(live.avdelningschef.username)
        ac.page.get_by_label("Lösenord").fill(live.avdelningschef.password)
        ac.page.get_by_role("button", name="Logga in").click()
        expect(ac.page).to_have_url(f"{live.url}/memos/{memo_id}")
        expect(ac.page.get_by_label("Kommentar")).to_have_value(COMMENT)
        expect(ac.page.locator("#restored-form")).to_contain_text("Inget har skickats")
        assert memo_facts(live, memo_id)[0] == "attest"
        ac.look("comment-restored")

        ac.page.get_by_role("button", name="Returnera").click()
        expect(ac.page.get_by_role("status")).to_have_text(
            "Tjänsteutlåtandet är returnerat till handläggaren."
        )
        assert memo_facts(live, memo_id)[0] == "utkast"
        expect(ac.page.locator("table.history")).to_contain_text("Beskriv kostnaden")
