"""The clerk's verifier: genuine attested PDFs verify with every check ok, and every forgery in
the tamper suite is reported invalid with the check that catches it."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps import DummyTimeStamper

import attest.signing.sign as signing_module
from attest.pdf import (
    AttestationStep,
    RenderedMemo,
    Signatory,
    render_memo,
)
from attest.pki import OrgPki, build_crl
from attest.signing import (
    InProcessTimeStamper,
    TimeStamper,
    add_signature_fields,
    certify,
    fields_for_rows,
    sign_field,
)
from attest.verify import CHECK_CODES, VerificationResult, verify_pdf
from attest.verify.cli import main as cli_main
from tests.support import tamper
from tests.support.signing import (
    FROZEN_AT,
    ORGANISATION,
    PEOPLE,
    STEP_TIMES,
    THIRD,
    UTC,
    Attester,
    Memo,
    TestClock,
    attest,
    attest_route,
    bilaga,
    make_attester,
    make_pki,
    reference_doc,
    row_appearance,
    validation_time,
    varied_memos,
)

pytestmark = pytest.mark.once  # uses no database: the SQLite pass runs it

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pki() -> OrgPki:
    return make_pki()


@pytest.fixture(scope="module")
def people(pki: OrgPki) -> tuple[Attester, ...]:
    return tuple(make_attester(pki, name, title) for name, title in (*PEOPLE, THIRD))


@pytest.fixture(scope="module")
def two(people) -> tuple[Attester, Attester]:
    return people[0], people[1]


@pytest.fixture(scope="module")
def rendered() -> RenderedMemo:
    return render_memo(reference_doc())


@pytest.fixture(scope="module")
def genuine(pki, two, rendered) -> Memo:
    """The reference memo with one bilaga, attested by Avdelningschef and Stadsdelsdirektör."""
    return attest_route(pki, rendered, two)


@pytest.fixture(scope="module")
def other_memo(pki, two) -> Memo:
    """Another memo of the same organisation, attested by the same people."""
    doc = dataclasses.replace(
        reference_doc(with_bilaga=False),
        dnr="EÅV 2024/124",
        rubrik="Förlängt avtal om föreningsstöd",
    )
    return attest_route(pki, render_memo(doc), two)


@pytest.fixture(scope="module")
def rogue() -> OrgPki:
    """A self-made CA with exactly the organisation's names."""
    return make_pki("rogue")


@pytest.fixture(scope="module")
def genuine_variants(pki, people) -> dict[str, bytes]:
    base = reference_doc()
    no_bilaga = render_memo(reference_doc(with_bilaga=False))
    three_bilagor = render_memo(
        dataclasses.replace(
            base,
            attachments=(
                bilaga("Slutrapport i samband med upphörande av IOP", 1),
                bilaga("Ekonomisk redovisning 2023", 2),
                bilaga("Yttrande från föreningen", 3),
            ),
        )
    )
    three_steps = render_memo(
        dataclasses.replace(
            base,
            steps=(
                AttestationStep(PEOPLE[0][1]),
                AttestationStep(THIRD[1]),
                AttestationStep(PEOPLE[1][1]),
            ),
            signatories=(Signatory(*PEOPLE[1]), Signatory(*THIRD), Signatory(*PEOPLE[0])),
        )
    )
    route = (people[0], people[2], people[1])
    return {
        "0-bilagor": attest_route(pki, no_bilaga, people[:2]).final,
        "3-bilagor": attest_route(pki, three_bilagor, people[:2]).final,
        "3-steg": attest_route(pki, three_steps, route).final,
    }


def verify(pdf: bytes, pki: OrgPki, **kwargs) -> VerificationResult:
    kwargs.setdefault("trust", [pki.ca_cert])
    kwargs.setdefault("now", validation_time())
    return verify_pdf(pdf, **kwargs)


def current_crl(pki: OrgPki, revoked=()) -> x509.CertificateRevocationList:
    return build_crl(pki, list(revoked), now=validation_time() - dt.timedelta(hours=1))


