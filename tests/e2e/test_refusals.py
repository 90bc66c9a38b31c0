"""The refusals a person can meet in the browser, each seen, screenshot and checked with axe."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.browser import POST_FORM, Live, csrf_token, memo_facts, memo_in_state


def test_a_wrong_password_at_attest_signs_nothing_and_says_why(visit, live: Live):
    memo_id = memo_in_state(live, "hos_avdelningschef", "Fel lösenord")
    before = memo_facts(live, memo_id)
    ac = visit(live.avdelningschef)
    ac.goto(f"/memos/{memo_id}")
    ac.page.get_by_label("Lösenord").fill("inte mitt lösenord")
    ac.page.get_by_role("button", name="Attestera").click()

    # The message is announced (role=alert) and tied to the field, which keeps its hint.
    alert = ac.page.get_by_role("alert")
    expect(alert).to_contain_text("”Attestera” gick inte att genomföra")
    expect(alert).to_contain_text("lösenord")
    password = ac.page.get_by_label("Lösenord")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_value("")
    hint_id, error_id = password.get_attribute("aria-describedby").split()
    expect(ac.page.locator(f"#{hint_id}")).to_contain_text("Ditt eget lösenord")
    expect(ac.page.locator(f"#{error_id}")).to_contain_text("misslyckade försök")
    expect(password).to_have_accessible_description(
        ac.page.locator(f"#{hint_id}").inner_text()
        + " "
        + ac.page.locator(f"#{error_id}").inner_text()
    )
    ac.look("wrong-password")
    state, _, lock_version, attestations = memo_facts(live, memo_id)
    assert (state, attestations) == (before[0], 0), "nothing signed"

    # The right password on the same page attests.
    password.fill(live.avdelningschef.password)
    ac.page.get_by_role("button", name="Attestera").click()
    expect(ac.page.get_by_role("status")).to_have_text("Du har attesterat tjänsteutlåtandet.")
    assert memo_facts(live, memo_id)[3] == 1


def test_a_memo_of_another_organisation_is_not_found(visit, live: Live):
    for person in (live.handlaggare, live.avdelningschef, live.registrator):
        window = visit(person)
        response = window.goto(f"/memos/{live.other_org_memo_id}")
        assert response.status == 404
        expect(window.page.get_by_role("heading", level=1)).to_have_text("Sidan finns inte")
        expect(window.page.get_by_role("alert")).to_have_text("Tjänsteutlåtandet finns inte.")
        expect(window.page.get_by_text("Farstas eget ärende")).to_have_count(0)
        window.look("other-organisation-404")
        window.page.get_by_role("link", name="Till startsidan").click()
        expect(window.page.get_by_role("heading", level=1)).to_contain_text(person.full_name)


def test_a_step_that_is_not_mine_has_no_button_and_a_direct_post_is_refused(visit, live: Live):
    memo_id = memo_in_state(live, "hos_avdelningschef", "Inte ditt steg")
    before = memo_facts(live, memo_id)
    sd = visit(live.stadsdelsdirektor)
    sd.goto(f"/memos/{memo_id}")
    expect(sd.page.get_by_role("region", name="Attest")).to_contain_text(
        "Status: Hos avdelningschef"
    )
    expect(sd.page.get_by_role("button", name="Attestera")).to_have_count(0)
    expect(sd.page.get_by_role("button", name="Returnera")).to_have_count(0)
    expect(sd.page.get_by_label("Lösenord")).to_have_count(0)
    sd.look("not-my-step")

    fields = {
        "csrf_token": csrf_token(sd.page),
        "password": live.stadsdelsdirektor.password,
        "lock_version": str(before[2]),
    }
    with sd.page.expect_navigation():
        sd.page.evaluate(POST_FORM, [f"/memos/{memo_id}/attestera", fields])
    expect(sd.page.get_by_role("heading", level=1)).to_have_text("Åtkomst nekad")
    expect(sd.page.get_by_role("alert")).to_have_text(
        "Det här steget ska attesteras av Jenny Johansson (avdelningschef)."
    )
    sd.look("not-my-step-403")
    assert memo_facts(live, memo_id) == before

    # The handläggare cannot attest her own memo either, nor return it.
    hl = visit(live.handlaggare)
    hl.goto(f"/memos/{memo_id}")
    expect(hl.page.get_by_role("button", name="Attestera")).to_have_count(0)
    expect(hl.page.get_by_role("link", name="Återkalla …")).to_be_visible()
    fields["csrf_token"] = csrf_token(hl.page)
    with hl.page.expect_navigation():
        hl.page.evaluate(POST_FORM, [f"/memos/{memo_id}/attestera", fields])
    expect(hl.page.get_by_role("alert")).to_have_text(
        "Du kan inte attestera ditt eget tjänsteutlåtande."
    )
    hl.look("own-memo-403")
    assert memo_facts(live, memo_id) == before


def test_a_stale_page_is_a_conflict_with_a_link_to_the_memo_as_it_is(visit, live: Live):
    memo_id = memo_in_state(live, "hos_avdelningschef", "Två flikar")
    ac = visit(live.avdelningschef)
    ac.goto(f"/memos/{memo_id}")
    second_tab = ac.page.context.new_page()
    second_tab.goto(f"{live.url}/memos/{memo_id}")
    ac.page.get_by_label("Lösenord").fill(live.avdelningschef.password)
    ac.page.get_by_role("button", name="Attestera").click()
    expect(ac.page.get_by_role("status")).to_have_text("Du har attesterat tjänsteutlåtandet.")

    ac.page = second_tab
    ac.page.get_by_label("Kommentar").fill("Nej.")
    ac.page.get_by_role("button", name="Returnera").click()
    expect(ac.page.get_by_role("heading", level=1)).to_have_text("Konflikt")
    ac.look("conflict-409")
    ac.page.get_by_role("link", name="som det ser ut nu").click()
    expect(ac.page.get_by_role("region", name="Attest")).to_contain_text(
        "Status: Hos stadsdelsdirektör"
    )
