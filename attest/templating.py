"""Template filters and globals; the one place dates and role titles are formatted."""

from __future__ import annotations

from flask import Flask

from attest import clock


def init_app(app: Flask) -> None:
    app.jinja_env.filters["date"] = clock.format_date
    app.jinja_env.filters["datetime"] = clock.format_datetime
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