def assert_every_check_ok(result: VerificationResult) -> None:
    not_ok = [(c.code, c.subject, c.message) for c in result.checks if c.status != "ok"]
    assert not_ok == [("records", "", not_ok[-1][2])], not_ok
    assert result.verdict == "valid" and result.title() == "Giltig"


# --- Genuine PDFs ---------------------------------------------------------------------------


def test_genuine_memo_verifies_with_every_check_ok(genuine: Memo, pki, two) -> None:
    result = verify(genuine.final, pki, crls=[current_crl(pki)], expected_steps=2)
    assert_every_check_ok(result)
    codes = {c.code for c in result.checks}
    assert codes == set(CHECK_CODES)
    per_signature = [c.subject for c in result.checks if c.code == "intact"]
    assert per_signature == [
        "attest-sigill",
        "attest-steg-1",
        "attest-steg-2",
        "attest-arkivstampel",
    ]
    [records] = [c for c in result.checks if c.code == "records"]
    assert records.status == "not_checked" and "granskningsloggen" in records.message

    jenny, anders = result.attestations
    assert (jenny.position, jenny.signer_name, jenny.title) == (1, *PEOPLE[0])
    assert (anders.position, anders.signer_name, anders.title) == (2, *PEOPLE[1])
    assert jenny.organisation == ORGANISATION.name
    assert jenny.timestamp_time == jenny.signing_time == STEP_TIMES[0]
    assert anders.timestamp_time == STEP_TIMES[1]
    der = two[0].cert.public_bytes(serialization.Encoding.DER)
    assert jenny.certificate_sha256 == hashlib.sha256(der).hexdigest()
    assert result.file_sha256 == hashlib.sha256(genuine.final).hexdigest()


@pytest.mark.parametrize("variant", ["0-bilagor", "3-bilagor", "3-steg"])
def test_genuine_variants_verify(genuine_variants, pki, variant: str) -> None:
    steps = 3 if variant == "3-steg" else 2
    result = verify(genuine_variants[variant], pki, crls=[current_crl(pki)], expected_steps=steps)
    assert_every_check_ok(result)
    assert [a.position for a in result.attestations] == list(range(1, steps + 1))


@pytest.mark.slow
@pytest.mark.parametrize("part", range(3))
def test_thirty_varied_genuine_memos_all_verify(pki, people, part) -> None:
    """Every combination of 0–5 bilagor and 2- or 3-step routes, five times over (30 memos
    in three parts that pytest-xdist runs side by side); the bulk check
    (tests/test_verify_bulk.py) verifies 100 more made through the whole workflow."""
    crl = current_crl(pki)
    for pdf, steps in varied_memos(pki, people, 10, start=10 * part):
        result = verify(pdf, pki, crls=[crl], expected_steps=steps)
        assert result.verdict == "valid", [c.message for c in result.failed]


def test_without_crl_revocation_is_not_checked_and_said_so(genuine: Memo, pki) -> None:
    result = verify(genuine.final, pki)
    assert result.verdict == "valid"
    revocation = [c for c in result.checks if c.code == "not_revoked"]
    assert len(revocation) == 4
    assert all(c.status == "not_checked" for c in revocation)
    assert "ingen spärrlista" in revocation[0].message
    assert "no certificate revocation list" in revocation[0].message_en


def test_years_later_an_expired_certificate_is_judged_at_its_timestamp(genuine: Memo, pki) -> None:
    # The attesters' certificates ran out in 2027; the TSA's and the CA's still hold.
    result = verify(genuine.final, pki, now=dt.datetime(2030, 3, 1, 9, 0, tzinfo=UTC))
    assert result.verdict == "valid", [c.message for c in result.failed]
    trusted = {c.subject: c for c in result.checks if c.code == "trusted"}
    assert "gått ut sedan dess" in trusted["attest-steg-1"].message


