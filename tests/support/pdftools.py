"""Reading a PDF back as a person and a machine would: poppler's pdftotext, flattened text."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from io import BytesIO

import pytest
from pypdf import PdfReader


def poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} not found: install poppler-utils (apt-get install poppler-utils)")
    return path


def pdftotext(
    pdf: bytes,
    page: int | None = None,
    *,
    layout: bool = False,
    crop: tuple[float, float, float, float] | None = None,
) -> str:
    """Text of the PDF (or of one 1-based page); crop=(x1, y1, x2, y2) in PDF points."""
    args = [poppler("pdftotext")]
    if layout:
        args.append("-layout")
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    if crop is not None:
        assert page is not None
        height = float(PdfReader(BytesIO(pdf)).pages[page - 1].mediabox.height)
        x1, y1, x2, y2 = crop
        # pdftotext crops in pixels from the top left; at its default 72 dpi a pixel is a point.
        args += [
            "-x",
            str(round(x1)),
            "-y",
            str(round(height - y2)),
            "-W",
            str(round(x2 - x1)),
            "-H",
            str(round(y2 - y1)),
        ]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "in.pdf")
        with open(path, "wb") as f:
            f.write(pdf)
        return subprocess.run([*args, path, "-"], check=True, capture_output=True, text=True).stdout


def flat(text: str) -> str:
    return " ".join(text.split())
