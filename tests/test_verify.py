"""The clerk's verifier offline: genuine memos of every kind are Giltig with every check ok,
every forgery of the tamper suite (tests/support/forgeries.py) is Ogiltig with the check
that catches it, memos of the older format are "Kan inte avgöras", and a file whose CA is
not known is never called Ogiltig for that."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from attest.pki import build_crl
from attest.verify import CHECK_CODES, VerificationResult, load_trust, verify_pdf
from attest.verify.cli import main as cli_main
from tests.support import forgeries, tamper
from tests.support.forgeries import CASES, GENUINE, Case
from tests.support.signing import (
    PEOPLE,
    SECOND_ORGANISATION,
    STEP_TIMES,
    UTC,
    attest_route,
    make_attester,
    make_pki,
    validation_time,
    varied_memos,
)

pytestmark = pytest.mark.once  # uses no database: one pass runs it (tests/support/passes.py)

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def m() -> forgeries.Material:
    return forgeries.material()


def verify(pdf: bytes, m: forgeries.Material, **kwargs) -> VerificationResult:
    kwargs.setdefault("trust", [m.pki.ca_cert])
    kwargs.setdefault("now", validation_time())
    return verify_pdf(pdf, **kwargs)


def current_crl(m: forgeries.Material, revoked=()) -> x509.CertificateRevocationList:
    return build_crl(m.pki, list(revoked), now=validation_time() - dt.timedelta(hours=1))


def assert_every_check_ok(result: VerificationResult) -> None:
    not_ok = [(c.code, c.subject, c.message) for c in result.checks if c.status != "ok"]
    assert not_ok == [("records", "", not_ok[-1][2])], not_ok
    assert result.verdict == "valid" and result.title() == "Giltig"


# --- Genuine memos ----------------------------------------------------------------------------


def test_genuine_memo_verifies_with_every_check_ok(m) -> None:
    result = verify(m.genuine.final, m, crls=[current_crl(m)], expected_steps=2)
    assert_every_check_ok(result)
    assert {c.code for c in result.checks} == set(CHECK_CODES)
    assert [c.subject for c in result.checks if c.code == "intact"] == [
        "attest-sigill",
        "attest-steg-1",
        "attest-steg-2",
        "attest-slutsigill",
        "attest-arkivstampel",
    ]
    assert [c.subject for c in result.checks if c.code in ("authority", "appearance")] == [
        "attest-steg-1",
        "attest-steg-1",
        "attest-steg-2",
        "attest-steg-2",
    ]
    assert result.organisation == "Enskede-Årsta-Vantörs stadsdelsförvaltning"
    [records] = [c for c in result.checks if c.code == "records"]
    assert records.status == "not_checked" and "granskningsloggen" in records.message

    jenny, anders = result.attestations
    assert (jenny.position, jenny.signer_name, jenny.title) == (1, *PEOPLE[0])
    assert (anders.position, anders.signer_name, anders.title) == (2, *PEOPLE[1])
    assert jenny.person == f"attest:{m.jenny.person_id}" and not jenny.acting_for
    assert jenny.timestamp_time == jenny.signing_time == STEP_TIMES[0]
    der = m.jenny.cert.public_bytes(serialization.Encoding.DER)
    assert jenny.certificate_sha256 == hashlib.sha256(der).hexdigest()
    assert result.file_sha256 == hashlib.sha256(m.genuine.final).hexdigest()


@pytest.mark.parametrize("name", list(GENUINE))
def test_genuine_memos_of_every_kind_are_valid(m, name: str) -> None:
    result = verify(
        forgeries.genuine(name), m, crls=[current_crl(m)], expected_steps=forgeries.steps_of(name)
    )
    assert_every_check_ok(result)
    assert [a.position for a in result.attestations] == list(range(1, forgeries.steps_of(name) + 1))


def test_an_acting_row_names_whom_the_substitute_stood_in_for(m) -> None:
    result = verify(forgeries.genuine("tf-for-direktoren"), m)
    director_row = result.attestations[1]
    assert (director_row.signer_name, director_row.title) == (
        "Maria Lind",
        "t.f. Stadsdelsdirektör",
    )
    assert director_row.acting_for == "Anders Carstorp"
    [authority] = [c for c in result.checks if c.code == "authority" and "steg-2" in c.subject]
    assert "som t.f. Stadsdelsdirektör för Anders Carstorp" in authority.message
    [row] = [c for c in result.checks if c.code == "appearance" and "steg-2" in c.subject]
    assert "”Maria Lind, t.f. Stadsdelsdirektör  2024-08-16”" in row.message


@pytest.mark.slow
@pytest.mark.parametrize("part", range(3))
def test_thirty_varied_genuine_memos_all_verify(m, part) -> None:
    """Every combination of 0–5 bilagor and 2- or 3-step routes, five times over (30 memos
    in three parts that pytest-xdist runs side by side); the bulk check
    (tests/test_verify_bulk.py) verifies 100 more made through the whole workflow."""
    for pdf, steps in varied_memos(m.pki, (m.jenny, m.anders, m.maria), 10, start=10 * part):
        result = verify(pdf, m, expected_steps=steps)
        assert result.verdict == "valid", [c.message for c in result.failed]


def test_revocation_is_read_from_the_file_without_a_given_crl(m) -> None:
    result = verify(m.genuine.final, m)
    rows = [c for c in result.checks if c.code == "not_revoked" and "steg" in c.subject]
    assert [c.status for c in rows] == ["ok", "ok"]
    assert "finns inte på organisationens spärrlista från 2024-08-16" in rows[0].message


def test_a_given_crl_adds_a_revocation_after_signing_that_leaves_the_row_valid(m) -> None:
    later = dt.datetime(2024, 8, 20, 8, 0, tzinfo=UTC)
    result = verify(
        m.genuine.final, m, crls=[current_crl(m, [(m.jenny.cert.serial_number, later)])]
    )
    assert result.verdict == "valid", [c.message for c in result.failed]
    [jenny] = [c for c in result.checks if c.code == "not_revoked" and c.subject == "attest-steg-1"]
    assert jenny.status == "ok" and "efter att signaturen tidsstämplades" in jenny.message


def test_a_given_crl_that_says_revoked_before_signing_makes_it_invalid(m) -> None:
    before = dt.datetime(2024, 8, 10, 8, 0, tzinfo=UTC)
    result = verify(
        m.genuine.final, m, crls=[current_crl(m, [(m.jenny.cert.serial_number, before)])]
    )
    [revoked] = [c for c in result.failed if c.code == "not_revoked"]
    assert revoked.subject == "attest-steg-1"
    assert "har återkallats 2024-08-10 10:00, före signaturen" in revoked.message


def test_the_embedded_crl_alone_catches_a_revoked_key(m) -> None:
    result = verify(forgeries.forgery("revoked-key-with-only-the-embedded-crl"), m)
    [revoked] = [c for c in result.failed if c.code == "not_revoked"]
    assert "enligt spärrlistan i dokumentet" in revoked.message
    assert "according to the CRL in the document" in revoked.message_en


def test_a_crl_made_in_the_same_second_as_the_last_row_covers_it(m) -> None:
    """A CRL's times have whole seconds: the one made at closing, within the second of the
    last row, must still vouch for it (with a real clock they are often that close)."""
    from attest.attestation import pades

    last = STEP_TIMES[1] + dt.timedelta(milliseconds=400)
    memo = attest_route(m.pki, m.rendered, m.two, times=(STEP_TIMES[0], last))
    closing_at = last + dt.timedelta(milliseconds=300)
    crl = build_crl(m.pki, [], now=closing_at)
    assert crl.last_update_utc < last  # truncated to the second
    final = pades.close(
        memo.stages[-1], m.pki, forgeries.tsa_at(m.pki, closing_at), [crl], closing_at
    )
    result = verify(final, m)
    assert_every_check_ok(result)


def test_a_crl_of_another_ca_in_the_file_vouches_for_nothing(m) -> None:
    rogue_crl = build_crl(m.rogue, [], now=STEP_TIMES[1] + dt.timedelta(hours=1))
    pdf = forgeries.restamp(m.genuine.stages[-1], m.rogue)  # the rogue's DSS, CRL and TSA
    result = verify(pdf, m, crls=[rogue_crl])
    assert result.verdict == "invalid"
    rows = [c for c in result.checks if c.code == "not_revoked" and "steg" in c.subject]
    assert all(c.status == "not_checked" for c in rows)


def test_years_later_an_expired_certificate_is_judged_at_its_timestamp(m) -> None:
    # The attesters' certificates ran out in 2027; the TSA's and the CA's still hold.
    result = verify(m.genuine.final, m, now=dt.datetime(2030, 3, 1, 9, 0, tzinfo=UTC))
    assert result.verdict == "valid", [c.message for c in result.failed]
    trusted = {c.subject: c for c in result.checks if c.code == "trusted"}
    assert "gått ut sedan dess" in trusted["attest-steg-1"].message


def test_every_stage_before_the_close_is_reported_incomplete(m) -> None:
    for pdf in (m.genuine.frozen, m.genuine.stages[0], m.genuine.stages[1]):
        result = verify(pdf, m)
        assert result.verdict == "invalid"
        assert {"complete", "closing_seal"} & result.failed_codes


def test_result_is_frozen_and_serialises(m) -> None:
    result = verify(m.genuine.final, m)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.verdict = "invalid"  # type: ignore[misc]
    data = json.loads(json.dumps(result.to_dict()))
    assert data["verdict"] == "valid"
    assert data["verdict_title"] == {"sv": "Giltig", "en": "Valid"}
    assert data["attestations"][0]["timestamp_time"] == "2024-08-15T09:30:00+00:00"
    assert data["organisation"] == "Enskede-Årsta-Vantörs stadsdelsförvaltning"
    assert {c["code"] for c in data["checks"]} == set(CHECK_CODES)


def test_a_result_holds_plain_values_not_the_parsed_file(m) -> None:
    """Nothing of pyHanko's parsed file stays in a result: a signature field's name was its
    string object, which points back into the whole file, and to_dict copied the file
    through it (seconds per JSON report)."""
    result = verify(m.genuine.final, m)
    for attestation in result.attestations:
        for name in ("field_name", "signer_name", "title", "organisation", "person"):
            assert type(getattr(attestation, name)) is str, name
    data = result.to_dict()
    assert [type(a["field_name"]) for a in data["attestations"]] == [str, str]


# --- Several organisations --------------------------------------------------------------------


def test_a_city_bundle_verifies_each_forvaltnings_memo_naming_it(m) -> None:
    city = [m.pki.ca_cert, m.second.ca_cert]
    own = verify(m.genuine.final, m, trust=city)
    assert own.ok and own.organisation == "Enskede-Årsta-Vantörs stadsdelsförvaltning"
    theirs = verify(forgeries.second_forvaltning_memo(), m, trust=city)
    assert_every_check_ok(theirs)
    assert theirs.organisation == SECOND_ORGANISATION.name


def test_a_memo_whose_ca_is_not_trusted_is_undecidable_never_invalid(m) -> None:
    result = verify(forgeries.second_forvaltning_memo(), m, trust=[m.pki.ca_cert])
    assert result.verdict == "undecidable" and not result.failed
    [certification] = [c for c in result.checks if c.code == "certification_first"]
    assert "inte bland de betrodda" in certification.message
    assert "Ange den organisationens CA-certifikat" in certification.message
    # Twin: the same file changed is invalid whatever the CA.
    changed = tamper.flip_byte_in_first_revision(forgeries.second_forvaltning_memo())
    assert verify(changed, m, trust=[m.pki.ca_cert]).verdict == "invalid"


# --- The older format --------------------------------------------------------------------------


def _legacy() -> tuple[bytes, list[x509.Certificate]]:
    return (DATA / "legacy-attested.pdf").read_bytes(), list(
        load_trust((DATA / "legacy-ca.pem").read_bytes())
    )


def test_a_memo_of_the_older_format_is_undecidable_and_says_which_checks_cannot_be_made():
    pdf, trust = _legacy()
    result = verify_pdf(pdf, trust=trust, now=validation_time(), expected_steps=2)
    assert result.verdict == "undecidable" and result.title() == "Kan inte avgöras"
    assert not result.failed
    undecided = {(c.code, c.subject) for c in result.checks if c.status == "not_checked"}
    assert undecided == {
        ("route_sealed", ""),
        ("authority", "attest-steg-1"),
        ("authority", "attest-steg-2"),
        ("appearance", "attest-steg-1"),
        ("appearance", "attest-steg-2"),
        ("closing_seal", ""),
        ("records", ""),
    }
    [route] = [c for c in result.checks if c.code == "route_sealed"]
    assert "äldre format" in route.message and "older format" in route.message_en
    assert [a.signer_name for a in result.attestations] == ["Jenny Johansson", "Anders Carstorp"]


def test_a_changed_memo_of_the_older_format_is_still_invalid() -> None:
    pdf, trust = _legacy()
    for change in (tamper.flip_byte_in_first_revision, tamper.add_text_to_page(0, "Tillägg")):
        result = verify_pdf(change(pdf), trust=trust, now=validation_time())
        assert result.verdict == "invalid"


# --- Bounded work ------------------------------------------------------------------------------


def _many_signatures(m: forgeries.Material, count: int) -> bytes:
    """A memo with ``count`` more self-made signatures (document timestamps) appended."""
    pdf = m.genuine.final
    tsa = forgeries.tsa_at(m.pki, forgeries.RESTAMPED_AT)
    from io import BytesIO

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.signers.pdf_signer import PdfTimeStamper

    from attest.signing.timestamps import run_sync

    for number in range(count):
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        out = run_sync(
            PdfTimeStamper(tsa, field_name=f"extra-{number}").async_timestamp_pdf(writer, "sha256")
        )
        pdf = out.getvalue()
    return pdf


def _many_revisions(pdf: bytes, count: int) -> bytes:
    """``count`` more incremental updates, each adding one small object."""
    from io import BytesIO

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    for number in range(count):
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        writer.add_object(
            generic.DictionaryObject({generic.pdf_name("/N"): generic.NumberObject(number)})
        )
        out = BytesIO()
        writer.write(out)
        pdf = out.getvalue()
    return pdf


@pytest.mark.slow
def test_more_signatures_than_the_limit_are_refused_before_any_is_validated(m) -> None:
    pdf = _many_signatures(m, 46)  # 5 + 46 = 51 signatures
    started = time.perf_counter()
    result = verify(pdf, m)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, elapsed  # validating 51 signatures takes tens of seconds
    assert result.refused and result.verdict == "undecidable"
    [limit] = [c for c in result.checks if c.code == "within_limits"]
    assert limit.status == "failed" and "fler än gränsen 50" in limit.message
    assert not any(c.code == "intact" for c in result.checks)
    assert not verify(pdf, m, max_signatures=60).refused


def test_more_revisions_than_the_limit_are_refused_and_the_limit_is_the_callers(m) -> None:
    pdf = _many_revisions(m.genuine.final, 45)  # 7 + 45 = 52 revisions
    result = verify(pdf, m)
    assert (
        result.refused
        and result.verdict == "undecidable"
        and result.failed_codes == {"within_limits"}
    )
    [limit] = [c for c in result.checks if c.code == "within_limits"]
    assert "52 revisioner, fler än gränsen 50" in limit.message
    # A lower limit refuses the genuine memo too, a higher one not.
    assert verify(m.genuine.final, m, max_signatures=4).refused
    assert verify(pdf, m, max_signatures=60).verdict == "invalid"  # the updates are changes


# --- The tamper suite ---------------------------------------------------------------------------


def _verify_case(name: str) -> VerificationResult:
    case = CASES[name]
    return verify_pdf(
        forgeries.forgery(name),
        trust=forgeries.trust_for(case),
        now=validation_time(),
        expected_steps=case.expected_steps,
    )


@pytest.mark.parametrize("name", list(CASES), ids=list(CASES))
def test_every_forgery_is_invalid_naming_the_check_that_catches_it(name: str) -> None:
    case = CASES[name]
    result = _verify_case(name)
    assert result.verdict == "invalid", [c.message for c in result.checks]
    assert case.code in result.failed_codes, [(c.code, c.message) for c in result.failed]
    assert result.unusable == case.unusable
    for check in result.failed:
        assert check.message and check.message_en and check.message != check.message_en


def test_the_tamper_suite_covers_every_check_and_every_attack_of_the_issue() -> None:
    caught_by = {case.code for case in CASES.values()}
    assert caught_by >= set(CHECK_CODES) - {"records", "within_limits", "route_sealed"}
    classes = {
        "own key, own title": "own-key-row-with-own-title",
        "own key, t.f. title": "own-key-row-with-acting-title",
        "image-drawn row": "image-drawn-row-over-the-signers-name",
        "namesake, same CA": "namesake-of-the-same-ca",
        "namesake, another förvaltning": "namesake-of-another-forvaltning",
        "revoked key, embedded CRL only": "revoked-key-with-only-the-embedded-crl",
        "Info after closing": "title-and-subject-changed-after-closing",
        "XMP after closing": "xmp-added-after-closing",
        "annotation after closing": "comment-added-after-closing",
        "closing seal missing": "closing-seal-missing",
        "truncated": "truncated-mid-file",
        "bytes before": "bytes-before-pdf",
        "bytes after": "bytes-appended-after-eof",
    }
    assert set(classes.values()) <= set(CASES)
    assert len(CASES) >= 50


def test_a_colleagues_own_key_in_the_directors_row_names_who_was_to_sign() -> None:
    [authority] = [
        c for c in _verify_case("own-key-row-with-own-title").failed if c.code == "authority"
    ]
    assert authority.subject == "attest-steg-2"
    assert "ska enligt den förseglade rutten attesteras av Anders Carstorp" in authority.message
    assert "men signaturen är gjord av Maria Lind" in authority.message


def test_a_namesake_is_told_apart_by_the_person_identifier(m) -> None:
    [authority] = [
        c for c in _verify_case("namesake-of-the-same-ca").failed if c.code == "authority"
    ]
    assert f"attest:{m.anders.person_id}" in authority.message
    assert "men signaturen är gjord av Anders Carstorp (attest:" in authority.message


def test_another_forvaltnings_certificate_is_named_as_such() -> None:
    result = _verify_case("namesake-of-another-forvaltning-with-his-person-id")
    [trusted] = [c for c in result.failed if c.code == "trusted"]
    assert "en annan organisations CA (attest CA SKV)" in trusted.message
    assert result.organisation == "Enskede-Årsta-Vantörs stadsdelsförvaltning"


def test_a_picture_of_a_name_is_not_the_row_attest_draws() -> None:
    [row] = [
        c for c in _verify_case("image-drawn-row-by-the-director").failed if c.code == "appearance"
    ]
    assert row.message.startswith("Raden visar något annat än certifikatet")
    assert "”Anders Carstorp, Stadsdelsdirektör  2024-08-16”" in row.message


def test_a_change_after_the_closing_seal_is_named() -> None:
    [closing] = [
        c
        for c in _verify_case("title-and-subject-changed-after-closing").failed
        if c.code == "closing_seal"
    ]
    assert "dokumentinformationen (/Subject, /Title)" in closing.message
    assert "the document information (/Subject, /Title)" in closing.message_en
    [comment] = [
        c for c in _verify_case("comment-added-after-closing").failed if c.code == "closing_seal"
    ]
    assert "anteckningar på sidan 1 (/FreeText)" in comment.message
    [xmp] = [c for c in _verify_case("xmp-added-after-closing").failed if c.code == "closing_seal"]
    assert "XMP-metadata" in xmp.message


@pytest.mark.parametrize(
    "change",
    [tamper.shadow_page_content(0, "Beslut: avslag"), tamper.redefine_font(0)],
    ids=["content-stream", "font"],
)
def test_an_object_a_page_refers_to_redefined_after_the_closing_seal_changes_the_page(
    m, change
) -> None:
    # The page dictionary is not rewritten: only an object it refers to is, under its old
    # number. The closing seal's revision must read the old object, not the reader's current.
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    from attest.verify.document import describe_changes

    forged = forgeries.restamp(change(m.genuine.final), m.pki)
    reader = PdfFileReader(BytesIO(forged), strict=False)
    closing = next(s for s in reader.embedded_signatures if s.field_name == "attest-slutsigill")
    changes = describe_changes(reader, closing.signed_revision)
    assert "sidan 1" in [c.render("sv") for c in changes]
    genuine = PdfFileReader(BytesIO(forgeries.restamp(m.genuine.final, m.pki)), strict=False)
    assert describe_changes(genuine, closing.signed_revision) == []
    assert "closing_seal" in verify(forged, m).failed_codes


def test_what_a_pdf_writer_updates_on_saving_is_no_change_in_xmp() -> None:
    from attest.verify.document import WRITER_XMP

    def packet(title: str, when: str, producer: str) -> bytes:
        return (
            f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description xmp:ModifyDate="{when}" '
            f'pdf:Producer="{producer}"><dc:title>{title}</dc:title>'
            f"<xmp:MetadataDate>{when}</xmp:MetadataDate></rdf:Description></x:xmpmeta>"
        ).encode()

    before = packet("Avtal", "2024-08-16T16:06:00Z", "attest")
    saved = packet("Avtal", "2026-08-14T09:00:00Z", "attest; pyHanko 0.38")
    changed = packet("Avslag", "2026-08-14T09:00:00Z", "attest")
    assert WRITER_XMP.sub(b"", before) == WRITER_XMP.sub(b"", saved)
    assert WRITER_XMP.sub(b"", before) != WRITER_XMP.sub(b"", changed)


def test_an_archive_renewal_is_no_change_after_the_closing_seal(m) -> None:
    renewed = forgeries.genuine("arkivstampel-fornyad")
    twice = forgeries.restamp(renewed, m.pki, dt.datetime(2024, 8, 21, 9, 0, tzinfo=UTC))
    assert_every_check_ok(verify(twice, m))


def test_content_added_is_not_excused_by_intact_signatures(m) -> None:
    # The trap in DESIGN.md: the signed bytes are untouched, so every signature is intact.
    result = _verify_case("text-added-after-last-signature")
    assert all(c.status == "ok" for c in result.checks if c.code == "intact")
    changes = [c for c in result.failed if c.code == "changes_allowed"]
    assert {c.subject for c in changes} >= {"attest-sigill", "attest-steg-1", "attest-steg-2"}
    assert "nytt eller ändrat sidinnehåll" in changes[0].message
    assert "new or altered page content" in changes[0].message_en


def test_a_damaged_signed_file_is_invalid_not_unusable() -> None:
    for name in ("truncated-mid-file", "bytes-before-pdf"):
        result = _verify_case(name)
        assert not result.unusable
        [intact] = [c for c in result.failed if c.code == "file_intact"]
        assert intact.message


def test_every_text_is_translated_in_the_catalogue_with_the_same_placeholders() -> None:
    import string

    from attest.catalogue import gettext
    from attest.verify import records, report

    texts = [
        *report.TEXTS.items(),
        *report.LABELS.items(),
        *report.CHECK_TITLES.items(),
        *records.TEXTS.items(),
        *records.PROBLEMS.items(),
    ]
    for key, sv in texts:
        en = gettext("en", sv)  # the Swedish msgid in the one catalogue
        fields = [{f for _, f, _, _ in string.Formatter().parse(t) if f} for t in (sv, en)]
        assert fields[0] == fields[1], key
        assert sv != en or sv == "Organisation", key
    used: set[str] = set()
    for path in (ROOT / "attest" / "verify").glob("*.py"):
        if path.name not in ("report.py", "records.py", "views.py", "bulk.py"):
            used |= set(re.findall(r'"([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    assert used - set(report.TEXTS) == set()
    assert set(report.TEXTS) - used == set()
    assert set(report.CHECK_TITLES) == set(CHECK_CODES)


# --- The command line ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory, m) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("verify")
    paths = {
        "genuine": m.genuine.final,
        "tampered": tamper.add_text_to_page(0, "Tillägg")(m.genuine.final),
        "own_key": forgeries.forgery("own-key-row-with-own-title"),
        "damaged": forgeries.forgery("truncated-mid-file"),
        "prefixed": forgeries.forgery("bytes-before-pdf"),
        "not_pdf": tamper.not_a_pdf(b""),
        "encrypted": forgeries.forgery("encrypted-pdf"),
        "legacy": (DATA / "legacy-attested.pdf").read_bytes(),
    }
    out = {}
    for name, data in paths.items():
        out[name] = folder / f"{name}.pdf"
        out[name].write_bytes(data)
    out["ca"] = folder / "EÅV-ca.pem"
    out["ca"].write_bytes(m.pki.ca_cert.public_bytes(serialization.Encoding.PEM))
    out["legacy_ca"] = DATA / "legacy-ca.pem"
    out["crl"] = folder / "EÅV-crl.pem"
    crl = build_crl(m.pki, [], now=dt.datetime.now(UTC) - dt.timedelta(minutes=5))
    out["crl"].write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    out["garbage"] = folder / "garbage.pem"
    out["garbage"].write_bytes(
        b"-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----\n"
    )
    return out


def run_cli(*args: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "attest.verify", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def test_the_verifier_starts_without_the_memo_layout() -> None:
    # A clerk's `attest verify` imports pyHanko and what the checks need (a row's drawing,
    # the XMP helpers), not the memo's layout, the merging of bilagor or the web app.
    code = (
        "import sys, attest.verify.core, attest.signing.rows, attest.pdf.rows; "
        "print(sorted(m for m in ('attest.pdf.memo', 'attest.pdf.merge', 'attest.pdf.report', "
        "'reportlab.platypus', 'flask', 'sqlalchemy') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=ROOT
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.system
def test_cli_genuine_exits_0_with_verdict_attesters_and_checks(files) -> None:
    done = run_cli(files["genuine"], "--trust", files["ca"], "--crl", files["crl"])
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"{files['genuine']}: Giltig"
    assert lines[1] == "  Organisation: Enskede-Årsta-Vantörs stadsdelsförvaltning"
    assert "1. Jenny Johansson, Avdelningschef" in done.stdout
    assert "tidsstämplad 2024-08-15 11:30" in done.stdout  # Stockholm time
    assert "2. Anders Carstorp, Stadsdelsdirektör" in done.stdout
    assert "✓ Signaturen i attest-steg-2 är intakt" in done.stdout
    assert "✓ Slutsigillet (attest systemsigill EÅV" in done.stdout
    assert "– Jämförd med register och logg: Inte kontrollerat" in done.stdout
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("tampered", "✗ Efter signaturen i attest-steg-2 har dokumentet ändrats"),
        ("own_key", "✗ attest-steg-2 ska enligt den förseglade rutten attesteras av"),
        ("damaged", "✗ Filen är en signerad PDF men trasig eller avkortad"),
        ("prefixed", "✗ Före %PDF i filen finns 15 byte"),
    ],
    ids=["changed", "own-key", "damaged", "bytes-before"],
)
@pytest.mark.system
def test_cli_forgeries_exit_1_and_name_the_reason(files, name, message) -> None:
    done = run_cli(files[name], "--trust", files["ca"])
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.startswith(f"{files[name]}: Ogiltig")
    assert message in done.stdout
    assert "Traceback" not in done.stderr and "WARNING" not in done.stderr


@pytest.mark.system
def test_cli_older_format_exits_1_as_undecidable(files) -> None:
    done = run_cli(files["legacy"], "--trust", files["legacy_ca"])
    assert done.returncode == 1
    assert done.stdout.startswith(f"{files['legacy']}: Kan inte avgöras")
    assert "det fastställdes i ett äldre format" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("{not_pdf}", "--trust", "{ca}"), "inte en PDF"),
        (("{encrypted}", "--trust", "{ca}"), "krypterad"),
        (("{genuine}", "{not_pdf}", "--trust", "{ca}"), "1 av 2 filer giltiga"),
        (("missing.pdf", "--trust", "{ca}"), "missing.pdf kunde inte läsas"),
        (("{genuine}",), "keys/<ORG>-ca.pem"),
        (("{genuine}", "--trust", "{garbage}"), "kunde inte läsas"),
        (("{genuine}", "--trust", "{ca}", "--crl", "{garbage}"), "Spärrlistan"),
    ],
    ids=[
        "not-a-pdf",
        "encrypted",
        "one-unusable-of-two",
        "missing-file",
        "no-trust",
        "bad-trust",
        "bad-crl",
    ],
)
@pytest.mark.system
def test_cli_unusable_input_exits_2(files, args, message) -> None:
    done = run_cli(*(a.format(**files) for a in args))
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stdout + done.stderr


@pytest.mark.system
def test_cli_json_parses_and_english_texts(files) -> None:
    done = run_cli(
        files["genuine"], files["tampered"], "--trust", files["ca"], "--json", "--lang", "en"
    )
    assert done.returncode == 1
    genuine, tampered = json.loads(done.stdout)
    assert genuine["verdict"] == "valid" and genuine["file"] == str(files["genuine"])
    assert tampered["verdict"] == "invalid"
    assert genuine["attestations"][1]["signer_name"] == "Anders Carstorp"
    failed = [c for c in tampered["checks"] if c["status"] == "failed"]
    assert {"changes_allowed", "nothing_after", "closing_seal"} <= {c["code"] for c in failed}

    english = run_cli(files["tampered"], "--trust", files["ca"], "--lang", "en")
    assert english.stdout.startswith(f"{files['tampered']}: Invalid")
    assert "The signature in attest-steg-1 is intact" in english.stdout
    assert "Attested by" in english.stdout


@pytest.mark.system
def test_cli_in_english_says_nothing_in_swedish_but_what_the_certificates_say(files) -> None:
    """`attest verify --lang en`, without a Flask app: every verdict, check, label and
    refusal in English; Swedish only in names, titles and organisations the certificates
    state, and in the signature fields' names (attest-steg-1) the PDF gives them."""
    from tests.support.swedish import swedish_words

    cases = ["genuine", "tampered", "own_key", "damaged", "prefixed", "not_pdf", "encrypted"]
    paths = [str(files[name]) for name in cases]
    said = run_cli(*paths, "--trust", files["ca"], "--crl", files["crl"], "--lang", "en")
    untrusted = run_cli(files["genuine"], "--lang", "en")  # no --trust: what is needed
    garbage = run_cli(files["genuine"], "--trust", files["garbage"], "--lang", "en")
    missing = run_cli(files["genuine"], "--trust", "no-such-ca.pem", "--lang", "en")
    facts = json.loads(run_cli(*paths, "--trust", files["ca"], "--json", "--lang", "en").stdout)
    stated = (
        [
            value
            for result in facts
            for a in result["attestations"]
            for value in (a["signer_name"], a["title"], a["organisation"], a["acting_for"])
        ]
        + [result["organisation"] for result in facts]
        + ["EÅV"]
    )  # its code, in every Dnr
    text = "\n".join(done.stdout + done.stderr for done in (said, untrusted, garbage, missing))
    for path in [*paths, str(files["ca"]), str(files["crl"]), str(files["garbage"])]:
        text = text.replace(path, " ")
    text = re.sub(r"\battest-[\w-]+", " ", text)
    # The certificates of the seal and the timestamps name themselves in Swedish too.
    text = re.sub(r"\battest (systemsigill|tidsstämpel) ", " ", text)
    assert swedish_words(text, stated) == [], text
    assert "Invalid" in said.stdout and "Valid" in said.stdout

    # The catalogue is read with Babel alone: the verifier needs no Flask app.
    code = (
        "import sys\n"
        "from attest.verify.cli import main\n"
        f"main([{str(files['genuine'])!r}, '--trust', {str(files['ca'])!r}, '--lang', 'en'])\n"
        "print('flask_babel' in sys.modules, 'flask' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.stdout.splitlines()[-1] == "False False", done.stdout + done.stderr


def test_cli_in_process_matches_exit_codes(files, capsys) -> None:
    genuine, ca = str(files["genuine"]), str(files["ca"])
    assert cli_main([genuine, "--trust", ca, "--expected-steps", "2"]) == 0
    assert cli_main([genuine, "--trust", ca, "--expected-steps", "3"]) == 1
    assert "3 förväntades" in capsys.readouterr().out
    assert cli_main([genuine, "--trust", ca, "--max-signatures", "3"]) == 1
    assert "fler än gränsen 3" in capsys.readouterr().out


@pytest.mark.system
def test_console_script_dispatches_to_the_verifier(files) -> None:
    script = Path(sys.executable).with_name("attest")
    if not script.exists():
        pytest.skip("the attest console script is not installed in this environment")
    done = subprocess.run(
        [str(script), "verify", str(files["genuine"]), "--trust", str(files["ca"]), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdict"] == "valid"


@pytest.mark.parametrize("name", list(GENUINE))
@pytest.mark.system
def test_pyhankos_own_validator_calls_every_signature_valid(tmp_path, m, name) -> None:
    pyhanko = shutil.which("pyhanko", path=str(Path(sys.executable).parent))
    assert pyhanko, "pyHanko's CLI is installed with the package"
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(forgeries.genuine(name))
    ca = tmp_path / "ca.pem"
    ca.write_bytes(m.pki.ca_cert.public_bytes(serialization.Encoding.PEM))
    done = subprocess.run(
        # At the tests' time of checking: a t.f. certificate lasts as long as its
        # substitution, and pyHanko's plain validation judges certificates at that time.
        [
            pyhanko,
            "sign",
            "validate",
            "--trust-replace",
            "--trust",
            str(ca),
            "--validation-time",
            validation_time().isoformat(),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("attest-")]
    assert len(lines) >= 4  # the seal, the rows and the closing seal (timestamps apart)
    assert all(":INTACT:TRUSTED" in line and "ACCEPTABLE_MODIFICATIONS" in line for line in lines)


def _imported_modules(*args: object) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "attest.verify", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    modules = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            modules.add(line.rsplit("|", 1)[1].strip())
    assert modules, done.stderr
    return modules


@pytest.mark.parametrize("verifying", [False, True], ids=["help", "verifying"])
@pytest.mark.system
def test_verifier_imports_no_web_app(files, verifying: bool) -> None:
    args = (files["genuine"], "--trust", files["ca"]) if verifying else ("--help",)
    modules = _imported_modules(*args)
    roots = {name.split(".")[0] for name in modules}
    assert not roots & {"flask", "sqlalchemy", "werkzeug", "flask_login", "flask_wtf", "alembic"}
    assert not {
        m
        for m in modules
        if m.startswith(("attest.db", "attest.memos", "attest.cli", "attest.users"))
    }
    if not verifying:
        assert "pyhanko" not in roots  # --help answers before the core loads


def test_forged_material_is_made_with_the_organisations_ca(m) -> None:
    # The forgeries are insiders' work: a colleague's certificate is the organisation's own.
    m.maria.cert.verify_directly_issued_by(m.pki.ca_cert)
    assert make_pki() is m.pki
    namesake = make_attester(m.pki, *PEOPLE[1], person_id="1" * 8 + "-0000-4000-8000-" + "0" * 12)
    assert namesake.cert.subject != m.anders.cert.subject  # only the person identifier differs
    assert attest_route is not None and Case is not None


def test_a_memo_attested_by_an_earlier_build_still_verifies() -> None:
    """tests/data/current-attested.pdf was made once and kept: the rows' drawing, the route
    and the checks must keep accepting what attest made before (see tests/data/README.md)."""
    pdf = (DATA / "current-attested.pdf").read_bytes()
    trust = list(load_trust((DATA / "current-ca.pem").read_bytes()))
    result = verify_pdf(pdf, trust=trust, now=validation_time(), expected_steps=2)
    assert_every_check_ok(result)
    assert result.attestations[1].title == "t.f. Stadsdelsdirektör"
