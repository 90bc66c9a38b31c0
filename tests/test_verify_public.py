"""/v/<code> for whoever holds the paper: no login for an attested memo, 404 for any other
code, a copy checked against the attested PDF, a rate limit per address; and the QR code
in the PDF footer that carries the link."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
import subprocess
from html import unescape

import pytest
import sqlalchemy as sa

from attest import db
from attest.audit.models import AuditEvent
from attest.pdf import render_memo
from attest.users.operations import get_user
from attest.verify.public import PUBLIC_LOOKED_AT, PUBLIC_THROTTLED
from attest.workflow.models import Submission
from attest.workflow.operations import withdraw_memo
from tests.support import tamper
from tests.support.memos import sent_memo
from tests.support.pdfa import assert_pdfa
from tests.support.pdftools import poppler
from tests.support.signing import reference_doc
from tests.support.web import csrf_token


def text_of(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.get_data(as_text=True), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def events(app, name: str) -> list[dict]:
    with app.app_context():
        rows = db.session().scalars(
            sa.select(AuditEvent).where(AuditEvent.event == name).order_by(AuditEvent.seq)
        )
        return [json.loads(row.data) for row in rows]


def same_page(response, code: str, unknown) -> bool:
    """The same page as for the unknown code AAAAAAAAAA, but for the code in its links."""

    def page(response, code: str) -> str:
        html = response.get_data(as_text=True).replace(code, "AAAAAAAAAA")
        return re.sub(r'name="csrf_token" value="[^"]*"', "", html)  # the session's own

    return response.status_code == 404 and page(response, code) == page(unknown, "AAAAAAAAAA")


def send_copy(client, code: str, data: bytes, filename: str = "kopia.pdf"):
    """The page's form with the file (the CSRF token is the session's: a light page gives
    it without verifying the stored PDF once more)."""
    page = client.get("/auth/login")
    return client.post(
        f"/v/{code}/kopia",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "pdf": (io.BytesIO(data), filename),
        },
        content_type="multipart/form-data",
    )


# --- Looking without a login ------------------------------------------------------------------


def test_an_outsider_sees_the_verdict_and_who_attested_but_nothing_internal(
    app, client, attested, signed_people
):
    response = client.get(f"/v/{attested.code}")
    assert response.status_code == 200
    text = text_of(response)
    assert "Verifiering av EÅV 2024/1" in text and "Resultat: Giltig" in text
    assert "Idéburet offentligt partnerskap" in text  # the rubrik
    assert f"{signed_people.avdelningschef.full_name} Avdelningschef" in text
    assert f"{signed_people.stadsdelsdirektor.full_name} Stadsdelsdirektör" in text
    assert "2024-08-14" in text  # the dates of the "Attesterat av" table
    assert hashlib.sha256(attested.pdf).hexdigest() in text
    assert "allmän handling" in text
    # Nothing but that: no e-mail, no person identifiers, no check texts, no memo link.
    html = response.get_data(as_text=True)
    assert "@" not in text and "attest:" not in text
    assert "granskningslogg" not in text.replace("skrivs i attests granskningslogg", "")
    assert "/memos/" not in html and "Logga ut" not in text
    assert response.headers["Cache-Control"] == "no-store"
    [event] = events(app, PUBLIC_LOOKED_AT)
    assert event["source"] == "public-link" and event["verdict"] == "valid"
    assert event["submission"] == attested.submission_id
    assert client.get(f"/v/{attested.code.lower()}").status_code == 200  # typed from paper


def test_a_pending_withdrawn_or_unknown_code_is_404_alike_and_members_still_see_theirs(
    app, client, auth, signed_people
):
    memo_id = sent_memo(app, signed_people.handlaggare)
    with app.app_context():
        pending = db.session().scalar(sa.select(Submission).where(Submission.memo_id == memo_id))
        code = pending.verification_code
    unknown = client.get("/v/AAAAAAAAAA")
    response = client.get(f"/v/{code}")
    assert response.status_code == unknown.status_code == 404
    assert same_page(response, code, unknown)  # indistinguishable
    auth.login(signed_people.registrator.username)  # the organisation: today's full report
    member = client.get(f"/v/{code}")
    assert member.status_code == 200 and "attesteras fortfarande" in text_of(member)
    auth.logout()
    with app.app_context():
        from attest.memos.models import Memo

        memo = db.session().get(Memo, memo_id)
        withdraw_memo(memo, get_user(signed_people.handlaggare.username))
        db.session().commit()
    assert same_page(app.test_client().get(f"/v/{code}"), code, unknown)  # a new browser
    assert events(app, PUBLIC_LOOKED_AT) == []


def test_the_code_field_goes_to_the_code_and_refuses_what_is_no_code(client, attested):
    link = f"http://127.0.0.1:5000/v/{attested.code}"
    for typed in (attested.code.lower(), f" {link} "):
        response = client.get("/v", query_string={"kod": typed})
        assert response.status_code == 302
        assert response.headers["Location"] == f"/v/{attested.code}"
    response = client.get("/v", query_string={"kod": "<b>?"})
    assert response.status_code == 400 and "ingen verifieringskod" in text_of(response)
    assert 'id="kod"' in client.get("/v").get_data(as_text=True)


def test_the_verify_page_has_the_code_field(auth, signed_people, client):
    auth.login(signed_people.registrator.username)
    html = client.get("/verifiera").get_data(as_text=True)
    assert re.search(r'<form method="get" action="/v"', html)
    assert '<label for="kod">Verifieringskod</label>' in html


def test_an_address_is_limited_and_told_so_in_swedish(app, client):
    app.config["PUBLIC_VERIFY_RATE_PER_MINUTE"] = 2
    assert [client.get("/v/AAAAAAAAAA").status_code for _ in range(2)] == [404, 404]
    for _ in range(2):
        response = client.get("/v/AAAAAAAAAA")
        assert response.status_code == 429
        assert "För många verifieringar från din adress. Vänta 1 minut" in text_of(response)
        assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert len(events(app, PUBLIC_THROTTLED)) == 1  # once a minute, not once per request
    other = client.get("/v/AAAAAAAAAA", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 404  # another address has its own budget


# --- A copy checked against the attested PDF ----------------------------------------------------


def test_the_attested_pdf_itself_matches(app, client, attested):
    response = send_copy(client, attested.code, attested.pdf)
    assert response.status_code == 200
    text = text_of(response)
    assert "Din fil: Exakt den attesterade PDF-filen" in text
    event = events(app, PUBLIC_LOOKED_AT)[-1]
    assert event["source"] == "public-upload" and event["outcome"] == "identical"
    assert event["sha256"] == hashlib.sha256(attested.pdf).hexdigest()


def test_a_copy_from_before_a_renewed_archive_timestamp_is_a_valid_copy(app, client, attested):
    """The stored PDF gained a further document timestamp after the copy was downloaded:
    not the same bytes, yet the same memo, attested by the same people."""
    from attest import blobs, clock
    from attest.attestation import keystore, pades
    from attest.attestation.hooks import timestamper
    from attest.attestation.personal import current_crl

    with app.app_context():
        submission = db.session().get(Submission, attested.submission_id)
        org = submission.memo.organisation
        pki = keystore.org_pki(org)
        renewed = pades.archive(
            attested.pdf, pki, timestamper(org, pki), [current_crl(org)], clock.now()
        )
        submission.current_pdf_sha256 = blobs.store().put(renewed)
        db.session().commit()
    response = send_copy(client, attested.code, attested.pdf)
    text = text_of(response)
    assert "Resultat: Giltig" in text  # the renewed stored PDF
    assert "Din fil: En giltig attesterad kopia" in text
    assert events(app, PUBLIC_LOOKED_AT)[-1]["outcome"] == "valid_copy"


def test_a_tampered_copy_does_not_match(app, client, attested):
    """The tamper twin: one byte of the memo's content changed."""
    forged = tamper.flip_byte_in_first_revision(attested.pdf)
    text = text_of(send_copy(client, attested.code, forged))
    assert "Din fil: Stämmer inte" in text and "Kontrollen av filen: Ogiltig" in text
    assert hashlib.sha256(forged).hexdigest() in text
    assert events(app, PUBLIC_LOOKED_AT)[-1]["outcome"] == "no_match"


