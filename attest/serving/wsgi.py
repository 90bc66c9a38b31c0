"""The WSGI entry point for gunicorn: ``gunicorn attest.serving.wsgi:app``."""

from __future__ import annotations

import os

from attest import create_app
from attest.serving import logs

logs.configure(os.environ.get("ATTEST_LOG_LEVEL", "INFO"))
app = create_app()
