"""The embedded font family of every PDF attest draws: DejaVu Sans, shipped in the package.

DejaVu Sans is Bitstream Vera (reportlab's bundled face) with the same metrics for Vera's
characters and many more of them: Polish, Czech, Turkish, Baltic and Nordic names print as
they are spelled (Wiśniewska, Yıldız, Dvořák), where Vera printed blanks. The files are in
``attest/pdf/fonts`` with their licence.

Text that reaches a PDF is checked with ``unprintable`` before it is stored, so a character
no face can draw is refused with a message, never printed as an empty box.
"""

from __future__ import annotations

import os
import threading
import unicodedata
from functools import lru_cache

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "AttestSans"
FONT_BOLD = "AttestSans-Bold"
FONT_ITALIC = "AttestSans-Italic"
FONT_BOLD_ITALIC = "AttestSans-BoldItalic"

FONT_DIR = os.path.join(os.path.dirname(__file__), "fonts")
_FILES = {
    FONT_NAME: "DejaVuSans.ttf",
    FONT_BOLD: "DejaVuSans-Bold.ttf",
    FONT_ITALIC: "DejaVuSans-Oblique.ttf",
    FONT_BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf",
}

_lock = threading.Lock()
_faces: set[str] = set()  # the faces registered with reportlab in this process
_registered = False  # ... all four, and the family's mapping


def register_font(name: str) -> None:
    """Register one face of the family (a row's appearance draws with the regular face
    only, and each face's file takes a while to read)."""
    if name in _faces:
        return
    with _lock:
        _register(name)


def _register(name: str) -> None:
    if name not in _faces:
        pdfmetrics.registerFont(TTFont(name, os.path.join(FONT_DIR, _FILES[name])))
        _faces.add(name)


def register_fonts() -> None:
    """Register the font family with reportlab; cheap after the first call in a process."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        for name in _FILES:
            _register(name)
        # <b> and <i> inside Paragraph markup must resolve to the embedded faces too.
        addMapping(FONT_NAME, 0, 0, FONT_NAME)
        addMapping(FONT_NAME, 1, 0, FONT_BOLD)
        addMapping(FONT_NAME, 0, 1, FONT_ITALIC)
        addMapping(FONT_NAME, 1, 1, FONT_BOLD_ITALIC)
        _registered = True


@lru_cache(maxsize=1)
def _drawable() -> frozenset[int]:
    """The code points every face of the family can draw (text may be bold or italic)."""
    register_fonts()
    faces = [set(pdfmetrics.getFont(name).face.charToGlyph) for name in _FILES]
    return frozenset(set.intersection(*faces))


def unprintable(text: str) -> list[str]:
    """The characters of ``text`` the PDF cannot draw, each once, in order of appearance.

    Line breaks and tabs are layout, not glyphs; other control and format characters (which
    the forms refuse anyway) are left to those checks.
    """
    drawable = _drawable()
    seen: list[str] = []
    for char in text:
        if char in "\r\n\t" or ord(char) in drawable or char in seen:
            continue
        if unicodedata.category(char) in ("Cc", "Cf"):
            continue
        seen.append(char)
    return seen


def printable(text: str) -> str:
    """``text`` without the characters the PDF cannot draw (for suggestions, not user input)."""
    missing = set(unprintable(text))
    return " ".join("".join(c for c in text if c not in missing).split())


def describe(char: str) -> str:
    """A character as a person can find it in their text: ”中” (U+4E2D)."""
    return f"”{char}” (U+{ord(char):04X})"


def unprintable_message(text: str) -> str | None:
    """Why ``text`` cannot go into a PDF, in Swedish; None when every character prints."""
    chars = unprintable(text)
    if not chars:
        return None
    listed = ", ".join(describe(c) for c in chars[:5]) + (" …" if len(chars) > 5 else "")
    if len(chars) == 1:
        return f"Tecknet {listed} kan inte skrivas ut i PDF:en. Byt ut eller ta bort det."
    return f"Tecknen {listed} kan inte skrivas ut i PDF:en. Byt ut eller ta bort dem."


def check_printable(*texts: str) -> None:
    """Refuse (Invalid, the Swedish reason) the first text the PDF cannot print."""
    from attest.errors import Invalid

    for text in texts:
        message = unprintable_message(text)
        if message:
            raise Invalid(message)
