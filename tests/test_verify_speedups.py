"""The one adjustment of pyHanko and asn1crypto (attest.verify.speedups): it changes no
result, it is put in place only for the versions it was written against, and twice is once."""

from __future__ import annotations

from io import BytesIO

import pytest
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic

from attest.verify import speedups
from attest.verify.core import verify_pdf

pytestmark = pytest.mark.once  # uses no database: the SQLite pass runs it


@pytest.fixture(autouse=True, scope="module")
def installed() -> frozenset[str]:
    return speedups.install()


def test_both_are_in_place_for_the_tested_versions(installed) -> None:
    assert installed == {
        "fast_hex_strings",
        "fast_names",
        "name_preparation_cache",
        "name_comparison_cache",
        "orphan_cache",
    }
    assert speedups.install() == installed  # twice changes nothing
    assert not hasattr(generic.read_hex_string_from_stream._attest_original, "_attest_original")


def test_another_version_gets_none_of_them(monkeypatch) -> None:
    monkeypatch.setattr(speedups, "_version", lambda name: "9.9.9")
    assert not speedups._tested("pyhanko") and not speedups._tested("asn1crypto")
    monkeypatch.setattr(speedups, "_version", lambda name: "0.38.1")
    assert speedups._tested("pyhanko")
    monkeypatch.setattr(speedups, "_version", lambda name: "0.380")
    assert not speedups._tested("pyhanko")


@pytest.mark.parametrize(
    "raw",
    [
        b"<48656c6c6f> rest",
        b"<48 65\n6c\r6c\t6f\x00> rest",
        b"<4865f> rest",  # odd: a trailing 0 is implied
        b"<> rest",
        b"<FEFF00e5> rest",  # UTF-16 text
        b"<48 % a comment with > in it\n65> rest",
        b"<48zz65> rest",  # not hex: pyHanko's error
        b"<4865",  # no closing bracket: pyHanko's error
    ],
)
def test_fast_hex_strings_read_exactly_as_pyhanko(raw: bytes) -> None:
    fast = generic.read_hex_string_from_stream
    original = fast._attest_original  # type: ignore[attr-defined]
    shown = lambda value: bytes(value.original_bytes)  # noqa: E731
    assert read_with(fast, raw, shown) == read_with(original, raw, shown)


def read_with(reader, raw: bytes, shown) -> tuple:
    """What a reader makes of raw: the value (or the error) and where the stream stops."""
    stream = BytesIO(raw)
    try:
        value = reader(stream)
    except Exception as exc:
        return type(exc), stream.tell()
    return (type(value), shown(value)), stream.tell()


@pytest.mark.parametrize(
    "raw",
    [
        b"/Type /Catalog",
        b"/Type/Catalog",  # a name ends where the next one begins
        b"/Kids[1 0 R]",
        b"/Lang(sv-SE)",
        b"/A<<>>",
        b"/F1\n",
        b"/ rest",  # the empty name
        b"/",  # the empty name at the end of the data
        b"/Length",  # at the end of the data: pyHanko's reader
        b"/A#20B rest",  # an escape
        b"/A#2",  # an unterminated escape: pyHanko's error
        b"/Caf\xc3\xa9 rest",  # UTF-8 bytes must be escaped: pyHanko's error
        b"/Tab\x7f rest",
        b"/" + b"N" * 300 + b" rest",  # longer than one slice
        b"Catalog",  # no slash: pyHanko's error
    ],
)
def test_fast_names_read_exactly_as_pyhanko(raw: bytes) -> None:
    fast = generic.NameObject.read_from_stream
    original = fast._attest_original  # type: ignore[attr-defined]
    assert read_with(fast, raw, str) == read_with(original, raw, str)


def test_suspended_runs_the_libraries_own_code_and_restores_the_speedups(installed) -> None:
    from pyhanko.sign.diff_analysis import policies

    patched = (generic.read_hex_string_from_stream, policies._find_orphans, asn1_x509.Name.__eq__)
    with speedups.suspended():
        assert speedups.installed() == frozenset()
        with speedups.suspended():
            assert speedups.install() == frozenset()  # the verifier installs: not while suspended
        assert speedups.installed() == frozenset()
        assert generic.read_hex_string_from_stream is patched[0]._attest_original
        assert isinstance(generic.NameObject.__dict__["read_from_stream"], staticmethod)
    assert speedups.installed() == installed
    assert (generic.read_hex_string_from_stream, policies._find_orphans) == patched[:2]
    assert asn1_x509.Name.__eq__ is patched[2]


def test_verification_gives_the_same_answers_without_the_speedups() -> None:
    from tests.support import forgeries, signing

    material = forgeries.material()
    trust = [material.pki.ca_cert]
    now = signing.validation_time()
    for pdf in (material.genuine.final, forgeries.forgery("page-added")):
        fast = verify_pdf(pdf, trust=trust, now=now)
        with speedups.suspended():
            assert not speedups.installed()
            plain = verify_pdf(pdf, trust=trust, now=now)
        assert fast == plain


def test_name_preparation_cache_gives_asn1crypto_s_answer() -> None:
    prep = asn1_x509.NameTypeAndValue._ldap_string_prep
    original = prep._attest_original
    for text in ("Jenny  Johansson", "Anders Carstorp\u00ad", "Enskede-Årsta-Vantör", "ＡＢＣ"):
        assert prep(None, text) == prep(None, text) == original(None, text)
    one = asn1_x509.Name.build({"common_name": "Jenny  Johansson"})
    other = asn1_x509.Name.build({"common_name": "jenny johansson"})
    assert one == other


def test_name_comparison_cache_gives_asn1crypto_s_answer() -> None:
    name = asn1_x509.Name
    original = name.__eq__._attest_original  # type: ignore[attr-defined]
    build = name.build
    names = [
        build({"common_name": "Jenny  Johansson", "organization_name": "EÅV"}),
        build({"common_name": "jenny johansson", "organization_name": "eåv"}),
        build({"common_name": "Jenny Johansson"}),
        build({"common_name": "Anders Carstorp", "title": "Stadsdelsdirektör"}),
    ]
    for one in names:
        for other in names:
            for _ in range(2):  # the second answer comes from the cache
                assert (one == other) == original(one, other)
                assert (one != other) == (not original(one, other))
        assert (one == "Jenny Johansson") is False
    assert names[0].hashable == names[1].hashable != names[2].hashable
    assert names[3].hashable == asn1_x509.Name.load(names[3].dump()).chosen.hashable


def test_orphan_cache_gives_pyhanko_s_answer_for_every_revision() -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import policies

    from tests.support import forgeries

    cached = policies._find_orphans
    original = cached._attest_original  # type: ignore[attr-defined]
    for pdf in (forgeries.material().genuine.final, forgeries.forgery("page-added")):
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        for revision in range(1, reader.xrefs.total_revisions):
            resolver = reader.get_historical_resolver(revision)
            first = cached(resolver)
            assert first == original(resolver)
            first.clear()  # the caller may consume its set: the next one is whole again
            assert cached(resolver) == original(resolver)


def test_nothing_patches_pyhanko_at_import() -> None:
    import pathlib
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parent.parent / "attest"
    patching = [
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if "_attest_original" in path.read_text()
    ]
    assert patching == ["verify/speedups.py"]
    # The whole app imported: the libraries are as they are until a verification begins.
    imported = "import attest.web, attest.verify.bulk, attest.verify.core; "
    show = "from attest.verify import speedups; print(sorted(speedups.installed()))"
    done = subprocess.run(
        [sys.executable, "-c", imported + show], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
