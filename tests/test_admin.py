"""The administrator's pages: people, roles and acting substitutes (t.f.), used as an
administrator does in the browser, and refused where they must be. Who may open each page
is in tests/test_access_matrix.py; the whole flow in real Chromium in tests/e2e/test_admin.py."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from attest import db
from attest.audit.models import AuditEvent
from attest.memos.models import Memo
from attest.users.models import Role, UserRole
from attest.users.operations import add_role, get_user
from attest.workflow.models import Substitution
from attest.workflow.operations import attest_memo
from attest.workflow.substitutes import add_substitution
from tests.support import factories
from tests.support.memos import outbox, sent_memo
from tests.support.web import Browser, Page


@pytest.fixture
def browser(client, auth) -> Browser:
    return Browser(client, auth)


def _events(app, name: str, by) -> list[AuditEvent]:
    """The events of this name that ``by`` (a person) caused."""
    with app.app_context():
        return list(
            db.session().scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.event == name, AuditEvent.actor_id == by.id)
                .order_by(AuditEvent.seq)
            )
        )


def test_the_landing_page_links_every_administration_page(app, browser, people):
    browser.login(people.administrator)
    page = browser.open("/")
    assert "Administration" in [a.text for a in page.root.find("nav").find_all("a")]
    links = {a.text: a.attrs["href"] for a in browser.open("/admin/").main.find_all("a")}
    for title, url in {
        "Användare": "/admin/anvandare",
        "Roller": "/admin/roller",
        "T.f.": "/admin/tf",
        "API och webhooks": "/admin/api/",
        "Utkorg": "/utkorg",
    }.items():
        assert links[title] == url
        browser.open(url)


def test_an_administrator_adds_a_person_who_enrols_with_the_mailed_link(app, browser, people):
    browser.login(people.administrator)
    page = browser.open("/admin/anvandare/ny")
    response = browser.press(
        page,
        "Lägg till användare",
        {
            "Namn": "Maria Lind",
            "Användarnamn": "maria",
            "Titel": "Ekonomichef",
            "Telefon": "08-508 000 00",
            "E-post": "maria.lind@example.se",
        },
        roles="avdelningschef",
    )
    assert response.status_code == 200
    shown = Page(response)
    assert "Maria Lind är tillagd." in shown.flashes()
    assert "Aktiveringslänken är skickad till maria.lind@example.se" in shown.text
    assert "/aktivera/" not in shown.html, "a mailed link is not shown"
    assert ("maria.lind@example.se", "Aktivera ditt konto i attest") in outbox(app)
    assert len(_events(app, "user:added", people.administrator)) == 1
    with app.app_context():
        maria = get_user("maria")
        assert (maria.title, maria.phone, maria.role_codes) == (
            "Ekonomichef",
            "08-508 000 00",
            frozenset({"avdelningschef"}),
        )
        assert maria.password_hash is None
    listed = browser.open("/admin/anvandare?q=maria+lind")
    assert [row[0] for row in listed.table("people")] == ["Maria Lind Ekonomichef"]
    assert listed.table("people")[0][3] == "Ingen nyckel Har inte valt eget lösenord"


def test_without_an_e_mail_address_the_link_is_shown_once(app, browser, people):
    browser.login(people.administrator)
    page = browser.open("/admin/anvandare/ny")
    response = browser.press(
        page,
        "Lägg till användare",
        {"Namn": "Nora Ny", "Användarnamn": "nora"},
    )
    shown = Page(response)
    link = shown.main.find("code", "enrolment-link").text
    assert link.startswith("http://") and "/aktivera/" in link
    person = browser.open(f"/admin/anvandare/{_id(app, 'nora')}")
    assert "/aktivera/" not in person.html, "shown only when made"
    token = link.rsplit("/", 1)[1]
    browser.logout()
    enrol = browser.open(f"/aktivera/{token}")
    response = browser.press(
        enrol,
        "Aktivera kontot",
        {"Välj lösenord": "tre glada ord i rad", "Nytt lösenord igen": "tre glada ord i rad"},
    )
    assert response.status_code == 302
    assert browser.auth.login("nora", "tre glada ord i rad").status_code == 302


def _id(app, username: str) -> int:
    with app.app_context():
        return get_user(username).id


@pytest.mark.parametrize(
    "fill, message",
    [
        ({"Namn": "", "Användarnamn": "x"}, "Ange personens namn."),
        ({"Namn": "X", "Användarnamn": "hl-EÅV"}, "Användarnamnet hl-EÅV är upptaget."),
        ({"Namn": "X", "Användarnamn": "x", "E-post": "inte-en-adress"}, "Ange en giltig"),
    ],
)
def test_a_bad_person_form_says_why_and_adds_nobody(app, browser, people, fill, message):
    browser.login(people.administrator)
    page = browser.open("/admin/anvandare/ny")
    response = browser.press(page, "Lägg till användare", fill)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _events(app, "user:added", people.administrator) == []


def test_a_role_of_another_organisation_cannot_be_given(app, browser, people):
    with app.app_context():
        other = factories.organisation("SÖ", name="Södermalms stadsdelsförvaltning")
        add_role("sokontroll", "Södermalms kontrollant", organisation=other)
        db.session().commit()
    browser.login(people.administrator)
    page = browser.open("/admin/anvandare/ny")
    assert "Södermalms kontrollant" not in page.html
    response = browser.press(
        page,
        "Lägg till användare",
        {"Namn": "X", "Användarnamn": "x"},
        roles="sokontroll",
    )
    assert response.status_code == 400
    assert _events(app, "user:added", people.administrator) == []


def test_editing_a_person_changes_their_details_and_roles(app, browser, people):
    browser.login(people.administrator)
    url = f"/admin/anvandare/{people.registrator.id}"
    page = browser.open(url)
    after = browser.press_and_follow(
        page,
        "Spara ändringar",
        {"Titel": "Registrator och arkivarie", "Telefon": "08-1"},
        roles=["registrator", "handlaggare"],
    )
    assert f"Ändringarna för {people.registrator.full_name} är sparade." in after.flashes()
    with app.app_context():
        person = get_user(people.registrator.username)
        assert person.title == "Registrator och arkivarie" and person.phone == "08-1"
        assert person.role_codes == {"registrator", "handlaggare"}
    assert len(_events(app, "user:updated", people.administrator)) == 1
    # (form_values keeps one checkbox of a name: the roles are sent as a browser would.)
    again = browser.press_and_follow(after, "Spara ändringar", roles=["registrator", "handlaggare"])
    assert f"Inget är ändrat för {people.registrator.full_name}." in again.flashes()


def test_the_employee_number_the_identity_provider_matches_is_set_on_the_page(app, browser, people):
    browser.login(people.administrator)
    page = browser.open(f"/admin/anvandare/{people.registrator.id}")
    roles = ["registrator"]
    after = browser.press_and_follow(
        page, "Spara ändringar", {"Anställningsnummer": " 4711 "}, roles=roles
    )
    assert f"Ändringarna för {people.registrator.full_name} är sparade." in after.flashes()
    with app.app_context():
        assert get_user(people.registrator.username).employee_number == "4711"
    assert len(_events(app, "user:employee_number:set", people.administrator)) == 1
    # Another person cannot have the same number: said in Swedish, nothing changed.
    other = browser.open(f"/admin/anvandare/{people.handlaggare.id}")
    refused = browser.press(
        other, "Spara ändringar", {"Anställningsnummer": "4711"}, roles=["handlaggare"]
    )
    assert refused.status_code == 400
    assert "Anställningsnumret 4711 har redan" in refused.get_data(as_text=True)
    with app.app_context():
        assert get_user(people.handlaggare.username).employee_number is None


def test_deactivating_ends_the_login_and_an_administrator_cannot_deactivate_themselves(
    app, browser, people, client
):
    browser.login(people.administrator)
    page = browser.open(f"/admin/anvandare/{people.registrator.id}")
    after = browser.press_and_follow(page, "Inaktivera")
    assert any("är inaktiverad" in f for f in after.flashes())
    assert "Inaktiverad 2024-08-14" in after.text
    assert "Inaktivera" not in after.buttons()
    own = browser.open(f"/admin/anvandare/{people.administrator.id}")
    assert "Inaktivera" not in own.buttons()
    response = browser.auth.post(
        f"/admin/anvandare/{people.administrator.id}/inaktivera",
        page=f"/admin/anvandare/{people.administrator.id}",
    )
    assert response.status_code == 400
    assert "Du kan inte inaktivera dig själv." in response.get_data(as_text=True)
    browser.logout()
    assert browser.auth.login(people.registrator.username).status_code == 200, "refused"


def test_a_reset_revokes_and_gives_a_new_link(app, browser, people):
    browser.login(people.administrator)
    page = browser.open(f"/admin/anvandare/{people.avdelningschef.id}")
    response = browser.press(page, "Återställ och skicka ny länk")
    assert response.status_code == 200
    assert "är återställd" in response.get_data(as_text=True)
    assert len(_events(app, "user:reset", people.administrator)) == 1
    with app.app_context():
        assert get_user(people.avdelningschef.username).password_hash is None


def test_roles_are_added_renamed_and_retired_when_nothing_uses_them(app, browser, people):
    browser.login(people.administrator)
    page = browser.open("/admin/roller")
    assert "Ändras av systemförvaltaren" in page.text, "the shared roles are not ours to change"
    page = browser.press_and_follow(
        page, "Lägg till roll", {"Kod": "Ekonomichef", "Titel": "Ekonom"}
    )
    assert "Rollen Ekonom är tillagd." in page.flashes()
    page = browser.press_and_follow(page, "Byt titel", title="Ekonomichef")
    assert "Rollen Ekonom heter nu Ekonomichef." in page.flashes()
    with app.app_context():
        role = db.session().get(Role, "ekonomichef")
        assert (
            role.title == "Ekonomichef"
            and role.organisation_id == people.administrator.organisation_id
        )
    # Held by someone: not retired.
    with app.app_context():
        factories.user(
            get_user(people.handlaggare.username).organisation, "ekonomichef", username="mi"
        )
        db.session().commit()
    response = browser.press(page, "Avveckla")
    assert response.status_code == 400
    assert "1 aktiva personer har rollen" in response.get_data(as_text=True)
    with app.app_context():
        db.session().execute(sa.delete(UserRole).where(UserRole.role_code == "ekonomichef"))
        db.session().commit()
    page = browser.press_and_follow(browser.open("/admin/roller"), "Avveckla")
    assert "Rollen Ekonomichef är avvecklad." in page.flashes()
    assert "Ekonomichef" not in [row[0] for row in page.table("roles")]
    assert len(_events(app, "role:retired", people.administrator)) == 1
    # A shared role is refused by its own URL too.
    response = browser.auth.post(
        "/admin/roller/avdelningschef/titel", {"title": "Chef"}, page="/admin/roller"
    )
    assert response.status_code == 403


def test_a_role_in_a_route_is_not_retired(app, browser, people):
    with app.app_context():
        org = get_user(people.handlaggare.username).organisation
        add_role("ekonomichef", "Ekonomichef", organisation=org)
        from attest.workflow.routes import set_route

        set_route(org, "tjansteutlatande", ["avdelningschef", "ekonomichef", "stadsdelsdirektor"])
        db.session().commit()
    browser.login(people.administrator)
    response = browser.press(browser.open("/admin/roller"), "Avveckla")
    assert response.status_code == 400
    assert "attestordningen för tjansteutlatande har ett steg med rollen" in response.get_data(
        as_text=True
    )


# --- acting substitutes -------------------------------------------------------------------


def _register(browser, people, **overrides):
    page = browser.open("/admin/tf")
    data = {
        "substitute": str(people.stadsdelsdirektor.id),
        "role": "avdelningschef",
        "for_user": str(people.avdelningschef.id),
        "starts_on": "2024-08-14",
        "ends_on": "2024-08-31",
        **overrides,
    }
    return browser.press(page, "Registrera t.f.", **data)


def test_a_tf_gets_the_mail_the_notice_and_the_signature_block_until_ended(app, browser, people):
    browser.login(people.administrator)
    response = _register(browser, people)
    assert response.status_code == 302
    page = browser.open("/admin/tf")
    assert "Anders Carstorp är t.f. avdelningschef för Jenny Johansson 2024-08-14–2024-08-31." in (
        page.flashes()
    )
    assert page.table("substitutes")[0][:5] == [
        "Anders Carstorp",
        "Avdelningschef",
        "Jenny Johansson",
        "2024-08-14 – 2024-08-31",
        "Gäller nu",
    ]
    assert len(_events(app, "substitution:added", people.administrator)) == 1

    memo_id = sent_memo(app, people.handlaggare)
    mails = outbox(app)
    subject = next(s for _, s in mails if s.startswith("Att attestera"))
    assert (people.stadsdelsdirektor.email, subject) in mails, "to the t.f."
    assert (people.avdelningschef.email, f"Kopia: {subject}") in mails, "a copy to the absent"
    with app.app_context():
        memo = db.session().get(Memo, memo_id)
        from attest import blobs
        from attest.workflow.submissions import active_submission

        frozen = blobs.store().get(active_submission(memo).frozen_pdf_sha256)
    from tests.support.pdftools import flat, pdftotext

    text = flat(pdftotext(frozen))
    assert "Anders Carstorp t.f. Avdelningschef" in text, "the signature block names the t.f."

    browser.login(people.stadsdelsdirektor)
    memo_page = browser.open(f"/memos/{memo_id}")
    assert "Du attesterar som t.f. för Jenny Johansson." in memo_page.text

    browser.login(people.administrator)
    page = browser.open("/admin/tf")
    page = browser.press_and_follow(page, "Avsluta nu")
    assert any("är inte längre t.f. avdelningschef" in f for f in page.flashes())
    assert page.table("substitutes") == [["Inga gällande eller kommande förordnanden."]]
    browser.login(people.stadsdelsdirektor)
    memo_page = browser.open(f"/memos/{memo_id}")
    assert "Attestera" not in memo_page.buttons()
    assert "t.f. för" not in memo_page.text


@pytest.mark.parametrize("copy", [False])
def test_the_copy_to_the_absent_person_can_be_turned_off(app, people, copy):
    app.config["SUBSTITUTE_MAIL_COPY_TO_ABSENT"] = copy
    with app.app_context():
        add_substitution(
            people.stadsdelsdirektor.username,
            "avdelningschef",
            dt.date(2024, 8, 1),
            dt.date(2024, 8, 31),
            for_username=people.avdelningschef.username,
        )
        db.session().commit()
    sent_memo(app, people.handlaggare)
    to = [address for address, subject in outbox(app) if "Att attestera" in subject]
    assert to == [people.stadsdelsdirektor.email]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"ends_on": "2024-08-01"}, "Perioden slutar innan den börjar."),
        ({"starts_on": "2024-01-01", "ends_on": "2024-02-01"}, "Perioden har redan tagit slut."),
        ({"role": "registrator"}, "Inte ett giltigt val"),
        ({"for_user": str(10**6)}, "Inte ett giltigt val"),
        ({"starts_on": "i morgon"}, "Ange ett datum."),
        ({"for_user": "0", "substitute": "0"}, "Välj en person."),
    ],
)
def test_a_bad_tf_form_says_why_and_registers_nothing(app, browser, people, overrides, message):
    browser.login(people.administrator)
    response = _register(browser, people, **overrides)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session().scalars(sa.select(Substitution)).all() == []


def test_an_ended_tf_cannot_attest(app, people):
    with app.app_context():
        add_substitution(
            people.stadsdelsdirektor.username,
            "avdelningschef",
            dt.date(2024, 8, 1),
            dt.date(2024, 8, 31),
            for_username=people.avdelningschef.username,
        )
        db.session().commit()
    memo_id = sent_memo(app, people.handlaggare)
    from attest.workflow.substitutes import end_one

    with app.app_context():
        end_one(db.session().scalars(sa.select(Substitution)).one())
        db.session().commit()
        memo = db.session().get(Memo, memo_id)
        from attest.errors import Forbidden

        with pytest.raises(Forbidden):
            attest_memo(
                memo, get_user(people.stadsdelsdirektor.username), password=factories.PASSWORD
            )
