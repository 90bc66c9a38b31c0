"""PDF layout for attest: the memo with its attestation table, reports, and bilagor.

The names below are imported from their modules when first used: the offline verifier
needs the XMP helpers and a row's drawing (attest.pdf.pdfa, attest.pdf.rows), not the memo's
layout and the merging of bilagor, and starts faster without them (bench/bench_verify.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names for mypy; at run time __getattr__ below
    from attest.pdf.document import (  # noqa: F401
        Attachment,
        AttestationStep,
        MemoDocument,
        Organisation,
        RenderedMemo,
        RowRect,
        Signatory,
        Subsection,
        paragraphs,
    )
    from attest.pdf.fonts import (  # noqa: F401
        FONT_BOLD,
        FONT_BOLD_ITALIC,
        FONT_ITALIC,
        FONT_NAME,
        register_fonts,
    )
    from attest.pdf.memo import render_memo  # noqa: F401
    from attest.pdf.merge import append_attachments  # noqa: F401
    from attest.pdf.report import render_report  # noqa: F401
    from attest.pdf.rows import render_row_appearance  # noqa: F401

_MODULES = {
    "attest.pdf.document": (
        "Attachment",
        "AttestationStep",
        "MemoDocument",
        "Organisation",
        "RenderedMemo",
        "RowRect",
        "Signatory",
        "Subsection",
        "paragraphs",
    ),
    "attest.pdf.fonts": (
        "FONT_BOLD",
        "FONT_BOLD_ITALIC",
        "FONT_ITALIC",
        "FONT_NAME",
        "register_fonts",
    ),
    "attest.pdf.memo": ("render_memo",),
    "attest.pdf.merge": ("append_attachments",),
    "attest.pdf.report": ("render_report",),
    "attest.pdf.rows": ("render_row_appearance",),
}
_WHERE = {name: module for module, names in _MODULES.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'attest.pdf' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
