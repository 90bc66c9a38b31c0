from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from attest.db import Base, UTCDateTime

DNR_ATTEST = "attest"
DNR_DIARIUM = "diarium"


class Organisation(Base):
    """A förvaltning: the memos' author organisation and the nämnd they go to."""

    __tablename__ = "organisations"
    __table_args__ = (sa.CheckConstraint("length(code) > 0", name="code_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)  # "EÅV", in diarienummer
    name: Mapped[str] = mapped_column(sa.String(200))  # Enskede-Årsta-Vantörs stadsdelsförvaltning
    short_name: Mapped[str] = mapped_column(sa.String(200), default="")  # Enskede-Årsta-Vantör
    board: Mapped[str] = mapped_column(sa.String(200))  # Enskede-Årsta-Vantörs stadsdelsnämnd
    postal_address: Mapped[str] = mapped_column(sa.Text, default="")  # lines, for the PDF footer
    switchboard: Mapped[str] = mapped_column(sa.String(40), default="")
    website: Mapped[str] = mapped_column(sa.String(200), default="")
    # Lines printed under the name in the letterhead ("Avdelningen för ..."), one a line.
    letterhead: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # The public address printed in the PDF footer's verification link (<url>/v/<code>);
    # empty: the installation's BASE_URL.
    public_base_url: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    # Who numbers a memo: attest's counter ("attest"), or the diarium, whose Dnr the
    # handläggare types ("diarium") and without which a memo is not sent.
    dnr_source: Mapped[str] = mapped_column(
        sa.String(10), default=DNR_ATTEST, server_default=DNR_ATTEST
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Organisation {self.code}>"
