"""pdf.js, served by attest itself: the memo page draws the frozen PDF with it.

The files come from the pinned ``pdfjs-dist`` package (package.json, installed by ``npm ci``,
which ``make run`` does) and are served from here, never from a CDN: the page's
Content-Security-Policy allows scripts and workers from attest only. Only the files the
viewer needs are served, whatever else the folder holds.
"""

from __future__ import annotations

import json
import logging
import re
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, send_from_directory, url_for

from attest import paths

log = logging.getLogger(__name__)

bp = Blueprint("pdfviewer", __name__, url_prefix="/pdfjs")

LIBRARY = "build/pdf.min.mjs"
WORKER = "build/pdf.worker.min.mjs"
# Fonts for PDFs that name a standard font without embedding it (a bilaga may), and the
# character maps of CJK fonts: fetched by pdf.js only when a PDF needs them.
DATA_FOLDERS = ("standard_fonts", "cmaps")
# A file right inside one of them: no "..", no subfolder.
DATA_FILE = re.compile(r"(%s)/\w[\w.-]*" % "|".join(DATA_FOLDERS))
# The files are pinned by version: a browser may keep them a day.
MAX_AGE = 24 * 60 * 60


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    if not installed(pdfjs_dir(app)):
        log.warning(
            "pdf.js is missing (%s): the memo page cannot show the PDF; run `make run` or "
            "`npm ci` in the checkout, or set ATTEST_PDFJS_DIR",
            pdfjs_dir(app),
        )


def pdfjs_dir(app: Flask | None = None) -> Path:
    configured = (app or current_app).config["PDFJS_DIR"]
    return Path(configured) if configured else paths.pdfjs_dir()


def installed(folder: Path | None = None) -> bool:
    folder = folder or pdfjs_dir()
    return (folder / LIBRARY).is_file() and (folder / WORKER).is_file()


@lru_cache(maxsize=4)
def _version(folder: Path) -> str:
    return str(json.loads((folder / "package.json").read_text(encoding="utf-8"))["version"])


def version() -> str:
    """The installed pdf.js version, part of its URLs (a new version is fetched anew)."""
    return _version(pdfjs_dir())


def urls() -> dict[str, str] | None:
    """What the page's viewer script loads, or None when pdf.js is not installed."""
    if not installed():
        return None
    pinned = version()
    return {
        "library": url_for("pdfviewer.asset", pinned=pinned, name=LIBRARY),
        "worker": url_for("pdfviewer.asset", pinned=pinned, name=WORKER),
        # pdf.js appends the file names to these folder URLs.
        **{
            folder: url_for("pdfviewer.asset", pinned=pinned, name=f"{folder}/x")[:-1]
            for folder in DATA_FOLDERS
        },
    }


@bp.route("/<string:pinned>/<path:name>")
def asset(pinned: str, name: str):
    if name not in (LIBRARY, WORKER) and not DATA_FILE.fullmatch(name):
        abort(404)
    folder = pdfjs_dir()
    if not installed(folder) or pinned != version():
        abort(404)
    # Python 3.11 does not know .mjs; a module script must come as JavaScript (nosniff).
    mimetype = "text/javascript" if name.endswith(".mjs") else None
    return send_from_directory(folder, name, mimetype=mimetype, max_age=MAX_AGE)
