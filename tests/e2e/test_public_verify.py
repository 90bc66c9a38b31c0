"""Whoever holds the paper, in Chromium without a login: the QR code's link of an attested memo
shows its verdict and checks a copy; the same link of a pending memo is not found."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from attest import blobs, db
from attest.workflow.models import Submission
from tests.support.browser import Live, memo_in_state
from tests.support.pdftools import poppler

pytestmark = pytest.mark.system


def qr_link(pdf: bytes, tmp_path: Path) -> str:
    """The link a phone reads from the first page's QR code, printed at 100 dpi."""
    import zxingcpp
    from PIL import Image

    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "memo.pdf").write_bytes(pdf)
    subprocess.run(
        [poppler("pdftoppm"), "-r", "100", "-f", "1", "-l", "1", "-png", "memo.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    [image] = tmp_path.glob("page*.png")
    [found] = zxingcpp.read_barcodes(Image.open(image))
    return found.text


def stored_pdf(live: Live, memo_id: int) -> bytes:
    with live.app.app_context():
        submission = db.session().scalar(sa.select(Submission).where(Submission.memo_id == memo_id))
        return blobs.store().get(submission.current_pdf_sha256)


def test_an_anonymous_phone_opens_the_qr_link_and_sees_the_verdict(visit, live: Live, tmp_path):
    attested = memo_in_state(live, "attesterad", "Kolloverksamhet sommaren 2025")
    pending = memo_in_state(live, "hos_avdelningschef", "Ännu inte attesterat")
    pdf = stored_pdf(live, attested)
    link = qr_link(pdf, tmp_path / "attested")
    path = urlsplit(link).path
    assert path.startswith("/v/")

    anyone = visit()  # nobody logged in
    anyone.goto(path)
    main = anyone.page.get_by_role("main")
    expect(anyone.page.get_by_role("heading", level=2, name="Resultat: Giltig")).to_be_visible()
    expect(main).to_contain_text("Kolloverksamhet sommaren 2025")
    expect(main).to_contain_text(live.avdelningschef.full_name)
    expect(main).to_contain_text(live.stadsdelsdirektor.full_name)
    anyone.look("public-verify")

    # The copy the person holds, checked on the same page.
    copy = tmp_path / "kopia.pdf"
    copy.write_bytes(pdf)
    anyone.page.get_by_label("Din PDF-fil").set_input_files(str(copy))
    anyone.page.get_by_role("button", name="Jämför").click()
    expect(main).to_contain_text("Exakt den attesterade PDF-filen")
    anyone.look("public-verify-copy")

    # The same kind of link of a memo still being attested: not found, as an unknown code.
    pending_path = urlsplit(qr_link(stored_pdf(live, pending), tmp_path / "pending")).path
    response = anyone.goto(pending_path)
    assert response is not None and response.status == 404
    expect(anyone.page.get_by_role("heading", level=1)).to_have_text("Sidan finns inte")
    expect(main).not_to_contain_text("Ännu inte attesterat")
