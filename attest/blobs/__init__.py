"""Immutable content storage by SHA-256 (bilagor, frozen and attested PDFs).

A small interface with two implementations: in the database (the default) and in a
directory (BLOB_DIR). Either way each blob has its row in ``blobs``, which the memos'
foreign keys point at; in directory mode the row's ``data`` is empty and the bytes are in
``<BLOB_DIR>/<aa>/<sha256>``. Content is written once and never changed; the same bytes
are stored once. ``check_all`` (``attest blobs check``) proves every stored blob is there
and unchanged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from attest import clock, db, files
from attest.db import Base, UTCDateTime
from attest.errors import AttestError
from attest.i18n import _l

log = logging.getLogger(__name__)

TEMPORARY_PREFIX = ".tmp-"

# A write refused for want of room: a full disk, a quota, a file size limit.
NO_ROOM_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class StorageFull(AttestError):
    """The blob storage had no room: nothing was stored, the transaction is rolled back."""

    status = 507  # Insufficient Storage

    def __init__(self) -> None:
        super().__init__(
            _l(
                "Lagringsutrymmet för filer är fullt, så det du skickade kunde inte sparas. "
                "Inget har ändrats. Försök igen senare, och säg till den som sköter attest om "
                "det inte går."
            )
        )


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

    def problem(self, sha256: str, size: int, data: bytes) -> str | None:
        """Why the stored bytes of this row are missing or wrong (Swedish), or None."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DatabaseBlobStore:
    """Blobs in the ``blobs`` table, in the caller's transaction."""

    def put(self, data: bytes) -> str:
        sha = digest(data)
        _add_row(sha, len(data), data)
        return sha

    def get(self, sha256: str) -> bytes:
        blob = db.session().get(Blob, sha256)
        if blob is None:
            raise KeyError(sha256)
        return blob.data

    def problem(self, sha256: str, size: int, data: bytes) -> str | None:
        if not data and size:
            return "innehållet saknas i databasen (och BLOB_DIR är inte satt)"
        return _content_problem(sha256, size, len(data), digest(data))


def _add_row(sha: str, size: int, data: bytes) -> None:
    from sqlalchemy.exc import IntegrityError

    session = db.session()
    if session.get(Blob, sha) is None:
        try:
            with session.begin_nested():  # the same bytes stored at once by another request
                session.add(Blob(sha256=sha, size=size, data=data, created_at=clock.now()))
        except IntegrityError:
            pass


def _content_problem(sha256: str, size: int, actual_size: int, actual_sha: str) -> str | None:
    if actual_sha != sha256:
        return "innehållet stämmer inte med sin SHA-256 (ändrat eller skadat)"
    if actual_size != size:
        return f"storleken är {actual_size} byte, raden säger {size}"
    return None


class DirectoryBlobStore(DatabaseBlobStore):
    """Bytes in files, rows in the database.

    The file is written first, atomically (a temporary name, fsync, rename, fsync of the
    folder), then the row: a crash can leave a file no row points at, never a row whose
    file is missing or half written. Reads check the digest, so a damaged file is an error,
    not a silent change. A full disk is a StorageFull refusal, with no file left behind.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        sha = digest(data)
        path = self._path(sha)
        if not path.exists():
            try:
                _write_atomically(path, data)
            except OSError as exc:
                if exc.errno not in NO_ROOM_ERRNOS:
                    raise
                log.error("blob storage full: %s (%s)", self.root, os.strerror(exc.errno))
                raise StorageFull() from exc
        _add_row(sha, len(data), b"")
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

    def problem(self, sha256: str, size: int, data: bytes) -> str | None:
        if data:  # stored before BLOB_DIR was configured
            return super().problem(sha256, size, data)
        path = self._path(sha256)
        try:
            with path.open("rb") as handle:
                actual = hashlib.file_digest(handle, "sha256").hexdigest()
        except FileNotFoundError:
            return f"filen {path} saknas"
        except OSError as exc:
            return f"filen {path} kan inte läsas: {exc.strerror}"
        return _content_problem(sha256, size, path.stat().st_size, actual)

    def stray_files(self) -> tuple[int, int]:
        """(files no row names, temporary files): what interrupted writes leave; harmless."""
        if not self.root.is_dir():
            return 0, 0
        names = {path.name: path for path in self.root.glob("*/*") if path.is_file()}
        temporary = sum(1 for name in names if name.startswith(TEMPORARY_PREFIX))
        digests = [name for name in names if not name.startswith(TEMPORARY_PREFIX)]
        known: set[str] = set()
        session = db.session()
        for start in range(0, len(digests), 500):
            chunk = digests[start : start + 500]
            known.update(session.scalars(sa.select(Blob.sha256).where(Blob.sha256.in_(chunk))))
        return len(digests) - len(known), temporary


def _write_atomically(path: Path, data: bytes) -> None:
    files.private_dir(path.parent.parent)  # the blob folder, then its 256 subfolders
    files.private_dir(path.parent)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY_PREFIX)
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
    # The rename is durable only once the folder is on disk too: the row that the caller
    # commits next must never name a file that a power cut could take back.
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def store() -> BlobStore:
    found = current_app.extensions.get("attest.blobs")
    if found is None:
        directory = current_app.config.get("BLOB_DIR")
        found = DirectoryBlobStore(directory) if directory else DatabaseBlobStore()
        current_app.extensions["attest.blobs"] = found
    return found


# --- Checking the whole store (attest blobs check) -------------------------------------


@dataclass(frozen=True)
class BlobProblem:
    sha256: str
    reason: str  # Swedish, for the operator


@dataclass(frozen=True)
class StoreReport:
    """Every stored blob and every reference to one, checked."""

    blobs: int
    references: int
    problems: tuple[BlobProblem, ...]
    stray_files: int = 0  # files under BLOB_DIR that no row names
    temporary_files: int = 0  # half-written temporaries of interrupted writes

    @property
    def ok(self) -> bool:
        return not self.problems


def referencing_columns() -> list[sa.Column]:
    """Every column that names a blob: the foreign keys to ``blobs.sha256``."""
    import attest.models  # noqa: F401 - every table registered on the metadata

    return [
        fk.parent
        for table in Base.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name == Blob.__tablename__
    ]


def check_all() -> StoreReport:
    """Each referenced digest has its row; each row's bytes exist, hash to it and fit its size.

    Reads every blob once, a few at a time: run it off-peak on a large archive.
    """
    session = db.session()
    blob_store = store()
    referenced: set[str] = set()
    for column in referencing_columns():
        referenced.update(session.scalars(sa.select(column).where(column.is_not(None)).distinct()))
    problems: list[BlobProblem] = []
    seen: set[str] = set()
    rows = session.execute(
        sa.select(Blob.sha256, Blob.size, Blob.data)
        .order_by(Blob.sha256)
        .execution_options(yield_per=20)
    )
    for sha, size, data in rows:
        seen.add(sha)
        reason = blob_store.problem(sha, size, data or b"")
        if reason:
            problems.append(BlobProblem(sha, reason))
    for sha in sorted(referenced - seen):
        problems.append(BlobProblem(sha, "hänvisas till men finns inte bland de lagrade filerna"))
    stray, temporary = (
        blob_store.stray_files() if isinstance(blob_store, DirectoryBlobStore) else (0, 0)
    )
    return StoreReport(
        blobs=len(seen),
        references=len(referenced),
        problems=tuple(problems),
        stray_files=stray,
        temporary_files=temporary,
    )
