"""The issue's "done when": a script that knows only the OpenAPI document and a token
makes a draft with a bilaga; people send and attest it in the browser; the script receives
the signed memo.attested webhook, downloads the attested PDF, and `attest verify` calls it
Giltig."""

from __future__ import annotations

import base64
import json
import subprocess
import urllib.request
from typing import Any

import pytest

from attest.attestation import keystore
from tests.support import factories
from tests.support.api import make_token, register_webhook, webhook_receiver
from tests.support.servers import ATTEST, thread_server
from tests.support.web import Auth, Browser
from tests.support.worker import run_worker_once

pytestmark = [pytest.mark.system, pytest.mark.slow]


class Script:
    """What a diarium's integration would be: the OpenAPI document, a token, urllib."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.token = token
        with urllib.request.urlopen(f"{base_url}/api/v1/openapi.json", timeout=30) as reply:
            self.spec = json.load(reply)

    def path(self, method: str, wants) -> str:
        """The one path whose ``method`` operation satisfies ``wants``."""
        found = [
            path
            for path, item in self.spec["paths"].items()
            if method in item and wants(item[method])
        ]
        assert len(found) == 1, found
        return found[0]

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, bytes, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method.upper())
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, reply.read(), reply.headers


def _schema(spec: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    return spec["components"]["schemas"][ref["$ref"].split("/")[-1]]


def test_a_script_with_the_openapi_document_and_a_token_gets_a_valid_attested_pdf(
    app, signed_people, tmp_path
):
    people = signed_people
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    token = make_token(app)
    with webhook_receiver() as receiver, thread_server(app) as base_url:
        receiver.secret = register_webhook(app, receiver.url, ["memo.attested"])
        script = Script(base_url, token)

        # The operation that takes a body with an author is the one that makes a draft.
        def makes_drafts(operation):
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            return bool(body) and "author" in _schema(script.spec, body["schema"])["properties"]

        create = script.path("post", makes_drafts)
        status, body, _ = script.call(
            "post",
            create,
            {
                "author": people.handlaggare.username,
                "rubrik": "Idéburet offentligt partnerskap",
                "sammanfattning": "Slutrapporten summerar verksamheten.",
                # What the memo type requires before it is sent.
                "forslag_till_beslut": "Nämnden godkänner slutrapporten.",
                "meeting_date": "2024-09-19",
                "bilagor": [
                    {
                        "filename": "slutrapport.pdf",
                        "content": base64.b64encode(factories.pdf_bytes(2, "Slutrapport")).decode(),
                    }
                ],
            },
        )
        assert status == 201
        memo = json.loads(body)
        assert [b["filename"] for b in memo["bilagor"]] == ["slutrapport.pdf"]

        # People: the handläggare sends it, the two attest it with their own passwords.
        browser = Browser(app.test_client(), None)
        browser.auth = Auth(browser.client)
        browser.login(people.handlaggare)
        page = browser.open(f"/memos/{memo['id']}")
        page = browser.press_and_follow(page, "Skicka för attest")
        for person in (people.avdelningschef, people.stadsdelsdirektor):
            browser.login(person)
            page = browser.open(f"/memos/{memo['id']}")
            page = browser.press_and_follow(page, "Attestera", password=factories.PASSWORD)
        assert "Status: Attesterad" in page.text

        # The worker delivers the webhook; the receiver checks it with the reference library.
        run_worker_once(app, tmp_path / "worker.log", WEBHOOK_ALLOW_PRIVATE="true")
        [event] = receiver.received
        assert not isinstance(event.verified, Exception), event.verified
        assert event.verified["type"] == "memo.attested"
        pdf_url = event.verified["data"]["links"]["attested_pdf"]

        # The PDF the webhook points to, through the operation the document names for it.
        def gives_pdfs(operation):
            return "application/pdf" in operation["responses"].get("200", {}).get("content", {})

        paths = [p for p in script.spec["paths"] if "get" in script.spec["paths"][p]]
        assert any(pdf_url.endswith(p.replace("{memo_id}", str(memo["id"]))) for p in paths)
        attested = next(
            p
            for p in paths
            if p.endswith("attested.pdf") and gives_pdfs(script.spec["paths"][p]["get"])
        )
        status, pdf, headers = script.call("get", attested.replace("{memo_id}", str(memo["id"])))
        assert status == 200 and headers["Content-Type"] == "application/pdf"

    (tmp_path / "attesterad.pdf").write_bytes(pdf)
    with app.app_context():
        ca = keystore.ca_path("EÅV")  # what the organisation hands out: keys/EÅV-ca.pem
    verified = subprocess.run(
        [str(ATTEST), "verify", str(tmp_path / "attesterad.pdf"), "--trust", str(ca)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert ": Giltig" in verified.stdout
