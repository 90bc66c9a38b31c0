"""What changed between two versions, section by section, in words a reader can follow.

The comparison is word by word (difflib), whose work grows with the square of a section's
length in the worst case: a section of 12 000 much repeated words took 52 seconds. So it
is bounded: a section with more than MAX_DIFF_WORDS words on either side, or any section
still to compare when the page's DIFF_SECONDS are spent, is shown as "Avsnittet har
ändrats" with both versions in full, which is also what a reader can follow best then.
"""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass

from attest.i18n import _l
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


# Words on either side of a section above which it is not compared word by word, and the
# time all the sections of one page may take together (checked between difflib's steps,
# each of which takes at most about 0.1 s at MAX_DIFF_WORDS).
MAX_DIFF_WORDS = 5000
DIFF_SECONDS = 1.0


@dataclass(frozen=True)
class SectionChange:
    title: str
    pieces: tuple[Piece, ...]
    # Too long or too slow to compare word by word: both versions are shown whole.
    summarised: bool = False
    before: str = ""
    after: str = ""


class _OutOfTime(Exception):
    pass


class _BoundedMatcher(difflib.SequenceMatcher):
    """difflib's matcher that gives up when the deadline has passed."""

    def __init__(self, a: list[str], b: list[str], deadline: float) -> None:
        self.deadline = deadline
        super().__init__(a=a, b=b, autojunk=False)

    def find_longest_match(self, alo=0, ahi=None, blo=0, bhi=None):
        if time.monotonic() > self.deadline:
            raise _OutOfTime()
        return super().find_longest_match(alo, ahi, blo, bhi)


def _words(text: str) -> list[str]:
    # Keep paragraph breaks as their own tokens so a new paragraph shows as one.
    tokens: list[str] = []
    for n, paragraph in enumerate(text.split("\n\n")):
        if n:
            tokens.append("\n\n")
        tokens.extend(paragraph.split())
    return tokens


def _diff(a: list[str], b: list[str], deadline: float) -> tuple[Piece, ...]:
    pieces: list[Piece] = []
    for op, i1, i2, j1, j2 in _BoundedMatcher(a, b, deadline).get_opcodes():
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
    """Only the sections that differ, each with its words kept, removed and added (or, past
    the bounds, both versions whole)."""
    deadline = time.monotonic() + DIFF_SECONDS
    result = []
    for (title, before), (_, after) in zip(_text_fields(old), _text_fields(new)):
        if before == after:
            continue
        a, b = _words(before), _words(after)
        if max(len(a), len(b)) <= MAX_DIFF_WORDS:
            try:
                result.append(SectionChange(_l(title), _diff(a, b, deadline)))
                continue
            except _OutOfTime:
                pass
        result.append(SectionChange(_l(title), (), summarised=True, before=before, after=after))
    return result
