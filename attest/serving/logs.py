"""Structured JSON logs, one object per line, each carrying the request id."""

from __future__ import annotations

import json
import logging
import secrets
import time
from typing import Any

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-Id"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            entry["request_id"] = getattr(g, "request_id", None)
        for key in ("method", "path", "status", "duration_ms", "remote", "user_id"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


JsonFormatter.converter = time.gmtime  # UTC, like every stored time


def configure(level: str = "INFO") -> None:
    """JSON lines on stderr for the whole process (gunicorn workers call this)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # pyHanko logs each failed check of a tampered PDF as a warning with a traceback; the
    # verification result says it in words.
    logging.getLogger("pyhanko").setLevel(logging.ERROR)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.ERROR)


def _safe_request_id(value: str | None) -> str:
    if value and len(value) <= 64 and all(c.isalnum() or c in "-_." for c in value):
        return value
    return secrets.token_hex(8)


def _user_id() -> int | None:
    """The logged-in person's id, if this request loaded them (no query of its own)."""
    user = g.get("_login_user")  # where Flask-Login keeps the request's user
    return user.id if user is not None and user.is_authenticated else None


def init_app(app: Flask) -> None:
    access = logging.getLogger("attest.access")

    def _start() -> None:
        g.request_id = _safe_request_id(request.headers.get(REQUEST_ID_HEADER))
        g.request_started = time.perf_counter()

    # First of all the hooks: one that fails (the session check when the database is down)
    # must still be logged and answered with the request's id.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)

    @app.after_request
    def _finish(response):
        response.headers[REQUEST_ID_HEADER] = getattr(g, "request_id", "")
        started = getattr(g, "request_started", None)
        access.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": (
                    round((time.perf_counter() - started) * 1000, 1) if started else None
                ),
                "remote": request.remote_addr,
                "user_id": _user_id(),
            },
        )
        return response
