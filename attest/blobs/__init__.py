"""Immutable content storage by SHA-256 (bilagor, frozen and attested PDFs).

A small interface with one implementation for now: the database. Content is written once
and never changed; the same bytes are stored once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Protocol

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from attest import clock, db
from attest.db import Base, UTCDateTime


class Blob(Base):
    __tablename__ = "blobs"
    __table_args__ = (sa.CheckConstraint("length(sha256) = 64", name="sha256_length"),)

    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class BlobStore(Protocol):
    def put(self, data: bytes) -> str:
        """Store the bytes (once) and return their SHA-256 in hex."""

    def get(self, sha256: str) -> bytes:
        """The bytes stored under this digest; KeyError if none."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DatabaseBlobStore:
    """Blobs in the ``blobs`` table, in the caller's transaction."""

    def put(self, data: bytes) -> str:
        from sqlalchemy.exc import IntegrityError

        sha = digest(data)
        session = db.session()
        if session.get(Blob, sha) is None:
            try:
                with session.begin_nested():  # the same bytes stored at once by another request
                    session.add(Blob(sha256=sha, size=len(data), data=data, created_at=clock.now()))
            except IntegrityError:
                pass
        return sha

    def get(self, sha256: str) -> bytes:
        blob = db.session().get(Blob, sha256)
        if blob is None:
            raise KeyError(sha256)
        return blob.data


def store() -> BlobStore:
    return current_app.extensions.setdefault("attest.blobs", DatabaseBlobStore())
