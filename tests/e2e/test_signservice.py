"""One journey in Chromium: an avdelningschef attests through the signature service.

attest's page posts the SignRequest to the test service (tests/support/signservice.py) on
127.0.0.1 by its static script; the service's page posts the SignResponse back; attest
completes the attestation. The director then attests with his own key, and the closed PDF
is Giltig offline (attest verify) with the service's CA in --trust, and not without it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterator

import pytest
import sqlalchemy as sa

from attest import blobs, db
from attest.attestation import keystore
from attest.memos.models import Memo
from attest.signservice.operations import set_signing_method
from attest.users.operations import get_user
from attest.verify.cli import main as verify_main
from attest.workflow.models import Submission
from attest.workflow.operations import attest_memo
from tests.support import factories
from tests.support import memos as memo_support
from tests.support.browser import Live, Person, Visit
from tests.support.live import e2e_app, new_organisation, session_keys
from tests.support.servers import thread_server
from tests.support.signservice import Identity, SignService, material, serve

JENNY = Identity("197705232382", "Jenny Johansson")


@pytest.fixture(scope="module")
def service_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, SignService]]:
    instance = tmp_path_factory.mktemp("e2e-signservice")
    found = material()
    service = SignService(found, JENNY, now=lambda: dt.datetime.now(dt.timezone.utc))
    with serve(service) as service_url:
        app = e2e_app(
            instance,
            **found.write(instance / "signservice"),
            SIGNSERVICE_URL=service_url,
        )
        with session_keys(), app.app_context():
            org = new_organisation(app)
            people = factories.people(org)
            set_signing_method(people.avdelningschef, "signservice", JENNY.personnummer)
            db.session().commit()
            persons = {
                role: Person(getattr(people, role).username, getattr(people, role).full_name)
                for role in ("handlaggare", "avdelningschef", "stadsdelsdirektor")
            }
            ca_pem = keystore.ca_path(org.code).read_bytes()
        with thread_server(app) as url:
            service.return_url = url + "/underskrift/svar"
            yield Live(url=url, app=app, people=persons, other_org_memo_id=0, ca_pem=ca_pem), (
                service
            )
        db.engine_of(app).dispose()


def test_attesting_through_the_signature_service_in_chromium(
    chromium: Any, service_live: tuple[Live, SignService], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    live, service = service_live
    memo_id = memo_support.sent_memo(live.app, live.handlaggare, "Attest via underskriftstjänsten")
    context = chromium.new_context(base_url=live.url, locale="sv-SE", accept_downloads=True)
    context.set_default_timeout(20_000)
    try:
        window = Visit(context.new_page(), live, "signservice")
        window.login(live.avdelningschef)
        window.goto(f"/memos/{memo_id}")
        expect(window.page.get_by_label("Lösenord")).to_have_count(0)  # she signs elsewhere
        window.page.get_by_role("button", name="Attestera").click()
        # attest's page posts on by itself (signservice.js, allowed by the CSP's form-action)
        expect(window.page.get_by_role("heading", level=1)).to_have_text(
            "Underskriftstjänsten (test)"
        )
        window.page.get_by_role("button", name="Skriv under").click()
        expect(window.page.get_by_text("Du har attesterat tjänsteutlåtandet.")).to_be_visible()
        window.look("attesterad-via-underskriftstjansten")
    finally:
        context.close()
    assert len(service.requests) == 1

    with live.app.app_context():
        director = get_user(live.stadsdelsdirektor.username)
        attest_memo(db.session().get(Memo, memo_id), director, password=factories.PASSWORD)
        db.session().commit()
        submission = db.session().scalar(sa.select(Submission).where(Submission.memo_id == memo_id))
        pdf = blobs.store().get(submission.current_pdf_sha256)
    (tmp_path / "memo.pdf").write_bytes(pdf)
    (tmp_path / "ca.pem").write_bytes(live.ca_pem)
    service_ca = tmp_path / "signservice-ca.pem"
    service_ca.write_bytes(Path(live.app.config["SIGNSERVICE_CA"]).read_bytes())
    memo, ca = str(tmp_path / "memo.pdf"), str(tmp_path / "ca.pem")
    assert verify_main([memo, "--trust", ca, "--trust", str(service_ca)]) == 0
    assert verify_main([memo, "--trust", ca]) != 0
