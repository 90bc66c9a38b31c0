"""The JSON API as a program uses it: a token, JSON in and out, problem details back;
and a webhook receiver on 127.0.0.1 that checks signatures with the reference library."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

from standardwebhooks import Webhook, WebhookVerificationError

from attest import db
from attest.api.tokens import create_token
from attest.orgs.operations import get_organisation
from tests.support import factories


def register_webhook(app, url: str, events, org_code: str = "EÅV") -> str:
    """A committed webhook endpoint of the organisation; its whsec_ secret."""
    from attest.webhooks.operations import add_endpoint

    with app.app_context():
        added = add_endpoint(get_organisation(org_code), url, list(events))
        db.session().commit()
        return added.secret


def make_token(
    app, org_code: str = "EÅV", name: str = "diariet", scopes=("memos:read", "memos:write")
) -> str:
    """A committed token of the organisation; its secret."""
    with app.app_context():
        created = create_token(get_organisation(org_code), name, list(scopes))
        db.session().commit()
        return created.secret


class ApiClient:
    """Flask's test client with a token: JSON in, JSON (or a PDF) out."""

    def __init__(self, client, token: str | None, language: str | None = None) -> None:
        self.client = client
        self.token = token
        self.language = language

    def headers(self, **extra: str) -> dict[str, str]:
        headers = dict(extra)
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.language:
            headers["Accept-Language"] = self.language
        return headers

    def get(self, path: str, **kwargs: Any):
        return self.client.get(path, headers=self.headers(), **kwargs)

    def post(self, path: str, body: Any):
        return self.client.post(path, json=body, headers=self.headers())

    def put(self, path: str, body: Any):
        return self.client.put(path, json=body, headers=self.headers())


def bilaga(name: str = "bilaga.pdf", pages: int = 1, text: str = "Bilagans text", **extra: Any):
    """A bilaga as the API takes it: a real PDF in base64."""
    content = base64.b64encode(factories.pdf_bytes(pages, text)).decode()
    return {"filename": name, "content": content, **extra}


def draft(author: str, **fields: Any) -> dict[str, Any]:
    return {"author": author, "rubrik": "Läxhjälp i Rågsved", **fields}


# --- a webhook receiver -----------------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: Any  # the payload if the signature checked out, else the error


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that takes webhooks, verifying each with standardwebhooks.

    ``status`` is what it answers; ``hold`` makes it wait (set the event to let it answer).
    """

    secret: str = ""
    status: int = 204
    received: list[Received] = field(default_factory=list)
    hold: threading.Event | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def verified(self) -> list[Any]:
        return [r.verified for r in self.received if not isinstance(r.verified, Exception)]


@contextlib.contextmanager
def webhook_receiver(path: str = "/hook") -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {k: v for k, v in self.headers.items()}
            try:
                verified: Any = Webhook(receiver.secret).verify(body, headers)
            except (WebhookVerificationError, ValueError) as exc:
                verified = exc
            receiver.received.append(Received(headers, body, verified))
            receiver.arrived.set()
            if receiver.hold is not None:
                receiver.hold.wait(60)
            self.send_response(receiver.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_port}{path}"
    try:
        yield receiver
    finally:
        if receiver.hold is not None:
            receiver.hold.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def payloads(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in receiver.received]
