"""Bounded work per request: an oversize body is a Swedish 413, the attester's diff has a
size and time budget, a version's preview PDF is rendered once and stored."""

from __future__ import annotations

import socket

import pytest

from tests.support import factories
from tests.support.servers import Server, server_env

TOO_LARGE_TITLE = "Filen är för stor"


def _too_large_page(response) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == 413, html[:500]
    assert '<html lang="sv">' in html and TOO_LARGE_TITLE in html
    assert "Traceback" not in html
    return html


def test_a_body_over_the_limit_is_a_swedish_413_page(app, auth, people, client):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    auth.login(people.handlaggare.username)
    response = client.post("/memos/new", data={"rubrik": "x" * 20_000})
    html = _too_large_page(response)
    assert "högst" in html  # says what the limit is
    assert 'action="/auth/logout"' in html  # the page around it as usual


def test_a_content_length_alone_saying_too_much_is_a_413_too(app, client):
    response = client.post(
        "/auth/login",
        data=b"username=x",
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"CONTENT_LENGTH": str(10**9)},  # what the header says
    )
    _too_large_page(response)


@pytest.mark.system
def test_gunicorn_answers_an_oversize_body_with_413_and_logs_no_traceback(app, tmp_path):
    """As the review found it: `attest serve --prod`, a header announcing 100 MB."""
    log = tmp_path / "server.log"
    with Server(server_env(app), log) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            sock.sendall(
                b"POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 100000000\r\nConnection: close\r\n\r\nusername=x"
            )
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413"), head
        assert TOO_LARGE_TITLE in body.decode()
    assert "Traceback" not in server.output(tail=None)


# --- the attester's "changes since" --------------------------------------------------


def _prose(words: int, seed: int) -> str:
    """Swedish-looking text of short, much repeated words: what makes a diff work hard."""
    import random

    rng = random.Random(seed)
    vocabulary = ["och", "att", "det", "som", "en", "på", "är", "av", "för", "med", "till"] + [
        f"o{n}" for n in range(150)
    ]
    return " ".join(rng.choice(vocabulary) for _ in range(words))


def _version(**sections):
    from attest.memos.models import MemoVersion
    from attest.memos.sections import SECTIONS

    fields = {"rubrik": "Rubrik", "underrubrik": "", "meeting_date": None}
    fields.update({name: "" for name, _ in SECTIONS})
    fields.update(sections)
    version = MemoVersion(subsections_json="[]", **fields)
    version.attachments = []
    return version


def _edited(text: str, every: int) -> str:
    words = text.split()
    for n in range(0, len(words), every):
        words[n] = "ändrat"
    return " ".join(words)


def test_a_long_section_changed_all_over_falls_back_within_the_budget():
    """9 000 words changed every 50th word: compared word by word this took the review's
    52 s; now at most the budget, and the section says it changed, with both versions."""
    import time

    from attest.memos.diff import changes

    before = _prose(9000, seed=1)
    after = _edited(before, 50)
    assert len(after) <= 50_000  # a section as long as the form takes
    started = time.monotonic()
    [change] = changes(_version(arendet=before), _version(arendet=after))
    elapsed = time.monotonic() - started
    assert elapsed < 3, f"{elapsed:.1f} s"
    assert change.title == "Ärendet" and change.summarised
    assert change.before == before and change.after == after
    assert change.pieces == ()


def test_a_short_change_is_still_shown_word_by_word():
    from attest.memos.diff import changes

    before = _prose(600, seed=2)
    [change] = changes(_version(bakgrund=before), _version(bakgrund=_edited(before, 100)))
    assert not change.summarised
    assert [p.text for p in change.pieces if p.kind == "added"] == ["ändrat"] * 6


def test_the_time_budget_is_what_stops_a_diff(monkeypatch):
    from attest.memos import diff

    monkeypatch.setattr(diff, "DIFF_SECONDS", 0.0)
    before = _prose(600, seed=3)
    [change] = diff.changes(_version(bakgrund=before), _version(bakgrund=_edited(before, 100)))
    assert change.summarised


