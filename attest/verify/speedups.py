"""The one place attest adjusts pyHanko (and asn1crypto): speed-ups that change no result.

Verification spends much of its time in a few spots of the libraries; ``install()`` replaces
each with an equivalent that is faster, for the versions they were written against and
tested with (tests/test_verify_speedups.py compares them with the originals). Under any
other version nothing is replaced: verification stays correct, only slower. Installing
twice changes nothing; ``installed()`` says what is in place.
"""

from __future__ import annotations

import binascii
import os
from typing import Any

__all__ = ["TESTED_VERSIONS", "install", "installed"]

# Library -> the versions whose internals these replacements match.
TESTED_VERSIONS = {"pyhanko": ("0.38",), "asn1crypto": ("1.5",)}


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def _tested(name: str) -> bool:
    found = _version(name)
    return any(found == v or found.startswith(v + ".") for v in TESTED_VERSIONS[name])


def install() -> frozenset[str]:
    """Put the speed-ups in place where the library version is one they were tested with."""
    if _tested("pyhanko"):
        _install_fast_hex_strings()
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
    generic.read_hex_string_from_stream = read_hex_string_from_stream


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
    asn1_x509.NameTypeAndValue._ldap_string_prep = _ldap_string_prep


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
    policies._find_orphans = _find_orphans


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
    name_class.__eq__ = __eq__
    name_class.hashable = property(hashable)