def test_revoked_after_signing_does_not_void_the_attestation(genuine: Memo, pki, two) -> None:
    later = dt.datetime(2024, 8, 20, 8, 0, tzinfo=UTC)
    result = verify(
        genuine.final, pki, crls=[current_crl(pki, [(two[0].cert.serial_number, later)])]
    )
    assert result.verdict == "valid", [c.message for c in result.failed]
    [jenny] = [c for c in result.checks if c.code == "not_revoked" and c.subject == "attest-steg-1"]
    assert jenny.status == "ok" and "efter att signaturen tidsstämplades" in jenny.message


def test_a_stale_crl_makes_the_verdict_undecidable(genuine: Memo, pki) -> None:
    stale = build_crl(pki, [], now=validation_time() - dt.timedelta(days=30))
    result = verify(genuine.final, pki, crls=[stale])
    assert result.verdict == "undecidable" and result.title() == "Kan inte avgöras"
    assert not result.failed
    unknown = [c for c in result.checks if c.code == "not_revoked"]
    assert unknown and all(c.status == "not_checked" for c in unknown)
    assert "could not be decided" in unknown[0].message_en


def test_every_stage_before_the_archive_is_reported_incomplete(genuine: Memo, pki) -> None:
    for pdf in (genuine.frozen, genuine.stages[0]):
        result = verify(pdf, pki)
        assert result.verdict == "invalid"
        assert "complete" in result.failed_codes


def test_result_is_frozen_and_serialises(genuine: Memo, pki) -> None:
    result = verify(genuine.final, pki)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.verdict = "invalid"  # type: ignore[misc]
    data = json.loads(json.dumps(result.to_dict()))
    assert data["verdict"] == "valid"
    assert data["verdict_title"] == {"sv": "Giltig", "en": "Valid"}
    assert data["attestations"][0]["timestamp_time"] == "2024-08-15T09:30:00+00:00"
    assert {c["code"] for c in data["checks"]} == set(CHECK_CODES)


# --- The tamper suite -----------------------------------------------------------------------


@contextlib.contextmanager
def sha1_signatures() -> Iterator[None]:
    """attest signs with SHA-256 only; a forger's tool can still choose SHA-1."""
    saved = signing_module.DIGEST_ALGORITHM
    signing_module.DIGEST_ALGORITHM = "sha1"
    try:
        yield
    finally:
        signing_module.DIGEST_ALGORITHM = saved


class Sha1TimeStamper(InProcessTimeStamper):
    """The organisation's TSA key, answering SHA-1 requests as pyHanko's test TSA does."""

    def request_tsa_response(self, req):
        self.fixed_dt = self._now()
        return DummyTimeStamper.request_tsa_response(self, req)

    def _sign_tst_info(self, tst_info_data, md_algorithm, moment):
        return DummyTimeStamper._sign_tst_info(self, tst_info_data, md_algorithm, moment)


class OtherDataTimeStamper(InProcessTimeStamper):
    """A genuine token of the organisation's TSA, but for other data than the signature."""

    async def async_timestamp(self, message_digest, md_algorithm):
        other = hashlib.new(md_algorithm, b"ett annat dokument").digest()
        return await super().async_timestamp(other, md_algorithm)


@dataclasses.dataclass(frozen=True)
class Case:
    """One forgery: how to make it from the genuine material, and the check that must fail."""

    build: Callable[..., bytes]
    code: str
    crls: Callable[..., list] | None = None
    expected_steps: int | None = None


def _tsa(pki: OrgPki, clock: TestClock) -> InProcessTimeStamper:
    return InProcessTimeStamper(pki.tsa_key, pki.tsa_cert, pki.chain, clock.now)


def _copied_attestation(g, pki, two, other, rogue, rendered) -> bytes:
    # Jenny's valid attestation of another memo, put into this memo's first row.
    cms_der = tamper.signature_contents(other.stages[0], "attest-steg-1")
    forged = tamper.embed_signature("attest-steg-1", cms_der)(g.frozen)
    return attest_route(pki, rendered, two, order=(1,), frozen=forged, times=STEP_TIMES[1:]).final


