"""Bounded work per request: an oversize body is a Swedish 413, the attester's diff has a
size and time budget, a version's preview PDF is rendered once and stored."""

from __future__ import annotations

import socket

import pytest

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
