"""The ``attest`` console script: ``attest verify`` without the web app, the rest with it."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["verify"]:
        # The clerk's offline check imports nothing of Flask or the database: fast start.
        from attest.verify.cli import main as verify_main

        sys.exit(verify_main(sys.argv[2:]))
    from attest.cli import main as app_main

    app_main()
