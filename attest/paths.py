"""Where the top-level folders (templates, migrations) are, in a checkout and in a wheel."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _resource_dir(name: str) -> Path:
    # An installed wheel ships the folder inside the package (see package_dir in
    # setup.cfg); a source checkout or an editable install keeps it at the top level.
    inside = PACKAGE_DIR / name
    if inside.is_dir():
        return inside
    return PACKAGE_DIR.parent / name


def templates_dir() -> Path:
    return _resource_dir("templates")


def migrations_dir() -> Path:
    return _resource_dir("migrations")


def pdfjs_dir() -> Path:
    """pdf.js from npm (``npm ci`` in the checkout; see package.json)."""
    return PACKAGE_DIR.parent / "node_modules" / "pdfjs-dist"
