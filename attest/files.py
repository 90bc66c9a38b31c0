"""The files and folders attest keeps on disk are its own account's alone.

The instance folder, the SQLite database (and the -wal/-shm files SQLite gives the mode of
the database file), the blob folder and the keys folder hold password hashes, encrypted
keys and every memo: no other local account may read them, whatever the umask. New ones
are created private; ``tighten`` (run by ``attest init``) makes older ones so.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterable

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_dir(path: str | os.PathLike[str]) -> Path:
    """The folder, created 0700 if it is missing (its missing parents too)."""
    folder = Path(path)
    if not folder.is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            pass  # made at the same moment by another process
        else:
            os.chmod(folder, PRIVATE_DIR)  # whatever the umask
    return folder


def create_private_file(path: str | os.PathLike[str]) -> None:
    """Create an empty 0600 file unless it exists (SQLite then opens it as its database)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    os.close(fd)


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for another database or one in memory."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    database = parsed.database
    if not parsed.drivername.startswith("sqlite") or not database or database == ":memory:":
        return None
    return Path(database)


def _tighten_one(path: Path, wanted: int) -> bool:
    try:
        current = stat.S_IMODE(path.lstat().st_mode)
    except FileNotFoundError:
        return False
    if path.is_symlink() or current & ~wanted == 0:
        return False
    os.chmod(path, current & wanted)
    return True


def _tree(root: Path) -> Iterable[tuple[Path, int]]:
    if not root.is_dir():
        return
    yield root, PRIVATE_DIR
    for folder, folders, files in os.walk(root):
        for name in folders:
            yield Path(folder) / name, PRIVATE_DIR
        for name in files:
            yield Path(folder) / name, PRIVATE_FILE


def tighten(instance_path: str, database_url: str, *trees: str | None) -> int:
    """Take group and other permissions away from attest's files; how many were changed."""
    changed = 0
    targets: list[tuple[Path, int]] = [(Path(instance_path), PRIVATE_DIR)]
    database = sqlite_path(database_url)
    if database is not None:
        targets.append((database, PRIVATE_FILE))
        targets += [(Path(f"{database}{suffix}"), PRIVATE_FILE) for suffix in SQLITE_COMPANIONS]
    for tree in trees:
        if tree:
            targets += list(_tree(Path(tree)))
    for path, wanted in targets:
        changed += _tighten_one(path, wanted)
    return changed
