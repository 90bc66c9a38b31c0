"""A person who signs in through the city's SAML IdP: login, signing PIN, attest after a
step-up, logout, in Chromium against the real server and a pysaml2 IdP on 127.0.0.1.

The server is its own (SAML configured with only the documented settings), not the
package's ``live``: the person's link to the IdP would change how the shared people attest.
"""

from __future__ import annotations

import urllib.request
from typing import Iterator

import pytest
import sqlalchemy as sa

from attest import db
from attest.users.operations import invite_user
from attest.workflow.models import Attestation
from tests.support import factories
from tests.support.browser import Live, Person, Visit
from tests.support.live import e2e_app, new_organisation, session_keys
from tests.support.saml_idp import STRONG_CONTEXT, SamlIdp, make_key_pair
from tests.support.servers import free_port, thread_server

pytestmark = [pytest.mark.system, pytest.mark.slow]

PIN = "482915"
CHEF = Person("saml-chef", "Jenny Johansson", password="")


@pytest.fixture(scope="module")
def saml_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, SamlIdp]]:
    instance = tmp_path_factory.mktemp("saml-instance")
    files = tmp_path_factory.mktemp("saml-keys")
    sp_key, sp_cert = make_key_pair(files, "sp")
    idp = SamlIdp(files / "idp", base_url=f"http://127.0.0.1:{free_port()}/idp")
    app = e2e_app(
        instance,
        # Only the documented SAML settings.
        SAML_IDP_METADATA=str(idp.metadata_path),
        SAML_SP_KEY=str(sp_key),
        SAML_SP_CERT=str(sp_cert),
        SAML_NAME="Stadens inloggning",
        SAML_AUTHN_CONTEXT=STRONG_CONTEXT,
    )
    with session_keys(), app.app_context():
        org = new_organisation(app)
        author = factories.user(org, "handlaggare", username="hl-saml", full_name="Evelyn Garate")
        factories.user(org, "stadsdelsdirektor", username="sd-saml", full_name="Anders Carstorp")
        # Created by the administrator, never enrolled with a password: signs in at the IdP.
        invite_user(
            CHEF.username,
            full_name=CHEF.full_name,
            organisation_code=org.code,
            roles=["avdelningschef"],
            title="Avdelningschef",
            email="jenny.johansson@example.se",
        )
        db.session().commit()
        people = {"handlaggare": Person(author.username, author.full_name)}
    with session_keys():
        # Keys issued during the journey (the signing PIN) come from the pool as well.
        with thread_server(app) as url:
            app.config["BASE_URL"] = url  # the ACS and the entity id are under it
            with urllib.request.urlopen(url + "/saml/metadata") as answer:  # noqa: S310
                idp.trust_sp(answer.read().decode())
            idp.subject = "jenny-4711"
            idp.attributes = {"mail": ["jenny.johansson@example.se"]}
            with idp.serve():
                yield Live(url, app, people, 0, b""), idp
    db.engine_of(app).dispose()


@pytest.fixture
def window(chromium, saml_live) -> Iterator[Visit]:
    """A browser window of its own (not the package's ``visit``, which starts ``live``)."""
    context = chromium.new_context(
        base_url=saml_live[0].url, locale="sv-SE", timezone_id="Europe/Stockholm"
    )
    context.set_default_timeout(15_000)
    yield Visit(context.new_page(), saml_live[0], "saml-journey")
    context.close()


def test_sign_in_attest_after_a_step_up_and_log_out(saml_live, window) -> None:
    from playwright.sync_api import expect

    live, idp = saml_live
    memo_id = _sent_memo(live)
    page = window.page
    window.goto("/auth/login")
    page.get_by_role("link", name="Logga in med Stadens inloggning").click()
    expect(page.get_by_role("heading", name="Test-IdP")).to_be_visible()
    page.get_by_role("button", name="Fortsätt till attest").click()
    # First sign-in: the person chooses the signing PIN that protects their key.
    page.get_by_label("Signerings-PIN", exact=True).fill(PIN)
    page.get_by_label("Upprepa signerings-PIN").fill(PIN)
    page.get_by_role("button", name="Spara signerings-PIN").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(CHEF.full_name)

    window.goto(f"/memos/{memo_id}")
    page.get_by_role("link", name="Attestera", exact=True).click()
    expect(page.get_by_role("heading", name="Test-IdP")).to_be_visible()
    step_up = idp.requests[-1]
    assert step_up.force_authn and step_up.contexts == [STRONG_CONTEXT]
    page.get_by_role("button", name="Fortsätt till attest").click()
    page.get_by_label("Signerings-PIN").fill(PIN)
    page.get_by_role("button", name="Attestera").click()
    expect(page.get_by_text("Du har attesterat tjänsteutlåtandet.")).to_be_visible()

    with live.app.app_context():
        attestation = db.session().scalars(sa.select(Attestation)).one()
        assert attestation.sso_provider == "saml:" + idp.entity_id
        assert attestation.sso_subject == "jenny-4711"
        assert attestation.sso_auth_time is not None
        assert attestation.sso_context == STRONG_CONTEXT

    window.logout()
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible()
    window.goto(f"/memos/{memo_id}")
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible()


def _sent_memo(live: Live) -> int:
    from attest.memos.operations import create_memo
    from attest.users.operations import get_user
    from attest.workflow.operations import submit_memo

    with live.app.app_context():
        author = get_user(live.handlaggare.username)
        memo = create_memo(author, factories.content(rubrik="Partnerskap", sammanfattning="Text."))
        submit_memo(memo, author)
        db.session().commit()
        return memo.id
