"""Errors of the API as RFC 9457 problem details (``application/problem+json``).

``title`` and ``detail`` are Swedish, or English when the request's Accept-Language asks
for it (attest.i18n): the same catalogue as the pages. Field errors of a request body or
query (422) come as ``errors``: the field's name and what is wrong with it.
"""

from __future__ import annotations

from typing import Any, Mapping

import marshmallow as ma
from flask import current_app, json, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from attest.i18n import _l
from attest.web import ERROR_MESSAGES, ERROR_TITLES

MEDIA_TYPE = "application/problem+json"

_MESSAGES = {
    **ERROR_MESSAGES,
    401: _l("Ange en giltig API-token: Authorization: Bearer <token>."),
    404: _l("Det finns inget sådant, eller så har din token inte tillgång till det."),
    422: _l("Uppgifterna i begäran är felaktiga; se errors."),
}


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details (with attest's extension member ``errors``)."""

    type = ma.fields.String(metadata={"description": "about:blank"})
    title = ma.fields.String(metadata={"description": "Vad som gick fel, kort."})
    status = ma.fields.Integer()
    detail = ma.fields.String(metadata={"description": "Varför, och vad du kan göra."})
    instance = ma.fields.String(metadata={"description": "Sökvägen som begärdes."})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Fält med fel (422): fältets namn och felen."},
    )


def _field_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs' {"json": {"bilagor": {0: {"content": [...]}}}} as {"bilagor.0.content": [...]}."""
    found: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if not prefix and key in ("json", "query", "querystring", "form", "headers"):
                found.update(_field_errors(value, ""))
                continue
            name = f"{prefix}.{key}" if prefix else str(key)
            found.update(_field_errors(value, name))
    elif isinstance(messages, (list, tuple)) and not any(
        isinstance(m, (Mapping, list, tuple)) for m in messages
    ):
        found[prefix or "_schema"] = [str(m) for m in messages]
    elif isinstance(messages, (list, tuple)):
        for index, value in enumerate(messages):
            found.update(_field_errors(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        found[prefix or "_schema"] = [str(messages)]
    return found


def render(
    status: int,
    message: str | None,
    headers: Mapping[str, str] | None,
    exc: BaseException | None,
):
    """The problem response for an error under /api/ (attest.web calls it)."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": str(ERROR_TITLES.get(status, _l("Fel"))),
        "status": status,
        "detail": str(message or _MESSAGES.get(status, "")),
        "instance": request.path,
    }
    extra = dict(headers or {})
    data = getattr(exc, "data", None) if isinstance(exc, HTTPException) else None
    if isinstance(data, Mapping):
        messages = data.get("messages") or data.get("errors")
        if messages:
            body["errors"] = _field_errors(messages)
            fields = ", ".join(sorted(body["errors"]))
            body["detail"] = _("Uppgifterna i begäran är felaktiga: %(fields)s.", fields=fields)
        extra.update(data.get("headers") or {})
    allowed = getattr(exc, "valid_methods", None)  # werkzeug's MethodNotAllowed
    if status == 405 and allowed:
        extra.setdefault("Allow", ", ".join(allowed))
    if status == 401:
        extra.setdefault("WWW-Authenticate", 'Bearer realm="attest"')
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE
    )
    response.headers.extend(extra)
    response.headers["Content-Language"] = _content_language()
    return response


def _content_language() -> str:
    from attest.i18n import current_language

    return current_language()
