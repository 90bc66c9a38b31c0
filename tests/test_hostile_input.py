"""Hostile input: generated requests against every form and upload get a 4xx or a
success, never a 5xx, and a refusal changes nothing that is stored."""

from __future__ import annotations

import urllib.parse
from io import BytesIO

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attest import db
from attest.memos.models import Memo, MemoVersion
from attest.memos.sections import SECTIONS
from tests.support import factories
from tests.support.passes import examples
from tests.support.web import csrf_token

# hundreds of generated requests per test
pytestmark = pytest.mark.slow

SETTINGS = settings(
    max_examples=examples(100),
    deadline=None,
    # The same examples in every run and every xdist worker: a failure is reproducible
    # (hypothesis seeds each test from its name).
    derandomize=True,
    database=None,  # no example database left behind in the checkout
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

MARKUP = st.sampled_from(
    [
        "<b>fet</b>",
        "<font size=40 color=red>x</font>",
        '<img src="/etc/passwd"/>',
        '<a href="javascript:alert(1)">x</a>',
        "<para><seq/></para>",
        "&amp;&lt;&#0;&#x110000;",
        "<script>alert(1)</script>",
        "{{ 7*7 }}{% raw %}",
        "../../etc/passwd",
        "%PDF-1.7",
        "\u202e\u200b\ufeff",
    ]
)
TEXT = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=50),
    MARKUP,
    st.lists(MARKUP, max_size=20).map("".join),
    st.integers(min_value=1, max_value=70_000).map(lambda n: "Å" * n),
)


def _count(app, model) -> int:
    with app.app_context():
        return db.session().scalar(sa.select(sa.func.count()).select_from(model))


def _token(client, path: str) -> str:
    return csrf_token(client.get(path).get_data(as_text=True))


@SETTINGS
@given(username=TEXT, password=TEXT, raw=st.binary(max_size=200))
def test_login_never_fails_with_a_5xx(client, people, username, password, raw):
    token = _token(client, "/auth/login")
    response = client.post(
        "/auth/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code < 500
    body = b"username=" + urllib.parse.quote_from_bytes(raw).encode() + b"&password=x"
    body += b"&csrf_token=" + token.encode()
    response = client.post(
        "/auth/login", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code < 500


@SETTINGS
@given(
    rubrik=TEXT,
    section=st.sampled_from([name for name, _ in SECTIONS]),
    text=TEXT,
    meeting_date=st.one_of(st.text(max_size=20), st.dates().map(str)),
    subsection=st.tuples(TEXT, TEXT),
)
def test_the_memo_form_never_fails_with_a_5xx(
    app, auth, people, rubrik, section, text, meeting_date, subsection
):
    if not auth.client.get("/").status_code == 200:
        auth.login(people.handlaggare.username)
    before = _count(app, MemoVersion)
    data = {
        "rubrik": rubrik,
        "underrubrik": "",
        "meeting_date": meeting_date,
        **{name: "" for name, _ in SECTIONS},
        section: text,
        "subsections-0-title": subsection[0],
        "subsections-0-text": subsection[1],
    }
    response = auth.post("/memos/new", data, page="/memos/new", content_type="multipart/form-data")
    assert response.status_code < 500
    if response.status_code >= 400:
        assert _count(app, MemoVersion) == before


PDF_LIKE = st.one_of(
    st.binary(max_size=2000),
    st.binary(max_size=2000).map(lambda b: b"%PDF-1.7\n" + b),
    st.integers(min_value=10, max_value=900).map(lambda n: factories.pdf_bytes()[:n]),
    st.just(factories.encrypted_pdf_bytes()),
    st.just(b"%PDF-1.7\n" + b"0" * 300_000),  # over the limit set below
)
NAMES = st.sampled_from(
    [
        "bilaga.pdf",
        "../../etc/passwd",
        "..\\..\\win.ini",
        "a\x00b.pdf",
        "rapport.exe",
        "",
        "x" * 400,
    ]
)


@SETTINGS
@given(data=PDF_LIKE, name=NAMES, content_type=st.sampled_from(["application/pdf", "text/html"]))
def test_uploads_never_fail_with_a_5xx_and_refusals_store_nothing(
    app, auth, people, data, name, content_type
):
    app.config["BILAGA_MAX_BYTES"] = 200_000
    if not auth.client.get("/").status_code == 200:
        auth.login(people.handlaggare.username)
    before = (_count(app, Memo), _count(app, MemoVersion))
    form = {"rubrik": "Med bilaga", **{n: "" for n, _ in SECTIONS}, "meeting_date": ""}
    form["bilagor"] = [(BytesIO(data), name, content_type)]
    response = auth.post("/memos/new", form, page="/memos/new", content_type="multipart/form-data")
    assert response.status_code < 500
    if response.status_code >= 400:
        assert (_count(app, Memo), _count(app, MemoVersion)) == before


@SETTINGS
@given(comment=TEXT, query=TEXT, page=st.text(max_size=12))
def test_comments_and_searches_never_fail_with_a_5xx(app, people, comment, query, page):
    from attest.users.operations import get_user
    from attest.workflow.operations import submit_memo
    from tests.support.web import Auth

    with app.app_context():
        memo = db.session().scalar(sa.select(Memo).where(Memo.state == "attest"))
        if memo is None:
            author = get_user(people.handlaggare.username)
            memo = factories.memo(author)
            submit_memo(memo, author)
            db.session().commit()
        memo_id = memo.id
    chef = Auth(app.test_client())
    chef.login(people.avdelningschef.username)
    response = chef.post(
        f"/memos/{memo_id}/returnera", {"comment": comment}, page=f"/memos/{memo_id}"
    )
    assert response.status_code < 500
    with app.app_context():
        state = db.session().get(Memo, memo_id).state
    assert state == ("utkast" if response.status_code == 302 else "attest")
    clerk = Auth(app.test_client())
    clerk.login(people.registrator.username)
    response = clerk.client.get("/attesterade", query_string={"q": query, "sida": page})
    assert response.status_code < 500


@SETTINGS
@given(data=PDF_LIKE)
def test_the_verify_page_never_fails_with_a_5xx(app, auth, signed_people, data):
    if not auth.client.get("/").status_code == 200:
        auth.login(signed_people.registrator.username)
    response = auth.post(
        "/verifiera",
        {"pdf": (BytesIO(data), "fil.pdf")},
        page="/verifiera",
        content_type="multipart/form-data",
    )
    assert response.status_code < 500


def test_a_nul_character_is_refused_before_anything_is_saved(app, auth, people):
    auth.login(people.handlaggare.username)
    before = _count(app, MemoVersion)
    data = {"rubrik": "Med\x00NUL", **{n: "" for n, _ in SECTIONS}, "meeting_date": ""}
    response = auth.post("/memos/new", data, page="/memos/new")
    assert response.status_code == 400 and "otillåtet tecken" in response.get_data(as_text=True)
    assert _count(app, MemoVersion) == before
    assert auth.client.get("/attesterade?q=a%00b").status_code in (400, 403)