def _rogue_ca(g, pki, two, other, rogue, rendered) -> bytes:
    fake_jenny = make_attester(rogue, *PEOPLE[0])
    return attest_route(pki, rendered, (fake_jenny, two[1]), chains={0: rogue.chain}).final


def _revoked_before_signing(g, pki, two, other, rogue, rendered) -> bytes:
    return g.final  # the CRL (below) says Jenny's certificate was revoked on 10 August


def _not_yet_valid(g, pki, two, other, rogue, rendered) -> bytes:
    # Issued on 20 August, but the TSA proves the signature was made on 15 August.
    late = make_attester(pki, *PEOPLE[0], now=dt.datetime(2024, 8, 20, 8, 0, tzinfo=UTC))
    return attest_route(
        pki,
        rendered,
        (late, two[1]),
        claimed=lambda step, at: dt.datetime(2024, 8, 21, 9, 0, tzinfo=UTC) if step == 0 else at,
    ).final


def _expired(g, pki, two, other, rogue, rendered) -> bytes:
    # Valid 1–4 August; the signer claims 3 August, the TSA proves 15 August.
    short = make_attester(pki, *PEOPLE[0], days=3)
    return attest_route(
        pki,
        rendered,
        (short, two[1]),
        claimed=lambda step, at: dt.datetime(2024, 8, 3, 9, 0, tzinfo=UTC) if step == 0 else at,
    ).final


def _untrusted_tsa(g, pki, two, other, rogue, rendered) -> bytes:
    return attest_route(
        pki,
        rendered,
        two,
        stamper=lambda step, clock: _tsa(rogue, clock) if step == 0 else _tsa(pki, clock),
    ).final


def _timestamp_for_other_data(g, pki, two, other, rogue, rendered) -> bytes:
    def stamper(step: int, clock: TestClock) -> TimeStamper:
        if step == 1:
            return OtherDataTimeStamper(pki.tsa_key, pki.tsa_cert, pki.chain, clock.now)
        return _tsa(pki, clock)

    return attest_route(pki, rendered, two, stamper=stamper).final


def _future(g, pki, two, other, rogue, rendered) -> bytes:
    # Made with every clock in March 2025 and checked (validation_time) in August 2024.
    future = dt.datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    times = (future + dt.timedelta(days=1), future + dt.timedelta(days=2))
    return attest_route(pki, rendered, two, frozen_at=future, times=times).final


def _sha1(g, pki, two, other, rogue, rendered) -> bytes:
    clock = TestClock(STEP_TIMES[0])
    tsa = Sha1TimeStamper(pki.tsa_key, pki.tsa_cert, pki.chain, clock.now)
    with sha1_signatures():
        first = attest(g.frozen, rendered, 0, two[0], pki, tsa, clock.now())
    rest = attest_route(pki, rendered, two, order=(1,), frozen=first, times=STEP_TIMES[1:])
    return rest.final


def _row_names_someone_else(g, pki, two, other, rogue, rendered) -> bytes:
    # Jenny signs, but the row she signs was drawn as "Anders Carstorp, Stadsdelsdirektör".
    jenny, anders = two
    at = STEP_TIMES[0]
    signed = sign_field(
        g.frozen,
        field_name="attest-steg-1",
        signer_key=jenny.key,
        signer_cert=jenny.cert,
        chain=pki.chain,
        appearance_pdf=row_appearance(rendered.rows[0], anders.name_title, at),
        timestamper=_tsa(pki, TestClock(at)),
        reason="Attesterat",
        now=at,
    )
    rest = attest_route(pki, rendered, two, order=(1,), frozen=signed, times=STEP_TIMES[1:])
    return rest.final


def _reordered(g, pki, two, other, rogue, rendered) -> bytes:
    return attest_route(pki, rendered, two, order=(1, 0)).final


def _same_person_twice(g, pki, two, other, rogue, rendered) -> bytes:
    return attest_route(pki, rendered, (two[0], two[0])).final


