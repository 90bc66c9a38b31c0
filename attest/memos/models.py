from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from attest.db import Base, UTCDateTime
from attest.memos.sections import MEMO_TYPE_TJANSTEUTLATANDE, SECTION_FIELDS
from attest.orgs.models import Organisation
from attest.users.models import User


class DnrCounter(Base):
    """The last diarienummer serial handed out per organisation and year."""

    __tablename__ = "dnr_counters"

    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id"), primary_key=True
    )
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_serial: Mapped[int] = mapped_column(default=0)


class MemoType(Base):
    """A kind of memo an organisation writes ("Delegationsbeslut"): the title the PDF
    prints and the sections it must have before it is sent. Its route is the
    organisation's RouteDefinition for ``code`` (attest.workflow.routes). A memo names its
    type by ``code``; a sent memo keeps the route it was sent with whatever changes here.
    """

    __tablename__ = "memo_types"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "code"),
        sa.UniqueConstraint("organisation_id", "title"),
        sa.CheckConstraint("length(code) > 0", name="code_not_empty"),
        sa.CheckConstraint("length(title) > 0", name="title_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40))  # "delegationsbeslut"
    title: Mapped[str] = mapped_column(sa.String(100))  # "Delegationsbeslut", in the PDF
    # Field names (attest.memos.types.REQUIRABLE), comma-separated, in the memo's order.
    required: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Retired: offered for no new memo; memos of the type keep it.
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(name for name in self.required.split(",") if name)


class Memo(Base):
    __tablename__ = "memos"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "dnr_year", "dnr_serial"),
        # The diarium's own Dnr, set through the API: one memo per Dnr in an organisation.
        sa.UniqueConstraint("organisation_id", "diarium_dnr"),
        sa.CheckConstraint("dnr_serial > 0", name="dnr_serial_positive"),
        sa.CheckConstraint(
            "state IN ('utkast', 'attest', 'attesterad', 'raderad')", name="state_known"
        ),
        # The register: an organisation's memos in a state, newest first (id breaks ties).
        sa.Index("ix_memos_register", "organisation_id", "state", "updated_at", "id"),
        # The start page's "Mina tjänsteutlåtanden": an author's memos, newest change first.
        sa.Index("ix_memos_author_updated", "author_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    memo_type: Mapped[str] = mapped_column(sa.String(40), default=MEMO_TYPE_TJANSTEUTLATANDE)
    dnr_year: Mapped[int]
    dnr_serial: Mapped[int]
    state: Mapped[str] = mapped_column(sa.String(20), index=True)  # attest.workflow.definition
    # The case management system's (diarium's) Dnr, when it numbers the case itself; set
    # while a draft (attest.memos.operations.set_diarium_dnr) and printed in the PDF.
    diarium_dnr: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Optimistic locking: every change of the memo row bumps it; a stale writer gets 409.
    lock_version: Mapped[int] = mapped_column(default=1)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    author: Mapped[User] = relationship(lazy="joined", foreign_keys=[author_id])
    # Loaded when used: lists show a memo without reading its whole history.
    versions: Mapped[list[MemoVersion]] = relationship(
        back_populates="memo", order_by="MemoVersion.number", lazy="select"
    )

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def dnr(self) -> str:
        return self.format_dnr(self.organisation.code, self.dnr_year, self.dnr_serial)

    @staticmethod
    def format_dnr(code: str, year: int, serial: int) -> str:
        """attest's Dnr: "EÅV 2024/17" (the organisation's code, the year, the number)."""
        return f"{code} {year}/{serial}"

    @property
    def printed_dnr(self) -> str:
        """The Dnr the PDF prints: the diarium's when it has given one, else attest's."""
        return self.diarium_dnr or self.dnr

    @property
    def latest_version(self) -> MemoVersion:
        return self.versions[-1]

    def version(self, number: int) -> MemoVersion | None:
        return next((v for v in self.versions if v.number == number), None)


# What the text search reads: every text of the memo (rubrik, underrubrik, every section and
# the subsections), one a line, so that a match never spans two of them. On PostgreSQL a
# trigram index on exactly this expression (pg_trgm, migrations 0010 and 0023) finds the
# versions with a word without reading every version of the installation; SQLite reads them.
# Spelled with PostgreSQL's own parentheses so that the index compares equal to this
# declaration.
SEARCHED_COLUMNS = (
    "rubrik",
    "underrubrik",
    "forslag_till_beslut",
    "sammanfattning",
    "bakgrund",
    "arendet",
    "arendets_beredning",
    "synpunkter",
    "subsections_json",
)


def _joined_lines(columns: tuple[str, ...]) -> str:
    text = f"memo_versions.{columns[0]}"
    for column in columns[1:]:
        text = f"(({text} || '\n') || memo_versions.{column})"
    return text[1:-1]  # PostgreSQL prints the outermost without parentheses


SEARCHED_TEXT = sa.func.lower(sa.literal_column(_joined_lines(SEARCHED_COLUMNS), sa.String))


class MemoVersion(Base):
    """One saved state of a memo's content; never changed once written."""

    __tablename__ = "memo_versions"
    __table_args__ = (
        sa.UniqueConstraint("memo_id", "number"),
        sa.Index(
            "ix_memo_versions_search",
            SEARCHED_TEXT.label("searched_text"),
            postgresql_using="gin",
            postgresql_ops={"searched_text": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    memo_id: Mapped[int] = mapped_column(sa.ForeignKey("memos.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    rubrik: Mapped[str] = mapped_column(sa.String(300))
    underrubrik: Mapped[str] = mapped_column(sa.String(300), default="")
    meeting_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    forslag_till_beslut: Mapped[str] = mapped_column(sa.Text, default="")
    sammanfattning: Mapped[str] = mapped_column(sa.Text, default="")
    bakgrund: Mapped[str] = mapped_column(sa.Text, default="")
    arendet: Mapped[str] = mapped_column(sa.Text, default="")
    arendets_beredning: Mapped[str] = mapped_column(sa.Text, default="")
    synpunkter: Mapped[str] = mapped_column(sa.Text, default="")
    # [[title, text], ...] subsections of "Förvaltningens synpunkter och förslag"
    subsections_json: Mapped[str] = mapped_column(sa.Text, default="[]")

    memo: Mapped[Memo] = relationship(back_populates="versions")
    created_by: Mapped[User] = relationship(lazy="joined")
    attachments: Mapped[list[Attachment]] = relationship(
        order_by="Attachment.position", lazy="select", cascade="all, delete-orphan"
    )

    @property
    def subsections(self) -> list[tuple[str, str]]:
        return [(title, text) for title, text in json.loads(self.subsections_json)]

    def content(self) -> dict[str, object]:
        """The typed-in content, comparable between versions."""
        values: dict[str, object] = {name: getattr(self, name) for name in SECTION_FIELDS}
        values.update(
            rubrik=self.rubrik,
            underrubrik=self.underrubrik,
            meeting_date=self.meeting_date,
            subsections=self.subsections,
            attachments=[(a.title, a.blob_sha256) for a in self.attachments],
        )
        return values


class Attachment(Base):
    """A bilaga of one version: a stored PDF (by digest) with its title and place."""

    __tablename__ = "attachments"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "position"),
        sa.CheckConstraint("page_count > 0", name="page_count_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("memo_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(300))
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    blob_sha256: Mapped[str] = mapped_column(sa.ForeignKey("blobs.sha256"))
    size: Mapped[int]
    page_count: Mapped[int]
    # What intake took out of the file as sent (attest.pdf.inert) or changed for PDF/A, for
    # the handläggare: JSON of the kinds (attest.memos.bilagor.CheckedPdf.removed_record).
    removed: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    @property
    def removed_text(self) -> str:
        """What was taken out, told in the request's language."""
        from attest.memos.bilagor import told_stored

        return told_stored(self.filename, self.removed)


class PreviewPdf(Base):
    """A draft version's preview PDF, rendered once and kept: it is deterministic in its
    inputs, whose SHA-256 (``key``) covers the version's text and bilagor, the route's
    people, the organisation's letterhead and the layout code (attest.memos.rendering)."""

    __tablename__ = "preview_pdfs"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    pdf_sha256: Mapped[str] = mapped_column(sa.ForeignKey("blobs.sha256"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
