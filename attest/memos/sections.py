"""The memo's text sections, in order: field name and heading (the PDF's own headings)."""

from __future__ import annotations

from attest.catalogue import N_
from attest.pdf import memo as pdf_memo
from attest.pdf.document import MEMO_DOCUMENT_TYPE

# The sections a handläggare writes, in the order of the memo. Labels are the PDF headings.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("forslag_till_beslut", pdf_memo.HEADING_FORSLAG),
    ("sammanfattning", pdf_memo.HEADING_SAMMANFATTNING),
    ("bakgrund", pdf_memo.HEADING_BAKGRUND),
    ("arendet", pdf_memo.HEADING_ARENDET),
    ("arendets_beredning", pdf_memo.HEADING_BEREDNING),
    ("synpunkter", pdf_memo.HEADING_SYNPUNKTER),
)
SECTION_FIELDS = tuple(name for name, _ in SECTIONS)
SECTION_TITLES = dict(SECTIONS)

LABEL_RUBRIK = N_("Rubrik")
LABEL_UNDERRUBRIK = N_("Underrubrik")
LABEL_SAMMANTRADESDATUM = N_("Sammanträdesdatum")
LABEL_BILAGOR = N_("Bilagor")
LABEL_MEMO_TYPE = N_("Typ av ärende")
LABEL_DIARIUM_DNR = N_("Diariets Dnr")

MEMO_TYPE_TJANSTEUTLATANDE = "tjansteutlatande"
MEMO_TYPE_TITLES = {MEMO_TYPE_TJANSTEUTLATANDE: MEMO_DOCUMENT_TYPE}

MAX_TITLE_LENGTH = 300
MAX_SECTION_LENGTH = 50_000
