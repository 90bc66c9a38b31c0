"""Sign-in through an OpenID Connect provider in Chromium: log in at the provider, choose
a signing PIN, attest after a step-up at the provider, log out there too.

The provider is real (Authlib's server side, tests/support/oidc_provider.py) on 127.0.0.1;
the attest server is the production app with only the documented OIDC settings added.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from attest import db
from attest.workflow.models import Attestation
from tests.support.live import oidc_world
from tests.support.oidc_provider import CLIENT_ID, HIGH

pytestmark = [pytest.mark.system, pytest.mark.slow]

PIN = "583920"


@pytest.fixture(scope="module")
def sso_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    # The documented settings, nothing else (README, docs/sso.md); Jenny signs in only
    # through the provider: no password of hers in attest.
    with oidc_world(tmp_path_factory.mktemp("sso-instance")) as world:
        yield {
            "url": world.url,
            "app": world.app,
            "provider": world.provider,
            "memo_id": world.memo_id,
        }


def test_login_attest_with_step_up_and_logout_through_the_provider(chromium, sso_live):
    url, app, provider, memo_id = (sso_live[k] for k in ("url", "app", "provider", "memo_id"))
    context = chromium.new_context(base_url=url, locale="sv-SE")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/auth/login")
        page.get_by_role("link", name="Logga in med Stadens inloggning").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Välj signerings-PIN")
        page.get_by_label("Signerings-PIN", exact=True).fill(PIN)
        page.get_by_label("Upprepa signerings-PIN").fill(PIN)
        page.get_by_role("button", name="Spara signerings-PIN").click()
        expect(page.get_by_role("status").first).to_contain_text("signerings-PIN är sparad")

        page.goto(f"/memos/{memo_id}")
        page.locator("#step-up").click()  # to the provider and back
        expect(page.get_by_text("Din identitet är bekräftad.")).to_be_visible()
        assert provider.requests[-1]["prompt"] == "login"
        page.get_by_label("Signerings-PIN").fill(PIN)
        page.get_by_role("button", name="Attestera").click()
        expect(page.get_by_text("Du har attesterat tjänsteutlåtandet.")).to_be_visible()

        with app.app_context():
            row = db.session().scalars(sa.select(Attestation)).one()
            assert (row.sso_provider, row.sso_subject, row.sso_context) == (
                "oidc:" + provider.url,
                "oidc-sub-jenny",
                HIGH,
            )
            assert row.sso_auth_time is not None and row.certificate_sha256

        page.get_by_role("button", name="Logga ut").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Du är utloggad från attest")
        page.get_by_role("link", name="Logga ut hos identitetsleverantören").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Utloggad hos leverantören")
        assert provider.logouts[-1]["client_id"] == CLIENT_ID
        page.goto(f"/memos/{memo_id}")
        expect(page).to_have_url(f"{url}/auth/login?next=%2Fmemos%2F{memo_id}")
    finally:
        context.close()
