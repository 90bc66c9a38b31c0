"""Template filters and globals; the one place dates and role titles are formatted."""

from __future__ import annotations

from flask import Flask

from attest import clock


def init_app(app: Flask) -> None:
    app.jinja_env.filters["date"] = clock.format_date
    app.jinja_env.filters["datetime"] = clock.format_datetime
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _globals():
        from attest.auth.forms import LogoutForm

        # Shown on every page, never read from the request: an error page about the body
        # (413) must not read it again.
        return {"logout_form": LogoutForm(formdata=None)}
