from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from attest.db import Base, UTCDateTime


class SignServiceRequest(Base):
    """A SignRequest sent to the signature service, and what was prepared for it.

    The prepared PDF (its /Contents reserved) is a blob; the CMS signed attributes the
    service signs and the document's digest are kept here, so that the response completes
    exactly this signature, of this step, on this PDF, and only once (``answered_at``).
    """

    __tablename__ = "signservice_requests"
    __table_args__ = (sa.Index("uq_signservice_requests_request_id", "request_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(sa.String(64))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    memo_id: Mapped[int] = mapped_column(sa.ForeignKey("memos.id"))
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"))
    position: Mapped[int]
    pdf_sha256_before: Mapped[str] = mapped_column(sa.String(64))
    prepared_pdf_sha256: Mapped[str] = mapped_column(sa.String(64))
    document_digest: Mapped[bytes] = mapped_column(sa.LargeBinary)
    reserved_start: Mapped[int]
    reserved_end: Mapped[int]
    signed_attributes: Mapped[bytes] = mapped_column(sa.LargeBinary)
    signing_time: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # The SignResponse as received (its XML signature verified), completed after the
    # browser comes back with the attester's session.
    response: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
