"""The administrator's pages in Chromium, without a shell: a new person is created, enrols
through the link and attests as t.f.; the t.f.'s mail, memo page, signature and PDF row say
so; a t.f. ended early can no longer attest. Every admin page is screenshot at 1280 and 390
px wide and checked with axe-core."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from playwright.sync_api import expect

from attest import clock, db
from attest.memos.models import Memo
from attest.pki.ca import load_certificate
from attest.users.operations import get_user
from attest.verify import verify_pdf
from attest.workflow.models import OutboxMail
from attest.workflow.operations import attest_memo
from tests.support import factories
from tests.support.browser import (
    POST_FORM,
    SCREENSHOTS,
    Live,
    Visit,
    csrf_token,
    memo_facts,
    memo_in_state,
)
from tests.support.pdftools import flat, pdftotext

NEW_PASSWORD = "fyra ord som ingen gissar"


def _register_tf(adm: Visit, substitute: str, absent: str, days: int) -> None:
    adm.goto("/admin/tf")
    today = _today(adm.live)
    adm.page.get_by_label("Person som är t.f.").select_option(label=substitute)
    adm.page.get_by_label("Roll").select_option(label="Avdelningschef")
    adm.page.get_by_label("För", exact=True).select_option(label=absent)
    adm.page.get_by_label("Från och med").fill(today.isoformat())
    adm.page.get_by_label("Till och med").fill((today + dt.timedelta(days=days)).isoformat())
    adm.page.get_by_role("button", name="Registrera t.f.").click()
    expect(adm.page.get_by_role("status")).to_contain_text(f"är t.f. avdelningschef för {absent}")


def _today(live: Live) -> dt.date:
    with live.app.app_context():
        return clock.today()


def test_an_administrator_runs_people_and_acting_substitutes_from_the_browser(
    visit, live: Live, tmp_path: Path
):
    adm = visit(live.administrator)
    adm.page.get_by_role("navigation", name="Huvudmeny").get_by_role(
        "link", name="Administration"
    ).click()
    expect(adm.page.get_by_role("heading", level=1)).to_have_text("Administration")
    adm.look("admin")

    # --- a new person, with the link shown once (no e-mail yet) ---------------------------
    adm.page.get_by_role("main").get_by_role("link", name="Användare").click()
    expect(adm.page.get_by_role("table")).to_contain_text("Jenny Johansson")
    adm.look("admin-people")
    adm.page.get_by_role("link", name="Ny användare").click()
    adm.page.get_by_role("button", name="Lägg till användare").click()
    expect(adm.page.get_by_role("alert")).to_contain_text("Ange personens namn.")
    adm.look("admin-person-new-errors")
    adm.page.get_by_label("Namn", exact=True).fill("Petra Ersättare")
    adm.page.get_by_label("Användarnamn").fill("petra")
    adm.page.get_by_label("Titel").fill("Biträdande avdelningschef")
    adm.page.get_by_label("Telefon").fill("08-508 11 111")
    adm.page.get_by_role("button", name="Lägg till användare").click()
    expect(adm.page.get_by_role("status").first).to_contain_text("Petra Ersättare är tillagd.")
    link = adm.page.locator("code.enrolment-link").inner_text()
    assert "/aktivera/" in link
    adm.look("admin-person-created")

    # --- she enrols through the link and chooses her own password -------------------------
    petra = visit()
    # The link names the configured BASE_URL; the live server answers on a port of its own.
    petra.goto(urlsplit(link).path)
    expect(petra.page.get_by_role("main")).to_contain_text("Petra")
    petra.page.get_by_label("Välj lösenord").fill(NEW_PASSWORD)
    petra.page.get_by_label("Nytt lösenord igen").fill(NEW_PASSWORD)
    petra.page.get_by_role("button", name="Aktivera kontot").click()
    expect(petra.page.get_by_role("status")).to_contain_text("Ditt konto är aktiverat.")

    # The administrator sees her key, and gives her an e-mail address for the mails.
    adm.goto("/admin/anvandare?q=petra")
    row = adm.page.get_by_role("row").filter(has_text="Petra Ersättare")
    expect(row).to_contain_text("Giltig till")
    row.get_by_role("link", name="Petra Ersättare").click()
    adm.page.get_by_label("E-post").fill("petra@example.se")
    adm.page.get_by_role("button", name="Spara ändringar").click()
    expect(adm.page.get_by_role("status")).to_contain_text("Ändringarna för Petra Ersättare")
    adm.look("admin-person")

    # --- roles: the page, and a role added -------------------------------------------------
    adm.page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name="Roller"
    ).click()
    adm.page.get_by_label("Kod").fill("kontrollant")
    adm.page.get_by_label("Titel", exact=True).fill("Kontrollant")
    adm.page.get_by_role("button", name="Lägg till roll").click()
    expect(adm.page.get_by_role("status")).to_contain_text("Rollen Kontrollant är tillagd.")
    adm.look("admin-roles")

    # --- the t.f.: registered, mailed, named on the page, in the signature and the row ----
    _register_tf(adm, "Petra Ersättare (petra)", "Jenny Johansson", days=7)
    adm.look("admin-substitutes")
    memo_id = memo_in_state(live, "hos_avdelningschef", "Läxhjälp med t.f.")
    with live.app.app_context():
        mails = (
            db.session()
            .scalars(
                sa.select(OutboxMail).where(OutboxMail.memo_id == memo_id).order_by(OutboxMail.id)
            )
            .all()
        )
        to_petra = [m for m in mails if m.to_address == "petra@example.se"]
        assert len(to_petra) == 1 and to_petra[0].subject.startswith("Att attestera")
        assert "som t.f. avdelningschef för Jenny Johansson" in to_petra[0].body
        assert any(m.subject.startswith("Kopia: Att attestera") for m in mails)

    me = visit()
    me.goto("/auth/login")
    me.page.get_by_label("Användarnamn").fill("petra")
    me.page.get_by_label("Lösenord").fill(NEW_PASSWORD)
    me.page.get_by_role("button", name="Logga in").click()
    worklist = me.page.get_by_role("region", name="Att attestera")
    expect(worklist).to_contain_text("t.f. för Jenny Johansson")
    me.goto(f"/memos/{memo_id}")
    expect(me.page.get_by_role("status").filter(has_text="t.f.")).to_have_text(
        "Du attesterar som t.f. för Jenny Johansson."
    )
    me.look("memo-to-attest-as-tf")
    me.page.get_by_label("Lösenord").fill(NEW_PASSWORD)
    me.page.get_by_role("button", name="Attestera").click()
    expect(me.page.get_by_role("status").first).to_have_text("Du har attesterat tjänsteutlåtandet.")
    route = me.page.get_by_role("table", name="Attestordning")
    expect(route).to_contain_text("av Petra Ersättare (t.f. för Jenny Johansson)")

    with live.app.app_context():
        memo = db.session().get(Memo, memo_id)
        attest_memo(memo, get_user(live.stadsdelsdirektor.username), password=factories.PASSWORD)
        db.session().commit()
    me.goto(f"/memos/{memo_id}")
    with me.page.expect_download() as download_info:
        me.page.get_by_role("link", name="Ladda ner attesterad PDF").click()
    pdf = Path(download_info.value.path()).read_bytes()
    result = verify_pdf(pdf, trust=[load_certificate(live.ca_pem)])
    assert result.verdict == "valid", [c.message for c in result.failed]
    assert [(a.signer_name, a.title) for a in result.attestations] == [
        ("Petra Ersättare", "t.f. Avdelningschef"),
        ("Anders Carstorp", "Stadsdelsdirektör"),
    ]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "admin-tf-attesterad.pdf").write_bytes(pdf)  # to look at its pages
    text = flat(pdftotext(pdf))
    assert "Petra Ersättare, t.f. Avdelningschef" in text, "the row"
    assert "Petra Ersättare t.f. Avdelningschef" in text, "the signature block"

    # --- a t.f. ended early attests no more ----------------------------------------------
    waiting = memo_in_state(live, "hos_avdelningschef", "Väntar när t.f. slutar")
    adm.goto("/admin/tf")
    row = adm.page.get_by_role("row").filter(has_text="Petra Ersättare")
    row.get_by_role("button", name="Avsluta nu: Petra Ersättare").click()
    expect(adm.page.get_by_role("status")).to_contain_text(
        "Petra Ersättare är inte längre t.f. avdelningschef"
    )
    expect(adm.page.get_by_role("table")).to_contain_text("Inga gällande eller kommande")
    me.goto(f"/memos/{waiting}")
    expect(me.page.get_by_role("button", name="Attestera")).to_have_count(0)
    expect(me.page.get_by_text("Du attesterar som t.f.")).to_have_count(0)
    with live.app.app_context():
        lock = db.session().get(Memo, waiting).lock_version
    fields = {"csrf_token": csrf_token(me.page), "password": NEW_PASSWORD, "lock_version": lock}
    with me.page.expect_navigation() as refused:
        me.page.evaluate(POST_FORM, [f"/memos/{waiting}/attestera", fields])
    assert refused.value.status == 403
    state, _, _, attestations = memo_facts(live, waiting)
    assert (state, attestations) == ("attest", 0), "nothing signed"

    # --- and she leaves: deactivated, the link gone ---------------------------------------
    adm.goto("/admin/anvandare?q=petra")
    adm.page.get_by_role("link", name="Petra Ersättare").click()
    adm.page.get_by_role("button", name="Inaktivera").click()
    expect(adm.page.get_by_role("status")).to_contain_text("Petra Ersättare är inaktiverad")
    adm.look("admin-person-deactivated")