@pytest.mark.slow
def test_the_attesters_page_with_a_long_change_answers_quickly(app, people, auth, client):
    import time

    from attest import db
    from attest.memos.operations import create_memo, save_draft
    from attest.users.operations import get_user
    from attest.workflow.operations import return_memo, submit_memo

    before = _prose(9000, seed=4)
    with app.app_context():
        author = get_user(people.handlaggare.username)
        chef = get_user(people.avdelningschef.username)
        memo = create_memo(author, factories.content(rubrik="Långt", arendet=before))
        submit_memo(memo, author)
        return_memo(memo, chef, "Skriv om det.")
        save_draft(memo, author, factories.content(rubrik="Långt", arendet=_edited(before, 50)))
        submit_memo(memo, author)
        db.session().commit()
        memo_id = memo.id
    auth.login(people.avdelningschef.username)
    started = time.monotonic()
    page = client.get(f"/memos/{memo_id}").get_data(as_text=True)
    elapsed = time.monotonic() - started
    assert elapsed < 10, f"{elapsed:.1f} s"
    assert "Avsnittet har ändrats" in page and "Före" in page and "Efter" in page


# --- the preview PDF: rendered once per version, stored --------------------------------


def _draft(app, people, **fields) -> int:
    from attest.memos.operations import DraftContent, create_memo
    from attest.users.operations import get_user

    with app.app_context():
        author = get_user(people.handlaggare.username)
        memo = create_memo(author, DraftContent(rubrik="Förhandsgranskning", **fields))
        from attest import db

        db.session().commit()
        return memo.id


def test_a_versions_preview_is_rendered_once_and_then_read(app, people, auth, client, monkeypatch):
    from attest.memos import rendering

    memo_id = _draft(app, people, sammanfattning="Kort text.")
    renders = []
    real = rendering.render_memo
    monkeypatch.setattr(rendering, "render_memo", lambda doc: renders.append(1) or real(doc))
    auth.login(people.handlaggare.username)
    first = client.get(f"/memos/{memo_id}/pdf")
    assert first.status_code == 200 and first.data.startswith(b"%PDF-")
    auth.logout()
    auth.login(people.avdelningschef.username)  # another person of the organisation
    second = client.get(f"/memos/{memo_id}/pdf")
    third = client.get(f"/memos/{memo_id}/versions/1/pdf")
    assert second.data == first.data == third.data
    assert len(renders) == 1


def test_a_stored_preview_follows_what_it_shows(app, people, auth, client):
    """The route's people and the organisation's letterhead are in the preview: when they
    change, the next preview is rendered anew (and stored), never an out-of-date one."""
    from attest import db
    from attest.orgs.models import Organisation

    memo_id = _draft(app, people)
    auth.login(people.handlaggare.username)
    before = client.get(f"/memos/{memo_id}/pdf").data
    with app.app_context():
        org = db.session().get(Organisation, people.handlaggare.organisation_id)
        org.switchboard = "08-508 99 999"
        db.session().commit()
    after = client.get(f"/memos/{memo_id}/pdf").data
    assert after != before
    from tests.support.pdftools import pdftotext

    assert "08-508 99 999" in pdftotext(after)


def test_a_memo_longer_than_the_limit_is_refused_with_the_reason(app, people):
    from attest.errors import Invalid
    from attest.memos.operations import MAX_MEMO_LENGTH, DraftContent, create_memo
    from attest.users.operations import get_user

    part = "ord " * 10_000
    subsections = [(f"Del {n}", part) for n in range(MAX_MEMO_LENGTH // len(part) + 1)]
    with app.app_context():
        author = get_user(people.handlaggare.username)
        with pytest.raises(Invalid, match="högst"):
            create_memo(author, DraftContent(rubrik="För långt", subsections=subsections))
