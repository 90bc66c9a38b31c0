"""The organisation's settings, set by its administrator in the browser, are what the PDF
prints; with the diarium numbering, a memo is sent only with a well-formed, unused Dnr."""

from __future__ import annotations

import io

import sqlalchemy as sa
from pypdf import PdfReader

from attest import blobs, db
from attest.audit.models import AuditEvent
from attest.memos.models import Memo
from attest.orgs.models import Organisation
from attest.workflow.models import Submission
from tests.support.memos import memo_form, post_form
from tests.support.web import lock_version

SETTINGS = {
    "name": "Enskede-Årsta-Vantörs stadsdelsförvaltning",
    "short_name": "Enskede-Årsta-Vantör",
    "board": "Enskede-Årsta-Vantörs stadsdelsnämnd",
    "letterhead": "Avdelningen för individ och familj\r\nEnheten för försörjningsstöd",
    "postal_address": "Box 81\r\n121 22 Johanneshov",
    "switchboard": "08-508 14 000",
    "website": "start.stockholm",
    "public_base_url": "https://attest.stockholm.se/",
    "dnr_source": "attest",
}


def _switch(auth, person) -> None:
    auth.logout()
    assert auth.login(person.username).status_code == 302


def _save(auth, **changes):
    return auth.post(
        "/admin/organisation/spara", {**SETTINGS, **changes}, page="/admin/organisation/"
    )


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _new_memo(auth, **fields) -> int:
    response = post_form(auth, "/memos/new", memo_form(**fields))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _send(auth, memo_id: int):
    """Press "Skicka för attest" on the memo's page as it is now."""
    lock = lock_version(auth.client.get(f"/memos/{memo_id}").get_data(as_text=True))
    return auth.post(f"/memos/{memo_id}/skicka", {"lock_version": lock}, page=f"/memos/{memo_id}")


def test_the_pdf_prints_the_settings(app, auth, people):
    auth.login(people.administrator.username)
    page = auth.client.get("/admin/organisation/").get_data(as_text=True)
    assert "Organisationens inställningar" in page
    assert _save(auth).status_code == 302
    saved = auth.client.get("/admin/organisation/").get_data(as_text=True)
    assert "Inställningarna är sparade." in saved
    assert "https://attest.stockholm.se/v/ABCD234567" in saved
    with app.app_context():
        org = db.session().scalar(sa.select(Organisation))
        assert org.letterhead == "Avdelningen för individ och familj\nEnheten för försörjningsstöd"
        assert org.public_base_url == "https://attest.stockholm.se"
        event = db.session().scalar(
            sa.select(AuditEvent).where(AuditEvent.event == "organisation:changed")
        )
        assert event is not None and event.actor_id == people.administrator.id
        assert '"letterhead"' in event.data

    _switch(auth, people.handlaggare)
    memo_id = _new_memo(auth)
    preview = _text(auth.client.get(f"/memos/{memo_id}/pdf").data)
    assert "Enheten för försörjningsstöd" in preview
    assert "121 22 Johanneshov" in preview
    assert _send(auth, memo_id).status_code == 302
    with app.app_context():
        submission = db.session().scalar(sa.select(Submission))
        frozen = _text(blobs.store().get(submission.frozen_pdf_sha256))
    assert f"https://attest.stockholm.se/v/{submission.verification_code}" in frozen
    assert "Avdelningen för individ och familj" in frozen


def test_bad_settings_are_refused_and_nothing_changes(app, auth, people):
    auth.login(people.administrator.username)
    cases = [
        ({"public_base_url": "javascript:alert(1)"}, "Ange den publika adressen"),
        ({"public_base_url": "https://x.se/?a=1"}, "Ange den publika adressen"),
        ({"name": ""}, "Ange ett namn."),
        ({"letterhead": "1\n2\n3\n4\n5"}, "Högst 4 rader"),
        ({"dnr_source": "annat"}, "Välj hur diarienumret sätts."),
        ({"switchboard": "08 中"}, "kan inte skrivas ut i PDF:en"),
    ]
    for changes, message in cases:
        response = _save(auth, **changes)
        assert response.status_code == 400, changes
        assert message in response.get_data(as_text=True), changes
    with app.app_context():
        org = db.session().scalar(sa.select(Organisation))
        assert org.public_base_url == "" and org.letterhead == ""
        assert (
            db.session().scalar(
                sa.select(sa.func.count(AuditEvent.seq)).where(
                    AuditEvent.event == "organisation:changed"
                )
            )
            == 0
        )


def test_with_the_diarium_numbering_a_memo_needs_a_good_unused_dnr(app, auth, people):
    auth.login(people.administrator.username)
    assert _save(auth, dnr_source="diarium").status_code == 302
    _switch(auth, people.handlaggare)
    assert 'name="diarium_dnr"' in auth.client.get("/memos/new").get_data(as_text=True)

    without = _new_memo(auth, rubrik="Utan Dnr")
    refused = _send(auth, without)
    assert refused.status_code == 400
    assert "Ange diariets Dnr innan tjänsteutlåtandet skickas för attest." in refused.get_data(
        as_text=True
    )

    bad = post_form(auth, "/memos/new", memo_form(rubrik="Fel Dnr", diarium_dnr="<script>"))
    assert bad.status_code == 400
    assert "Ett Dnr har högst" in bad.get_data(as_text=True)

    first = _new_memo(auth, rubrik="Med Dnr", diarium_dnr="EÅV 2024/1234")
    taken = post_form(
        auth, "/memos/new", memo_form(rubrik="Samma Dnr", diarium_dnr="EÅV 2024/1234")
    )
    assert taken.status_code == 409
    assert "Dnr EÅV 2024/1234 har redan ett annat tjänsteutlåtande." in taken.get_data(as_text=True)

    assert _send(auth, first).status_code == 302
    with app.app_context():
        memo = db.session().get(Memo, first)
        assert memo.diarium_dnr == "EÅV 2024/1234"
        submission = db.session().scalar(sa.select(Submission).where(Submission.memo_id == first))
        assert "Dnr EÅV 2024/1234" in _text(blobs.store().get(submission.frozen_pdf_sha256))
        assert db.session().scalar(sa.select(sa.func.count(Memo.id))) == 2  # none half-made
