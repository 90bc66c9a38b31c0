"""Absolute links for what leaves the app (e-mails, the PDF footer), built from BASE_URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, *, base_url: str = "", **values: Any) -> str:
    """The route's URL under ``base_url`` (an organisation's public address) or BASE_URL;
    works in a request, the CLI and the engine alike."""
    parts = urlsplit(base_url or current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        parts.netloc, url_scheme=parts.scheme or "http", script_name=parts.path or "/"
    )
    return adapter.build(endpoint, values, force_external=True)
