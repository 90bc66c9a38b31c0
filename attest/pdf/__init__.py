"""PDF layout for attest: the memo with its attestation table, reports, and bilagor."""

from attest.pdf.document import (
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
from attest.pdf.fonts import FONT_BOLD, FONT_BOLD_ITALIC, FONT_ITALIC, FONT_NAME, register_fonts
from attest.pdf.memo import render_memo, render_row_appearance
from attest.pdf.merge import append_attachments
from attest.pdf.report import render_report

__all__ = [
    "AttestationStep",
    "Attachment",
    "FONT_BOLD",
    "FONT_BOLD_ITALIC",
    "FONT_ITALIC",
    "FONT_NAME",
    "MemoDocument",
    "Organisation",
    "RenderedMemo",
    "RowRect",
    "Signatory",
    "Subsection",
    "append_attachments",
    "paragraphs",
    "register_fonts",
    "render_memo",
    "render_report",
    "render_row_appearance",
]
