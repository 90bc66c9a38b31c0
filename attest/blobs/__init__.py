"""Immutable content storage by SHA-256 (bilagor, frozen and attested PDFs).

A small interface with two implementations: in the database (the default) and in a
directory (BLOB_DIR). Either way each blob has its row in ``blobs``, which the memos'
foreign keys point at; in directory mode the row's ``data`` is empty and the bytes are in
``<BLOB_DIR>/<aa>/<sha256>``. Content is written once and never changed; the same bytes
are stored once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import tempfile
from pathlib import Path
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


class DirectoryBlobStore(DatabaseBlobStore):
    """Bytes in files, rows in the database.

    The file is written first, atomically (a temporary name, fsync, rename), then the row:
    a crash can leave a file no row points at, never a row whose file is missing or half
    written. Reads check the digest, so a damaged file is an error, not a silent change.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        from sqlalchemy.exc import IntegrityError

        sha = digest(data)
        path = self._path(sha)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
                raise
        session = db.session()
        if session.get(Blob, sha) is None:
            try:
                with session.begin_nested():
                    session.add(Blob(sha256=sha, size=len(data), data=b"", created_at=clock.now()))
            except IntegrityError:
                pass
        return sha

    def get(self, sha256: str) -> bytes:
        blob = db.session().get(Blob, sha256)
        if blob is None:
            raise KeyError(sha256)
        if blob.data:  # stored before BLOB_DIR was configured
            return blob.data
        data = self._path(sha256).read_bytes()
        if digest(data) != sha256:
            raise OSError(f"blob {sha256} is damaged on disk")
        return data


def store() -> BlobStore:
    found = current_app.extensions.get("attest.blobs")
    if found is None:
        directory = current_app.config.get("BLOB_DIR")
        found = DirectoryBlobStore(directory) if directory else DatabaseBlobStore()
        current_app.extensions["attest.blobs"] = found
    return found
