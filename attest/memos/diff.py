"""What changed between two versions, section by section, in words a reader can follow."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from attest.memos.models import MemoVersion
from attest.memos.sections import (
    LABEL_BILAGOR,
    LABEL_RUBRIK,
    LABEL_SAMMANTRADESDATUM,
    LABEL_UNDERRUBRIK,
    SECTIONS,
)


@dataclass(frozen=True)
class Piece:
    kind: str  # "same", "added", "removed"
    text: str


@dataclass(frozen=True)
class SectionChange:
    title: str
    pieces: tuple[Piece, ...]


def _words(text: str) -> list[str]:
    # Keep paragraph breaks as their own tokens so a new paragraph shows as one.
    tokens: list[str] = []
    for n, paragraph in enumerate(text.split("\n\n")):
        if n:
            tokens.append("\n\n")
        tokens.extend(paragraph.split())
    return tokens


def _diff(old: str, new: str) -> tuple[Piece, ...]:
    a, b = _words(old), _words(new)
    pieces: list[Piece] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(Piece("same", " ".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            pieces.append(Piece("removed", " ".join(a[i1:i2])))
        if op in ("insert", "replace"):
            pieces.append(Piece("added", " ".join(b[j1:j2])))
    return tuple(pieces)


def _text_fields(version: MemoVersion) -> list[tuple[str, str]]:
    fields = [
        (LABEL_RUBRIK, version.rubrik),
        (LABEL_UNDERRUBRIK, version.underrubrik),
        (LABEL_SAMMANTRADESDATUM, version.meeting_date.isoformat() if version.meeting_date else ""),
    ]
    for name, title in SECTIONS:
        text = getattr(version, name)
        if name == "synpunkter":
            parts = [text] + [
                f"{sub_title}\n\n{sub_text}" for sub_title, sub_text in version.subsections
            ]
            text = "\n\n".join(p for p in parts if p)
        fields.append((title, text))
    fields.append(
        (
            LABEL_BILAGOR,
            "\n\n".join(
                f"{a.title} ({a.page_count} s., {a.blob_sha256[:12]})" for a in version.attachments
            ),
        )
    )
    return fields


def changes(old: MemoVersion, new: MemoVersion) -> list[SectionChange]:
    """Only the sections that differ, each with its words kept, removed and added."""
    result = []
    for (title, before), (_, after) in zip(_text_fields(old), _text_fields(new)):
        if before != after:
            result.append(SectionChange(title, _diff(before, after)))
    return result
