"""The embedded font family of every PDF attest draws: Bitstream Vera, shipped with reportlab."""

from __future__ import annotations

import os
import threading

import reportlab
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "AttestVera"
FONT_BOLD = "AttestVera-Bold"
FONT_ITALIC = "AttestVera-Italic"
FONT_BOLD_ITALIC = "AttestVera-BoldItalic"

_FONT_DIR = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
_FILES = {
    FONT_NAME: "Vera.ttf",
    FONT_BOLD: "VeraBd.ttf",
    FONT_ITALIC: "VeraIt.ttf",
    FONT_BOLD_ITALIC: "VeraBI.ttf",
}

_lock = threading.Lock()
_registered = False


def register_fonts() -> None:
    """Register the font family with reportlab; cheap after the first call in a process."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        for name, filename in _FILES.items():
            pdfmetrics.registerFont(TTFont(name, os.path.join(_FONT_DIR, filename)))
        # <b> and <i> inside Paragraph markup must resolve to the embedded faces too.
        addMapping(FONT_NAME, 0, 0, FONT_NAME)
        addMapping(FONT_NAME, 1, 0, FONT_BOLD)
        addMapping(FONT_NAME, 0, 1, FONT_ITALIC)
        addMapping(FONT_NAME, 1, 1, FONT_BOLD_ITALIC)
        _registered = True
