"""A digest of a PDF object tree that says whether two trees are the same.

Independent of object numbers; everything else counts: every dictionary entry, every
stream's data as stored (with its filters), the shape of the references. Streams are
never decompressed: a compression bomb costs what its stored bytes cost, and the same
content compressed otherwise is not what attest wrote, so it differs. Reading is bounded:
a tree larger than its budget raises TooLarge instead of being read.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from pyhanko.pdf_utils import generic

__all__ = ["Fetch", "TooLarge", "digest"]

# How a reference is read: by default the object's own handler (obj.get_object()).
Fetch = Callable[[generic.Reference], Any]

# The stored length: the data itself says it.
_STORAGE_KEYS = frozenset({"/Length"})
MAX_OBJECTS = 2000


class TooLarge(Exception):
    """The tree is larger than the budget allows to read."""


class _Canonical:
    """A SHA-256 over a PDF object tree, independent of object numbers."""

    def __init__(self, byte_budget: int, fetch: Fetch | None) -> None:
        self.fetch = fetch
        self.hash = hashlib.sha256()
        self.seen: dict[tuple[int, int], int] = {}
        self.bytes_left = byte_budget

    def feed(self, obj: Any) -> None:
        h = self.hash
        if isinstance(obj, generic.IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in self.seen:
                h.update(b"R%d;" % self.seen[key])
                return
            if len(self.seen) >= MAX_OBJECTS:
                raise TooLarge()
            self.seen[key] = len(self.seen)
            h.update(b"O%d;" % self.seen[key])
            self.feed(self.resolve(obj))
        elif isinstance(obj, generic.StreamObject):
            data = obj.encoded_data
            self.bytes_left -= len(data)
            if self.bytes_left < 0:
                raise TooLarge()
            h.update(b"T")
            self._dictionary(obj, _STORAGE_KEYS)
            h.update(b"D%d;" % len(data))
            h.update(data)
        elif isinstance(obj, generic.DictionaryObject):
            self._dictionary(obj, frozenset())
        elif isinstance(obj, generic.ArrayObject):
            h.update(b"[")
            for item in obj:
                self.feed(item)
            h.update(b"]")
        elif isinstance(obj, generic.NameObject):
            self._bytes(b"N", str(obj).encode("utf-8"))
        elif isinstance(obj, (generic.TextStringObject, generic.ByteStringObject)):
            self._bytes(b"S", bytes(obj.original_bytes))
        elif isinstance(obj, generic.BooleanObject):
            h.update(b"B1;" if obj else b"B0;")
        elif isinstance(obj, (generic.NumberObject, generic.FloatObject)):
            self._bytes(b"#", _number(obj).encode("ascii"))
        elif isinstance(obj, generic.NullObject) or obj is None:
            h.update(b"Z;")
        else:
            self._bytes(b"?", type(obj).__name__.encode("ascii"))

    def resolve(self, obj: generic.IndirectObject) -> Any:
        return obj.get_object() if self.fetch is None else self.fetch(obj.reference)

    def _bytes(self, tag: bytes, data: bytes) -> None:
        self.hash.update(tag + b"%d;" % len(data))
        self.hash.update(data)

    def _dictionary(self, obj: generic.DictionaryObject, skip: frozenset[str]) -> None:
        self.hash.update(b"<")
        for key in sorted(k for k in obj.keys() if k not in skip):
            self._bytes(b"N", str(key).encode("utf-8"))
            self.feed(obj.raw_get(key))
        self.hash.update(b">")


def _number(value: Any) -> str:
    try:
        return format(Decimal(str(value)).normalize(), "f")
    except InvalidOperation:
        return str(value)


def digest(
    obj: Any,
    byte_budget: int,
    *,
    without: frozenset[str] = frozenset(),
    fetch: Fetch | None = None,
) -> tuple[str, int]:
    """(digest, bytes read) of the tree under obj; TooLarge beyond the budget.

    ``without``: entries of obj itself (a dictionary) left out of the comparison.
    ``fetch``: reads every reference of the tree (default: through the handler it came from).
    """
    canonical = _Canonical(byte_budget, fetch)
    target = canonical.resolve(obj) if isinstance(obj, generic.IndirectObject) else obj
    if without and isinstance(target, generic.DictionaryObject):
        canonical._dictionary(
            target,
            without | (_STORAGE_KEYS if isinstance(target, generic.StreamObject) else frozenset()),
        )
    else:
        canonical.feed(obj)
    return canonical.hash.hexdigest(), byte_budget - canonical.bytes_left
