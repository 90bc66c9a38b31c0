"""One webhook POST: signed as the Standard Webhooks specification says, sent to the
address that was checked (attest.webhooks.targets), its answer recorded as an attempt."""

from __future__ import annotations

import datetime as dt
import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any, Mapping

from standardwebhooks import Webhook

from attest.webhooks import secrets, targets
from attest.webhooks.models import WebhookDelivery

USER_AGENT = "attest-webhooks/1"
MAX_ANSWER_BYTES = 64 * 1024  # what is read of the receiver's answer, then dropped


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    error: str
    duration_ms: int


def signed_headers(delivery: WebhookDelivery, secret: str, moment: dt.datetime) -> dict[str, str]:
    """webhook-id, webhook-timestamp and webhook-signature (v1, HMAC-SHA256)."""
    signature = Webhook(secret).sign(delivery.message_id, moment, delivery.payload)
    return {
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address; the Host header keeps the name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """The same over TLS: the certificate is checked against the name, not the address."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(  # type: ignore[attr-defined]
            sock, server_hostname=self.host
        )


def post(delivery: WebhookDelivery, moment: dt.datetime, config: Mapping[str, Any]) -> Outcome:
    """POST the delivery's payload; a 2xx answer is success, anything else a failure."""
    started = time.monotonic()
    allow_private = bool(config["WEBHOOK_ALLOW_PRIVATE"])
    try:
        secret = secrets.decrypt(delivery.endpoint.secret_encrypted, delivery.organisation_id)
        parts = targets.check_url(delivery.endpoint.url, allow_private=allow_private)
        address = targets.resolve(parts, allow_private=allow_private)
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        kind = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
        connection = kind(
            parts.hostname or "", port, address, config["WORKER_SEND_TIMEOUT_SECONDS"]
        )
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request(
                "POST",
                path,
                body=delivery.payload.encode(),
                headers=signed_headers(delivery, secret, moment),
            )
            answer = connection.getresponse()
            answer.read(MAX_ANSWER_BYTES)
            status = answer.status
        finally:
            connection.close()
    except targets.TargetRefused as refused:
        return Outcome(False, None, refused.message, _elapsed(started))
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}", _elapsed(started))
    if 200 <= status < 300:
        return Outcome(True, status, "", _elapsed(started))
    return Outcome(False, status, f"HTTP {status}", _elapsed(started))


def _elapsed(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