def _seal_replaced_by_a_person(g, pki, two, other, rogue, rendered) -> bytes:
    clock = TestClock(FROZEN_AT)
    with_fields = add_signature_fields(rendered.pdf, fields_for_rows(rendered.rows))
    jenny = two[0]
    frozen = certify(
        with_fields,
        signer_key=jenny.key,
        signer_cert=jenny.cert,
        chain=pki.chain,
        timestamper=_tsa(pki, clock),
        now=clock.now(),
    )
    return attest_route(pki, rendered, two, frozen=frozen).final


def _never_certified(g, pki, two, other, rogue, rendered) -> bytes:
    with_fields = add_signature_fields(rendered.pdf, fields_for_rows(rendered.rows))
    return attest_route(pki, rendered, two, frozen=with_fields).final


def _on_final(transform: Callable[[bytes], bytes]) -> Callable[..., bytes]:
    def build(g, pki, two, other, rogue, rendered) -> bytes:
        return transform(g.final)

    build.__doc__ = transform.__doc__
    return build


def _replacement_bilaga(g, pki, two, other, rogue, rendered) -> bytes:
    fake = bilaga("Slutrapport i samband med upphörande av IOP (ändrad)", 1).pdf
    return tamper.replace_pages_after(rendered.memo_page_count, fake)(g.final)


def _revoked_crl(pki, two):
    revoked_at = dt.datetime(2024, 8, 10, 8, 0, tzinfo=UTC)  # before her 15 August attestation
    return [current_crl(pki, [(two[0].cert.serial_number, revoked_at)])]


CASES: dict[str, Case] = {
    "byte-flipped-in-signed-range": Case(_on_final(tamper.flip_byte_in_first_revision), "intact"),
    "signature-value-zeroed": Case(
        _on_final(tamper.zero_signature_value("attest-steg-1")), "intact"
    ),
    "text-added-after-last-signature": Case(
        _on_final(tamper.add_text_to_page(0, "Beslutet avser 5 000 000 kronor")),
        "changes_allowed",
    ),
    "page-added": Case(_on_final(tamper.add_page()), "changes_allowed"),
    "page-removed-pypdf-rewrite": Case(_on_final(tamper.remove_page(1)), "intact"),
    "bilaga-replaced-pypdf-rewrite": Case(_replacement_bilaga, "intact"),
    "appearance-redrawn-with-another-name": Case(
        _on_final(tamper.redraw_appearance("attest-steg-1", "Eva Svensson, Avdelningschef")),
        "changes_allowed",
    ),
    "signature-field-removed": Case(_on_final(tamper.remove_field("attest-steg-1")), "complete"),
    "field-emptied": Case(_on_final(tamper.empty_field("attest-steg-2")), "complete"),
    "signatures-reordered": Case(_reordered, "route_order"),
    "same-person-attests-twice": Case(_same_person_twice, "route_order"),
    "row-shows-someone-else-than-the-signer": Case(_row_names_someone_else, "route_order"),
    "attestation-copied-from-another-memo": Case(_copied_attestation, "intact"),
    "certificate-from-self-made-ca": Case(_rogue_ca, "trusted"),
    "certificate-revoked-before-signing": Case(
        _revoked_before_signing, "not_revoked", _revoked_crl
    ),
    "certificate-not-yet-valid": Case(_not_yet_valid, "time_within_validity"),
    "certificate-expired": Case(_expired, "time_within_validity"),
    "timestamp-from-untrusted-tsa": Case(_untrusted_tsa, "timestamp"),
    "timestamp-for-other-data": Case(_timestamp_for_other_data, "timestamp"),
    "signing-time-in-the-future": Case(_future, "time_within_validity"),
    "sha1-signature": Case(_sha1, "valid"),
    "seal-replaced-by-a-personal-certificate": Case(
        _seal_replaced_by_a_person, "certification_first"
    ),
    "never-certified-by-the-seal": Case(_never_certified, "certification_first"),
    "truncated-to-an-earlier-revision": Case(
        lambda g, *_: tamper.truncate_to_revision(3)(g.final), "complete"
    ),
    "truncated-mid-file": Case(_on_final(tamper.cut_in_half), "file_is_pdf"),
    "shadow-revision-overrides-page-content": Case(
        _on_final(tamper.shadow_page_content(0, "Beslut: avslag")), "changes_allowed"
    ),
    "validation-data-overwritten": Case(_on_final(tamper.replace_dss), "archive_timestamp"),
    "document-timestamp-removed": Case(_on_final(tamper.drop_last_revision), "archive_timestamp"),
    "bytes-appended-after-eof": Case(_on_final(tamper.append_bytes()), "nothing_after"),
    "fewer-steps-than-expected": Case(_on_final(lambda pdf: pdf), "complete", expected_steps=3),
    "never-attested": Case(
        lambda g, pki, two, other, rogue, rendered: rendered.pdf, "has_signatures"
    ),
    "frozen-but-not-attested": Case(lambda g, *_: g.frozen, "complete"),
    "not-a-pdf-named-pdf": Case(_on_final(tamper.not_a_pdf), "file_is_pdf"),
    "encrypted-pdf": Case(_on_final(tamper.encrypt()), "file_is_pdf"),
    "empty-file": Case(_on_final(tamper.empty), "file_is_pdf"),
}
UNUSABLE = {"truncated-mid-file", "not-a-pdf-named-pdf", "encrypted-pdf", "empty-file"}


