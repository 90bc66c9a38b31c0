"""The JSON API under /api/v1: memos in and out for the diarium, documented by an
OpenAPI 3.1 document made from the code (flask-smorest, marshmallow) at
/api/v1/openapi.json and readable at /api/v1/docs; errors as RFC 9457 problem details."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, render_template
from flask_smorest import Api

PREFIX = "/api/v1"

DESCRIPTION = """\
attests API för diariet (ärendehanteringen): lämna in utkast med bilagor, följ dem genom
attesten och hämta den attesterade PDF:en och dess verifiering.

Varje anrop har en token: `Authorization: Bearer attest_...` (administratören skapar den
med `attest token create`). En token hör till en organisation och har behörigheter
(`memos:read`, `memos:write`); den attesterar aldrig – det gör bara personer. Fel kommer
som problem details (RFC 9457, `application/problem+json`), på svenska eller på engelska
med `Accept-Language: en`.
"""

api_meta = Blueprint("api", __name__, url_prefix=PREFIX)


class AttestApi(Api):
    """flask-smorest's Api, with attest's error answers instead of its own."""

    def _register_error_handlers(self) -> None:
        # attest.web answers every error; under /api/ it asks attest.api.problems.
        pass

    def _register_responses(self) -> None:
        from attest.api.problems import MEDIA_TYPE

        default: str = self.DEFAULT_RESPONSE_CONTENT_TYPE  # type: ignore[has-type]
        self.DEFAULT_RESPONSE_CONTENT_TYPE = MEDIA_TYPE  # every error is a problem
        try:
            super()._register_responses()
        finally:
            self.DEFAULT_RESPONSE_CONTENT_TYPE = default


@api_meta.route("/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 document (public: it describes the API, not anyone's data)."""
    from flask import current_app, jsonify

    return jsonify(current_app.extensions["attest.api"].spec.to_dict())


@api_meta.route("/docs")
def docs():
    """The document as a page: every operation, its parameters, bodies and answers."""
    from flask import current_app

    spec = current_app.extensions["attest.api"].spec.to_dict()
    return render_template("api/docs.html", spec=spec, operations=list(_operations(spec)))


def _operations(spec: dict[str, Any]):
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method.upper(), path, operation


def init_app(app: Flask) -> None:
    from attest import web
    from attest.api import problems
    from attest.api.problems import ProblemSchema
    from attest.api.tokens import SCOPES
    from attest.api.views import bp as memos_bp

    app.config.setdefault("API_TITLE", "attest")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    AttestApi.ERROR_SCHEMA = ProblemSchema
    api = AttestApi(
        app,
        spec_kwargs={
            "info": {"description": DESCRIPTION},
            "servers": [{"url": "/"}],
            "security": [{"token": list(SCOPES)}],
        },
    )
    api.spec.components.security_scheme(
        "token",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "attest_... från `attest token create`; behörigheter: "
            + ", ".join(f"{name} ({str(text)})" for name, text in SCOPES.items()),
        },
    )
    app.extensions["attest.api"] = api
    api.register_blueprint(memos_bp)
    app.register_blueprint(api_meta)
    # Programs authenticate with a token, not a cookie: no CSRF token to send.
    app.extensions["csrf"].exempt(memos_bp)
    web.register_error_renderer(app, PREFIX + "/", problems.render)
    app.extensions.setdefault("attest.accept_language_paths", []).append(PREFIX + "/")
