"""What the PDF layer takes in and gives back: plain frozen dataclasses, no database."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Subsection:
    """A titled part of "Förvaltningens synpunkter och förslag"."""

    title: str
    text: str  # plain text; a blank line separates paragraphs


@dataclass(frozen=True)
class Signatory:
    """One name in the signature block, e.g. Anders Carstorp, Stadsdelsdirektör."""

    name: str
    title: str


@dataclass(frozen=True)
class Attachment:
    """A bilaga: a complete PDF that is appended unchanged after the memo."""

    title: str
    pdf: bytes


@dataclass(frozen=True)
class AttestationStep:
    """One row of the "Attesterat av" table."""

    title: str  # e.g. "Avdelningschef"; informational


@dataclass(frozen=True)
class Organisation:
    """The förvaltning that issues the document: letterhead and footer facts."""

    name: str  # "Enskede-Årsta-Vantörs stadsdelsförvaltning"
    short_name: str  # "Enskede-Årsta-Vantör"; "" means: use name
    board: str  # "Enskede-Årsta-Vantörs stadsdelsnämnd"
    postal_address: str  # multi-line: "Box 81\n121 22 Johanneshov"
    switchboard: str  # "08-508 14 000"
    website: str  # "start.stockholm"
    letterhead: str = ""  # lines under the name in the letterhead, one a line


# What a memo is called when its organisation has not named its types otherwise.
MEMO_DOCUMENT_TYPE = "Tjänsteutlåtande"


@dataclass(frozen=True)
class MemoDocument:
    """Everything printed in one tjänsteutlåtande."""

    organisation: Organisation
    unit: str
    dnr: str
    date: datetime.date
    handlaggare: str
    telefon: str
    meeting_date: datetime.date | None
    rubrik: str
    underrubrik: str
    forslag_till_beslut: str
    sammanfattning: str
    bakgrund: str
    arendet: str
    arendets_beredning: str
    synpunkter: str
    synpunkter_subsections: tuple[Subsection, ...]
    signatories: tuple[Signatory, ...]
    attachments: tuple[Attachment, ...]
    steps: tuple[AttestationStep, ...]  # route order; the table shows them reversed
    verification_url: str = ""
    document_type: str = MEMO_DOCUMENT_TYPE  # the memo type's title, top right of each page
    # When the version was frozen (the PDF's creation time, from the app's clock); a draft's
    # preview gives the version's time. None: the start of ``date`` in Stockholm.
    created_at: datetime.datetime | None = None


@dataclass(frozen=True)
class RowRect:
    """Where one attestation row was drawn, in PDF user space (points, lower-left origin)."""

    step_index: int  # index into MemoDocument.steps (route order)
    page_index: int  # 0-based page index in the final PDF
    x1: float
    y1: float
    x2: float
    y2: float
    name_col_width: float = 0.0  # width of the "Namn" cell; the "Datum" cell is the rest


@dataclass(frozen=True)
class RenderedMemo:
    """The rendered memo (bilagor appended) and where its attestation rows are."""

    pdf: bytes
    memo_page_count: int
    rows: tuple[RowRect, ...]  # one per step, in route order


_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def paragraphs(text: str) -> list[str]:
    """Split plain text into paragraphs on blank lines, stripped, empties dropped."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    return [p.strip() for p in _BLANK_LINE.split(normalised) if p.strip()]
