"""pdf.js as attest serves it: its two files as JavaScript, nothing else from its folder, and
a memo page that says so (not a 500) when it is not installed. Drawing the pages in
Chromium: tests/e2e/test_pages.py."""

from __future__ import annotations

import json

import pytest

from attest import db, paths
from attest.memos import pdfviewer
from attest.security import CONTENT_SECURITY_POLICY
from attest.users.operations import get_user
from attest.workflow import operations
from tests.support import factories

PDFJS = paths.pdfjs_dir()
VERSION = json.loads((PDFJS / "package.json").read_text())["version"]
MISSING = "PDF-visaren (pdf.js) är inte installerad på servern"


def _sent_memo(app, people) -> int:
    with app.app_context():
        author = get_user(people.handlaggare.username)
        memo = factories.memo(author, rubrik="Ett skickat ärende")
        operations.submit_memo(memo, author)
        db.session().commit()
        return memo.id


@pytest.mark.once
def test_the_library_and_its_worker_are_served_as_javascript_and_nothing_else(client):
    assert (
        VERSION
        == json.loads((paths.PACKAGE_DIR.parent / "package.json").read_text())["dependencies"][
            "pdfjs-dist"
        ]
    ), "npm ci: node_modules has another pdf.js than package.json pins"
    for name in (pdfviewer.LIBRARY, pdfviewer.WORKER):
        response = client.get(f"/pdfjs/{VERSION}/{name}")
        assert response.status_code == 200
        assert response.mimetype == "text/javascript"
        assert response.data == (PDFJS / name).read_bytes()
        assert "no-store" not in response.headers["Cache-Control"]  # a day in the cache
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert (
        client.get(f"/pdfjs/{VERSION}/standard_fonts/LiberationSans-Regular.ttf").status_code == 200
    )
    for refused in (
        f"/pdfjs/{VERSION}/build/pdf.mjs",  # there, but not one the viewer loads
        f"/pdfjs/{VERSION}/package.json",
        f"/pdfjs/{VERSION}/standard_fonts/../package.json",
        f"/pdfjs/{VERSION}/standard_fonts/..%2f..%2fpackage.json",
        f"/pdfjs/0.0.1/{pdfviewer.LIBRARY}",  # not the version installed
    ):
        assert client.get(refused).status_code == 404, refused


def test_the_memo_page_loads_the_viewer_once_sent_and_says_so_without_pdfjs(
    app, auth, people, tmp_path
):
    memo_id = _sent_memo(app, people)
    auth.login(people.avdelningschef.username)
    page = auth.client.get(f"/memos/{memo_id}").get_data(as_text=True)
    assert f'data-pdf="/memos/{memo_id}/pdf"' in page
    assert f'data-library="/pdfjs/{VERSION}/{pdfviewer.LIBRARY}"' in page
    assert 'href="#actions-heading"' in page  # the way from the top to Attestera
    assert 'src="/static/pdfview.js"' in page
    assert MISSING not in page

    # A server where `npm ci` never ran: the page says so and links to the PDF, no 500.
    app.config["PDFJS_DIR"] = str(tmp_path / "no-npm-ci-here")
    response = auth.client.get(f"/memos/{memo_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert MISSING in page
    assert f'href="/memos/{memo_id}/pdf"' in page
    assert "pdfview.js" not in page
    assert auth.client.get(f"/pdfjs/{VERSION}/{pdfviewer.LIBRARY}").status_code == 404