@pytest.mark.parametrize("name", list(CASES), ids=list(CASES))
def test_tampered_pdf_is_invalid_with_the_right_check(
    name: str, genuine, pki, two, other_memo, rogue, rendered
) -> None:
    case = CASES[name]
    forged = case.build(genuine, pki, two, other_memo, rogue, rendered)
    assert forged != genuine.final or case.crls or case.expected_steps
    crls = case.crls(pki, two) if case.crls else [current_crl(pki)]
    result = verify(forged, pki, crls=crls, expected_steps=case.expected_steps)

    assert result.verdict == "invalid", [c.message for c in result.checks]
    assert case.code in result.failed_codes, [(c.code, c.message) for c in result.failed]
    assert result.unusable == (name in UNUSABLE)
    for check in result.failed:
        assert check.message and check.message_en and check.message != check.message_en


def test_the_tamper_suite_covers_every_attack_of_the_issue() -> None:
    assert len(CASES) >= 25
    caught_by = {case.code for case in CASES.values()}
    assert caught_by >= set(CHECK_CODES) - {"records"}


def test_certificate_from_self_made_ca_is_named(genuine, pki, two, other_memo, rogue, rendered):
    result = verify(_rogue_ca(genuine, pki, two, other_memo, rogue, rendered), pki)
    [trusted] = [c for c in result.failed if c.code == "trusted"]
    assert trusted.subject == "attest-steg-1"
    assert (
        "Jenny Johansson (Avdelningschef) är inte utfärdat av organisationens CA" in trusted.message
    )


def test_revoked_certificate_names_the_revocation_time(genuine, pki, two) -> None:
    result = verify(genuine.final, pki, crls=_revoked_crl(pki, two))
    [revoked] = [c for c in result.failed if c.code == "not_revoked"]
    assert revoked.subject == "attest-steg-1"
    assert "har återkallats 2024-08-10 10:00" in revoked.message


def test_reordered_signatures_say_which_came_first(genuine, pki, two, other_memo, rogue, rendered):
    result = verify(_reordered(genuine, pki, two, other_memo, rogue, rendered), pki)
    [route] = [c for c in result.failed if c.code == "route_order"]
    assert "attest-steg-2 signerades före attest-steg-1" in route.message


