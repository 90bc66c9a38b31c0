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


def ink(
    pdf: bytes, box: tuple[float, float, float, float], *, printing: bool, page: int = 1
) -> int:
    """Dark pixels (at 72 dpi) in box=(x1, y1, x2, y2), in PDF points, of a 1-based page,
    as a viewer draws it (pdftoppm) or as it is printed (printing=True: pdftocairo -pdf,
    which draws what a printer gets, honouring the annotations' Print and NoView flags)."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        source = os.path.join(folder, "in.pdf")
        with open(source, "wb") as handle:
            handle.write(pdf)
        if printing:
            printed = os.path.join(folder, "printed.pdf")
            subprocess.run([poppler("pdftocairo"), "-pdf", source, printed], check=True)
            source = printed
        out = os.path.join(folder, "page")
        subprocess.run(
            [poppler("pdftoppm"), "-r", "72", "-gray", "-png", "-singlefile"]
            + ["-f", str(page), "-l", str(page), source, out],
            check=True,
        )
        image = Image.open(out + ".png").convert("L")
    x1, y1, x2, y2 = box
    region = image.crop((int(x1), image.height - int(y2), int(x2), image.height - int(y1)))
    return sum(1 for value in region.tobytes() if value < 128)


def active_parts(pdf: bytes) -> list[str]:
    """What in the PDF would act, or look different on screen and in print: open and
    additional actions, actions other than a jump within the document, document JavaScript,
    links, pop-ups, annotations not shown alike on screen and on paper, rollovers."""
    import pikepdf

    found = []
    with pikepdf.open(BytesIO(pdf)) as document:
        names = document.Root.get("/Names")
        if names is not None and "/JavaScript" in names:
            found.append("document JavaScript")
        for obj in document.objects:
            if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                continue
            for key in ("/AA", "/OpenAction"):
                if key in obj:
                    found.append(key)
            action = obj.get("/A")
            if isinstance(action, pikepdf.Dictionary) and action.get("/S") != "/GoTo":
                found.append(f"action {action.get('/S')}")
        for number, page in enumerate(document.pages, 1):
            for annotation in page.obj.get("/Annots", []):
                subtype, flags = annotation.get("/Subtype"), int(annotation.get("/F", 0))
                if subtype in ("/Link", "/Popup") or flags & 2 or flags & 32 or not flags & 4:
                    found.append(f"page {number}: {subtype} flags {flags}")
                appearance = annotation.get("/AP", {})
                if "/R" in appearance or "/D" in appearance:
                    found.append(f"page {number}: rollover")
    return found
