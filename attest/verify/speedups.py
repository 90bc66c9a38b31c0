"""The one place attest adjusts pyHanko (and asn1crypto): speed-ups that change no result.

Verification spends much of its time in a few spots of the libraries; ``install()`` replaces
each with an equivalent that is faster, for the versions they were written against and
tested with (tests/test_verify_speedups.py compares them with the originals). Under any
other version nothing is replaced: verification stays correct, only slower. Installing
twice changes nothing; ``installed()`` says what is in place, and ``suspended()`` puts the
originals back for a while (to measure or compare against the libraries as they are).
"""

from __future__ import annotations

import binascii
import contextlib
import os
import re
from typing import Any, Iterator

__all__ = ["TESTED_VERSIONS", "install", "installed", "suspended"]

# Library -> the versions whose internals these replacements match.
TESTED_VERSIONS = {"pyhanko": ("0.38",), "asn1crypto": ("1.5",)}


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def _tested(name: str) -> bool:
    found = _version(name)
    return any(found == v or found.startswith(v + ".") for v in TESTED_VERSIONS[name])


# (owner, attribute, original, replacement) of everything install() replaced, as found in the
# owner's __dict__ (a static method or a property stays one).
_replaced: list[tuple[Any, str, Any, Any]] = []
_suspended = [0]  # how many suspended() blocks are open: install() does nothing inside one


def _replace(owner: Any, attribute: str, replacement: Any) -> None:
    _replaced.append((owner, attribute, owner.__dict__[attribute], replacement))
    setattr(owner, attribute, replacement)


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """The libraries' own code while inside, the speed-ups again after: for benchmarks and
    tests that compare with the libraries as they are. Not for use while other threads verify.
    """
    _suspended[0] += 1
    if _suspended[0] == 1:
        for owner, attribute, original, _ in reversed(_replaced):
            setattr(owner, attribute, original)
    try:
        yield
    finally:
        _suspended[0] -= 1
        if _suspended[0] == 0:
            for owner, attribute, _, replacement in _replaced:
                setattr(owner, attribute, replacement)


def install() -> frozenset[str]:
    """Put the speed-ups in place where the library version is one they were tested with."""
    if _suspended[0]:
        return installed()
    if _tested("pyhanko"):
        _install_fast_hex_strings()
        _install_fast_names()
        _install_orphan_cache()
    if _tested("asn1crypto"):
        _install_name_preparation_cache()
        _install_name_comparison_cache()
    return installed()


def installed() -> frozenset[str]:
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils import generic
    from pyhanko.sign.diff_analysis import policies

    names = set()
    if hasattr(generic.read_hex_string_from_stream, "_attest_original"):
        names.add("fast_hex_strings")
    if hasattr(generic.NameObject.read_from_stream, "_attest_original"):
        names.add("fast_names")
    if hasattr(asn1_x509.NameTypeAndValue._ldap_string_prep, "_attest_original"):
        names.add("name_preparation_cache")
    if hasattr(asn1_x509.Name.__eq__, "_attest_original"):
        names.add("name_comparison_cache")
    if hasattr(policies._find_orphans, "_attest_original"):
        names.add("orphan_cache")
    return frozenset(names)


def _install_fast_hex_strings() -> None:
    """Read PDF hex strings in one slice instead of one byte at a time.

    A signature's /Contents is a hex string of 20–30 kB, which pyHanko's parser reads
    byte by byte, several times per signature (once per revision it compares): about
    40 % of a verification. This reader returns exactly what pyHanko's returns; on
    anything unusual (a comment, a stray character, no closing bracket) it hands the
    string to pyHanko's own reader, so errors and edge cases stay pyHanko's.
    """
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.misc import PDF_WHITESPACE

    original = generic.read_hex_string_from_stream
    if hasattr(original, "_attest_original"):
        return
    hex_digits = b"0123456789abcdefABCDEF"

    def read_hex_string_from_stream(stream: Any) -> Any:
        start = stream.tell()
        stream.read(1)  # the opening <
        chunks = []
        while True:
            chunk = stream.read(65536)
            if not chunk:
                stream.seek(start)
                return original(stream)
            end = chunk.find(b">")
            if end >= 0:
                chunks.append(chunk[:end])
                stream.seek(end + 1 - len(chunk), os.SEEK_CUR)
                break
            chunks.append(chunk)
        digits = b"".join(chunks).translate(None, PDF_WHITESPACE)
        if digits.translate(None, hex_digits):  # a comment or a bad character
            stream.seek(start)
            return original(stream)
        if len(digits) % 2:
            digits += b"0"
        return generic.pdf_string(binascii.unhexlify(digits))

    read_hex_string_from_stream._attest_original = original  # type: ignore[attr-defined]
    _replace(generic, "read_hex_string_from_stream", read_hex_string_from_stream)


