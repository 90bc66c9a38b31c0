"""Material the workers of one pytest-xdist run make once between them.

Under pytest-xdist each worker is its own process with its own session: without this, both
workers of a pass generated the same PKIs and key pools and built the same signed worlds
(seconds of RSA generation and PAdES signing each). ``make_once`` lets the first worker that
asks make a thing and write it to the run's shared folder; the others wait on its lock and
read it. Outside xdist (one process) nothing is shared and everything is made in memory.

Private keys written there are encrypted (PKCS#8 under the test passphrase), as the product
writes them; the folder is the run's temporary folder.
"""

from __future__ import annotations

import pickle  # nosec B403 - reads only what this run's own workers wrote
from pathlib import Path
from typing import Any, Callable, TypeVar

from filelock import FileLock

T = TypeVar("T")

PASSPHRASE = "tests-shared-material"  # nosec B105 - encrypts throwaway test keys

_folder: Path | None = None


def use_folder(folder: Path | None) -> None:
    """Share through ``folder`` (the run's folder under xdist), or not at all (None)."""
    global _folder
    _folder = folder
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)


def folder() -> Path | None:
    return _folder


def make_once(
    name: str, make: Callable[[], T], dump: Callable[[T], bytes], load: Callable[[bytes], T]
) -> T:
    """The thing called ``name``: made here, or read from the worker that made it first."""
    if _folder is None:
        return make()
    path = _folder / f"{name}.bin"
    with FileLock(str(_folder / f"{name}.lock")):
        if path.exists():
            return load(path.read_bytes())
        thing = make()
        temporary = path.with_suffix(".partial")
        temporary.write_bytes(dump(thing))
        temporary.replace(path)
        return thing


def pickled(thing: object) -> bytes:
    return pickle.dumps(thing, protocol=pickle.HIGHEST_PROTOCOL)


def unpickled(data: bytes) -> Any:
    return pickle.loads(data)  # nosec B301 - written by this run's own workers