def test_another_memos_genuine_pdf_does_not_match(app, client, three_days):
    first, second = three_days[:2]
    text = text_of(send_copy(client, first.code, second.pdf))
    assert "Din fil: Stämmer inte" in text and "Kontrollen av filen: Ogiltig" in text
    assert "EÅV 2024/2" not in text.replace(f"/v/{first.code}", "")  # nothing of the other


def test_an_oversize_upload_is_refused_and_nothing_recorded(app, client, attested):
    app.config["BILAGA_MAX_BYTES"] = 1024 * 1024
    response = send_copy(client, attested.code, b"%PDF-1.7\n" + b"0" * (1024 * 1024))
    assert response.status_code == 413
    assert "Filen är för stor" in text_of(response)
    assert events(app, PUBLIC_LOOKED_AT) == []


def test_no_file_and_no_pdf_are_refused_in_swedish(app, client, attested):
    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    response = client.post(
        f"/v/{attested.code}/kopia", data={"csrf_token": token}, content_type="multipart/form-data"
    )
    assert response.status_code == 400 and "Välj en PDF-fil att jämföra." in text_of(response)
    response = send_copy(client, attested.code, b"inte en pdf")
    assert response.status_code == 400 and "Din fil:" not in text_of(response)


# --- The QR code in the footer ------------------------------------------------------------------


@pytest.mark.once
def test_the_footer_qr_code_reads_as_the_link_and_the_pdf_stays_pdfa(tmp_path):
    import zxingcpp
    from PIL import Image

    link = "https://attest.stockholm.se/v/ABCD234567"
    pdf = render_memo(dataclasses.replace(reference_doc(), verification_url=link)).pdf
    assert_pdfa(pdf, "a memo with the QR code")
    (tmp_path / "memo.pdf").write_bytes(pdf)
    # What a phone sees of a printout: page 1 at 100 dpi, a 0.5 mm module is ~2 pixels.
    subprocess.run(
        [poppler("pdftoppm"), "-r", "100", "-f", "1", "-l", "1", "-png", "memo.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    [image_path] = tmp_path.glob("page*.png")
    image = Image.open(image_path)
    [found] = zxingcpp.read_barcodes(image)
    assert found.format == zxingcpp.BarcodeFormat.QRCode and found.text == link
    # In the bottom right corner, below the footer's rule, clear of the text.
    width, height = image.size
    position = found.position
    xs = [p.x for p in (position.top_left, position.bottom_right)]
    ys = [p.y for p in (position.top_left, position.bottom_right)]
    assert min(xs) > width * 0.75 and min(ys) > height - (27 / 297) * height