def _install_fast_names() -> None:
    """Read PDF names in one slice instead of one byte at a time.

    Every dictionary key is a name, and pyHanko's parser reads each one byte by byte and
    then decodes it byte by byte again: about half of parsing a dictionary, and parsing is
    about a third of a verification. A plain name (printable ASCII, no # escape, ended by a
    delimiter or whitespace within the slice) becomes the same NameObject with the stream at
    the same place; anything else goes to pyHanko's own reader, errors included.
    """
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.misc import PDF_DELIMITERS, PDF_WHITESPACE

    name_class = generic.NameObject
    original = name_class.read_from_stream
    if hasattr(original, "_attest_original"):
        return
    token_end = re.compile(b"[" + re.escape(PDF_WHITESPACE + PDF_DELIMITERS) + b"]")
    plain = re.compile(b"[\x21-\x22\x24-\x7e]*")  # printable ASCII but #

    def read_from_stream(stream: Any) -> Any:
        start = stream.tell()
        chunk = stream.read(128)
        end = token_end.search(chunk, 1)
        if chunk[:1] != b"/" or end is None or not plain.fullmatch(chunk, 1, end.start()):
            stream.seek(start)
            return original(stream)
        stream.seek(start + end.start())
        return name_class("/" + chunk[1 : end.start()].decode("ascii"))

    read_from_stream._attest_original = original  # type: ignore[attr-defined]
    _replace(name_class, "read_from_stream", staticmethod(read_from_stream))


def _install_name_preparation_cache() -> None:
    """Remember RFC 4518 string preparation of certificate names across certificates.

    pyHanko compares issuer names many times per signature (ESS certificate ids, path
    building); asn1crypto caches the prepared form per parsed object only, and every
    signature parses its certificates anew: about a tenth of a verification. The
    preparation is a pure function of the string, so the result is the same.
    """
    from asn1crypto import x509 as asn1_x509

    original = asn1_x509.NameTypeAndValue._ldap_string_prep
    if hasattr(original, "_attest_original"):
        return
    prepared: dict[str, str] = {}

    def _ldap_string_prep(self: Any, string: str) -> str:
        try:
            return prepared[string]
        except KeyError:
            pass
        result = original(self, string)  # raises for forbidden characters: not cached
        if len(prepared) < 10_000:
            prepared[string] = result
        return result

    _ldap_string_prep._attest_original = original  # type: ignore[attr-defined]
    _replace(asn1_x509.NameTypeAndValue, "_ldap_string_prep", _ldap_string_prep)


def _install_orphan_cache() -> None:
    """Find a revision's orphaned objects once per file instead of once per signature.

    pyHanko's difference analysis compares each signature's revision with every later one,
    and for each later revision looks for the new objects nothing refers to (``_find_orphans``):
    with five signatures the same four revisions are searched ten times, about a tenth of a
    verification. The answer depends only on the revision of the one parsed file (its
    historical resolver, which the reader keeps), so it is remembered on that resolver and a
    copy handed out each time, as the original returns a fresh set.
    """
    from pyhanko.sign.diff_analysis import policies

    original = policies._find_orphans
    if hasattr(original, "_attest_original"):
        return

    def _find_orphans(hist_rev: Any) -> Any:
        found = getattr(hist_rev, "_attest_orphans", None)
        if found is None:
            found = frozenset(original(hist_rev))  # raises for a damaged file: not cached
            hist_rev._attest_orphans = found
        return set(found)

    _find_orphans._attest_original = original  # type: ignore[attr-defined]
    _replace(policies, "_find_orphans", _find_orphans)


def _install_name_comparison_cache() -> None:
    """Remember how certificate names compare, and their hashable form, by their encoding.

    pyHanko compares the same issuer and subject names again for every signature and
    timestamp (ESS certificate ids, path building, CRL issuers), each time through RFC 5280's
    comparison of every attribute: about a tenth of a verification once the difference
    analysis is fast. Both answers are pure functions of the two names' DER encodings,
    so they are remembered by them; what raises is not remembered and raises again.
    """
    from asn1crypto import x509 as asn1_x509

    name_class = asn1_x509.Name
    original_eq = name_class.__eq__
    if hasattr(original_eq, "_attest_original"):
        return
    original_hashable = name_class.hashable
    compared: dict[tuple[bytes, bytes], bool] = {}
    hashables: dict[bytes, str] = {}

    def __eq__(self: Any, other: Any) -> bool:
        if not isinstance(other, name_class):
            return False
        key = (self.dump(), other.dump())
        try:
            return compared[key]
        except KeyError:
            pass
        result = bool(original_eq(self, other))
        if len(compared) < 10_000:
            compared[key] = result
        return result

    def hashable(self: Any) -> str:
        der = self.dump()
        try:
            return hashables[der]
        except KeyError:
            pass
        result: str = original_hashable.fget(self)
        if len(hashables) < 10_000:
            hashables[der] = result
        return result

    __eq__._attest_original = original_eq  # type: ignore[attr-defined]
    _replace(name_class, "__eq__", __eq__)
    _replace(name_class, "hashable", property(hashable))
