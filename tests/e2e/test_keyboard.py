"""The route's key steps with the keyboard alone: Tab, Shift+Tab, Enter, Space and typing.

No click anywhere: each control is found by its role and name, as a screen reader user
would hear it, and reached by pressing Tab. The focus must be visible on each.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from attest.pki.ca import load_certificate
from attest.verify import verify_pdf
from tests.support.browser import Live, Person, Visit

MAX_TABS = 80

FOCUS_STYLE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {tag: el.tagName, outlineStyle: style.outlineStyle,
          outlineWidth: parseFloat(style.outlineWidth), boxShadow: style.boxShadow,
          visible: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
                   && box.top < innerHeight && box.left < innerWidth};
}"""


def focused(target) -> bool:
    return target.evaluate("el => el === document.activeElement")


def tab_to(window: Visit, target, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until ``target`` has the focus; check that the focus shows."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(MAX_TABS):
        if focused(target):
            break
        window.page.keyboard.press(key)
    else:
        raise AssertionError(f"{key} never reached {target}")
    style = window.page.evaluate(FOCUS_STYLE)
    assert style["visible"], f"the focused {style['tag']} is off the screen"
    assert (
        style["outlineStyle"] != "none" and style["outlineWidth"] >= 2
    ), f"no visible focus indicator on the focused {style['tag']}: {style}"


def login_by_keyboard(window: Visit, person: Person) -> None:
    window.goto("/auth/login")
    username = window.page.get_by_label("Användarnamn")
    expect(username).to_be_focused()  # autofocus: the first thing to type
    window.page.keyboard.type(person.username)
    window.page.keyboard.press("Tab")
    expect(window.page.get_by_label("Lösenord")).to_be_focused()
    window.page.keyboard.type(person.password)
    window.page.keyboard.press("Enter")
    expect(window.page.get_by_role("heading", level=1)).to_contain_text(person.full_name)


def test_the_route_with_the_keyboard_only(visit, live: Live):

    # The handläggare: the skip link first, then a new memo, saved and sent.
    hl = visit()
    login_by_keyboard(hl, live.handlaggare)
    hl.page.keyboard.press("Tab")
    skip = hl.page.get_by_role("link", name="Hoppa till innehållet")
    expect(skip).to_be_focused()
    tab_to(hl, skip)  # checks that it became visible with a focus indicator
    hl.look("keyboard-skip-link", audit=False, full_page=False)
    hl.page.keyboard.press("Enter")
    expect(hl.page.locator("main")).to_be_focused()

    tab_to(hl, hl.page.get_by_role("link", name="Nytt tjänsteutlåtande"))
    hl.page.keyboard.press("Enter")
    expect(hl.page.get_by_role("heading", level=1)).to_have_text("Nytt tjänsteutlåtande")
    tab_to(hl, hl.page.get_by_label("Rubrik", exact=True))
    hl.page.keyboard.type("Tangentbordets ärende")
    tab_to(hl, hl.page.get_by_label("Sammanfattning"))
    hl.page.keyboard.type("Skrivet utan mus.")
    tab_to(hl, hl.page.get_by_label("Förvaltningens förslag till beslut"), backwards=True)
    hl.page.keyboard.type("Nämnden godkänner förslaget.")
    # What the memo type requires before sending; a date field's keys vary by locale.
    hl.page.get_by_label("Sammanträdesdatum").fill("2024-09-19")
    save = hl.page.get_by_role("button", name="Spara utkast")
    tab_to(hl, save)
    hl.look("keyboard-focus-on-save", audit=False, full_page=False)
    hl.page.keyboard.press("Enter")
    expect(hl.page.get_by_role("status")).to_contain_text("är skapat (version 1)")
    memo_path = re.search(r"/memos/\d+", hl.page.url)[0]
    dnr = re.search(r"Tjänsteutlåtande (.+)", hl.page.locator("main p.hint").first.inner_text())[1]

    send = hl.page.get_by_role("button", name="Skicka för attest")
    tab_to(hl, send)
    hl.page.keyboard.press("Space")
    expect(hl.page.get_by_role("status")).to_have_text("Tjänsteutlåtandet är skickat för attest.")

    # The avdelningschef: from her worklist to the memo, the password, Attestera.
    for role in ("avdelningschef", "stadsdelsdirektor"):
        person = getattr(live, role)
        window = visit()
        login_by_keyboard(window, person)
        link = window.page.get_by_role("region", name="Att attestera").get_by_role("link", name=dnr)
        tab_to(window, link)
        window.page.keyboard.press("Enter")
        expect(window.page).to_have_url(live.url + memo_path)
        password = window.page.get_by_label("Lösenord")
        tab_to(window, password)
        expect(password).to_have_accessible_description(re.compile("^Ditt eget lösenord"))
        window.page.keyboard.type(person.password)
        attest = window.page.get_by_role("button", name="Attestera")
        tab_to(window, attest)
        tab_to(window, password, backwards=True)  # Shift+Tab goes back to the field
        tab_to(window, attest)
        window.look(f"keyboard-focus-on-attest-{role}", audit=False, full_page=False)
        window.page.keyboard.press("Space")
        expect(window.page.get_by_role("status")).to_have_text(
            "Du har attesterat tjänsteutlåtandet."
        )

    # The last attester downloads the attested PDF with Enter on its link.
    download_link = window.page.get_by_role("link", name="Ladda ner attesterad PDF")
    tab_to(window, download_link)
    with window.page.expect_download() as download_info:
        window.page.keyboard.press("Enter")
    pdf = Path(download_info.value.path()).read_bytes()
    assert verify_pdf(pdf, trust=[load_certificate(live.ca_pem)]).verdict == "valid"
