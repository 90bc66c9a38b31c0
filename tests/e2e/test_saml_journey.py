"""A person who signs in through the city's SAML IdP: login, signing PIN, attest after a
step-up, logout, in Chromium against the real server and a pysaml2 IdP on 127.0.0.1.

The server is its own (SAML configured with only the documented settings), not the
package's ``live``: the person's link to the IdP would change how the shared people attest.
"""

from __future__ import annotations

from typing import Iterator

import pytest
import sqlalchemy as sa

from attest import db
from attest.workflow.models import Attestation
from tests.support import memos as memo_support
from tests.support.browser import Visit
from tests.support.saml_idp import CHEF, STRONG_CONTEXT

pytestmark = [pytest.mark.system, pytest.mark.slow]

PIN = "482915"


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
    memo_id = memo_support.sent_memo(live.app, live.handlaggare, "Partnerskap")
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