def test_row_must_show_the_signer(genuine, pki, two, other_memo, rogue, rendered) -> None:
    result = verify(_row_names_someone_else(genuine, pki, two, other_memo, rogue, rendered), pki)
    [route] = [c for c in result.failed if c.code == "route_order"]
    assert route.subject == "attest-steg-1"
    assert "visar ”Anders Carstorp, Stadsdelsdirektör 2024-08-15”" in route.message
    assert "gjord av Jenny Johansson (Avdelningschef)" in route.message


def test_a_substitute_row_with_an_acting_title_is_valid(genuine, pki, people, rendered) -> None:
    # Maria Lind (Biträdande stadsdelsdirektör) attests the last step as t.f. stadsdelsdirektör.
    jenny, maria = people[0], people[2]
    first = attest_route(pki, rendered, (jenny,), frozen=genuine.frozen).stages[0]
    at = STEP_TIMES[1]
    signed = sign_field(
        first,
        field_name="attest-steg-2",
        signer_key=maria.key,
        signer_cert=maria.cert,
        chain=pki.chain,
        appearance_pdf=row_appearance(rendered.rows[1], "Maria Lind, t.f. stadsdelsdirektör", at),
        timestamper=_tsa(pki, TestClock(at)),
        reason="Attesterat",
        now=at,
    )
    final = attest_route(pki, rendered, (), frozen=signed).final
    result = verify(final, pki, crls=[current_crl(pki)])
    assert_every_check_ok(result)
    assert result.attestations[1].title == THIRD[1]


def test_redrawn_row_is_named_in_route_order_too(genuine, pki) -> None:
    forged = tamper.redraw_appearance("attest-steg-1", "Eva Svensson, Avdelningschef")(
        genuine.final
    )
    result = verify(forged, pki)
    [route] = [c for c in result.failed if c.code == "route_order"]
    assert "Eva Svensson" in route.message


def test_content_added_is_not_excused_by_intact_signatures(genuine, pki) -> None:
    # The trap in DESIGN.md: the signed bytes are untouched, so every signature is intact.
    forged = tamper.add_text_to_page(0, "Beslutet avser 5 000 000 kronor")(genuine.final)
    result = verify(forged, pki)
    assert all(c.status == "ok" for c in result.checks if c.code == "intact")
    changes = [c for c in result.failed if c.code == "changes_allowed"]
    assert {c.subject for c in changes} >= {"attest-sigill", "attest-steg-1", "attest-steg-2"}
    assert "nytt eller ändrat sidinnehåll" in changes[0].message
    assert "new or altered page content" in changes[0].message_en


def test_every_text_exists_in_both_languages_with_the_same_placeholders() -> None:
    import string

    from attest.verify import report

    for key, (sv, en) in report.TEXTS.items():
        fields = [{f for _, f, _, _ in string.Formatter().parse(t) if f} for t in (sv, en)]
        assert fields[0] == fields[1], key
        assert sv != en, key
    core_source = (ROOT / "attest" / "verify" / "core.py").read_text(encoding="utf-8")
    used = set(re.findall(r'"([a-z_]+\.[a-z_]+)"', core_source))
    assert used - set(report.TEXTS) == set()
    assert set(report.TEXTS) - used == set()


# --- The speed-ups change no result ---------------------------------------------------------


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
    from io import BytesIO

    from pyhanko.pdf_utils import generic

    import attest.verify.core  # noqa: F401  (installs the fast reader)

    fast = generic.read_hex_string_from_stream
    original = fast._attest_original  # type: ignore[attr-defined]

    def outcome(reader):
        stream = BytesIO(raw)
        try:
            value = reader(stream)
        except Exception as exc:
            return type(exc), stream.tell()
        return (type(value), bytes(value.original_bytes)), stream.tell()

    assert outcome(fast) == outcome(original)


def test_name_preparation_cache_gives_asn1crypto_s_answer() -> None:
    from asn1crypto import x509 as asn1_x509

    import attest.verify.core  # noqa: F401

    prep = asn1_x509.NameTypeAndValue._ldap_string_prep
    original = prep._attest_original
    for text in ("Jenny  Johansson", "Anders Carstorp\u00ad", "Enskede-Årsta-Vantör", "ＡＢＣ"):
        assert prep(None, text) == prep(None, text) == original(None, text)
    one = asn1_x509.Name.build({"common_name": "Jenny  Johansson"})
    other = asn1_x509.Name.build({"common_name": "jenny johansson"})
    assert one == other


# --- The command line -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory, genuine: Memo, pki) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("verify")
    paths = {
        "genuine": genuine.final,
        "tampered": tamper.add_text_to_page(0, "Tillägg")(genuine.final),
        "not_pdf": tamper.not_a_pdf(b""),
    }
    out = {}
    for name, data in paths.items():
        out[name] = folder / f"{name}.pdf"
        out[name].write_bytes(data)
    out["ca"] = folder / "EÅV-ca.pem"
    out["ca"].write_bytes(pki.ca_cert.public_bytes(serialization.Encoding.PEM))
    out["crl"] = folder / "EÅV-crl.pem"
    crl = build_crl(pki, [], now=dt.datetime.now(UTC) - dt.timedelta(minutes=5))
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
        timeout=60,
    )


@pytest.mark.system
def test_cli_genuine_exits_0_with_verdict_attesters_and_checks(files) -> None:
    done = run_cli(files["genuine"], "--trust", files["ca"], "--crl", files["crl"])
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"{files['genuine']}: Giltig"
    assert "1. Jenny Johansson, Avdelningschef" in done.stdout
    assert "tidsstämplad 2024-08-15 11:30" in done.stdout  # Stockholm time
    assert "2. Anders Carstorp, Stadsdelsdirektör" in done.stdout
    assert "✓ Signaturen i attest-steg-2 är intakt" in done.stdout
    assert "– Jämförd med register och logg: Inte kontrollerat" in done.stdout
    assert done.stderr == ""


@pytest.mark.system
def test_cli_tampered_exits_1_and_names_the_reason(files) -> None:
    done = run_cli(files["tampered"], "--trust", files["ca"])
    assert done.returncode == 1
    assert done.stdout.startswith(f"{files['tampered']}: Ogiltig")
    assert "✗ Efter signaturen i attest-steg-2 har dokumentet ändrats" in done.stdout
    assert "Traceback" not in done.stderr and "WARNING" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("{not_pdf}", "--trust", "{ca}"), "inte en PDF"),
        (("{genuine}", "{not_pdf}", "--trust", "{ca}"), "1 av 2 filer giltiga"),
        (("missing.pdf", "--trust", "{ca}"), "missing.pdf kunde inte läsas"),
        (("{genuine}",), "keys/<ORG>-ca.pem"),
        (("{genuine}", "--trust", "{garbage}"), "kunde inte läsas"),
        (("{genuine}", "--trust", "{ca}", "--crl", "{garbage}"), "Spärrlistan"),
    ],
    ids=["not-a-pdf", "one-unusable-of-two", "missing-file", "no-trust", "bad-trust", "bad-crl"],
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
    assert {"changes_allowed", "nothing_after"} <= {c["code"] for c in failed}

    english = run_cli(files["tampered"], "--trust", files["ca"], "--lang", "en")
    assert english.stdout.startswith(f"{files['tampered']}: Invalid")
    assert "The signature in attest-steg-1 is intact" in english.stdout
    assert "Attested by" in english.stdout


def test_cli_in_process_matches_exit_codes(files, capsys) -> None:
    assert (
        cli_main([str(files["genuine"]), "--trust", str(files["ca"]), "--expected-steps", "2"]) == 0
    )
    assert (
        cli_main([str(files["genuine"]), "--trust", str(files["ca"]), "--expected-steps", "3"]) == 1
    )
    assert "3 förväntades" in capsys.readouterr().out


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
    assert not {m for m in modules if m.startswith(("attest.db", "attest.memos", "attest.cli"))}
    if not verifying:
        assert "pyhanko" not in roots  # --help answers before the core loads
