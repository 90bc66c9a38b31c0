"""What the verifier remembers between files (a bulk check's worker verifies one file after
another) makes it faster, never weaker: with every cache warm from a genuine memo, a forgery
of the same people, the same day, the same CA or the same CRL is still caught."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization

from attest.pdf import AttestationStep, render_memo
from attest.pki import build_crl
from attest.verify import appearance, bulk
from attest.verify.result import DEFAULT_MAX_SIGNATURES, VerificationResult
from tests.support import forgeries
from tests.support.signing import STEP_TIMES, attest_route, reference_doc, validation_time

pytestmark = pytest.mark.once  # uses no database: the SQLite pass runs it

DER = serialization.Encoding.DER


@pytest.fixture(scope="module")
def m() -> forgeries.Material:
    return forgeries.material()


def worker(trust, crls=()) -> None:
    """A bulk worker's state, as attest.verify.bulk sets it up for an organisation's run."""
    bulk._init_worker(
        tuple(c.public_bytes(DER) for c in trust),
        tuple(c.public_bytes(DER) for c in crls),
        validation_time(),
        DEFAULT_MAX_SIGNATURES,
    )


def verify(pdf: bytes, steps: int | None = None) -> VerificationResult:
    return bulk._verify_in_worker(pdf, steps)


def failed(result: VerificationResult) -> set[str]:
    return {c.code for c in result.failed}


def not_revoked_crl(m: forgeries.Material):
    return build_crl(m.pki, [], now=validation_time() - dt.timedelta(hours=1))


def test_forged_rows_are_caught_after_the_genuine_rows_warmed_the_appearance_cache(m) -> None:
    worker([m.pki.ca_cert], [not_revoked_crl(m)])
    assert verify(m.genuine.final, 2).verdict == "valid"
    # The expected rows of Jenny and the director, on their days, are remembered now.
    assert len(appearance._expected) >= 2
    for name in (
        "image-drawn-row-by-the-director",
        "image-drawn-row-over-the-signers-name",
        "row-drawn-with-someone-elses-name",
    ):
        result = verify(forgeries.forgery(name))
        assert result.verdict == "invalid" and "appearance" in failed(result), name
    assert verify(m.genuine.final, 2).verdict == "valid"


def test_a_forged_file_after_a_genuine_one_is_still_caught(m) -> None:
    worker([m.pki.ca_cert], [not_revoked_crl(m)])
    for name, code in (
        ("byte-flipped-in-signed-range", "intact"),
        ("appearance-redrawn-with-another-name", "changes_allowed"),
        ("signatures-reordered", "route_order"),
        ("revoked-key-with-only-the-embedded-crl", "not_revoked"),
    ):
        assert verify(m.genuine.final, 2).verdict == "valid"
        result = verify(forgeries.forgery(name))
        assert result.verdict == "invalid" and code in failed(result), name


def test_a_revoked_certificate_after_a_valid_one_under_the_same_warm_crl(m) -> None:
    """One CRL for the whole run, parsed once: the director's certificate is on it, revoked
    before his row; a memo without him verifies first and warms the parsed CRL."""
    doc = dataclasses.replace(
        reference_doc(with_bilaga=False),
        dnr="EÅV 2024/301",
        rubrik="Utan direktören",
        steps=(AttestationStep(m.jenny.title), AttestationStep(m.maria.title)),
    )
    without_him = attest_route(m.pki, render_memo(doc), (m.jenny, m.maria)).final
    revoked_at = STEP_TIMES[1] - dt.timedelta(hours=2)
    crl = build_crl(
        m.pki,
        [(m.anders.cert.serial_number, revoked_at)],
        now=validation_time() - dt.timedelta(hours=1),
    )
    worker([m.pki.ca_cert], [crl])
    assert verify(without_him, 2).verdict == "valid"
    result = verify(m.genuine.final, 2)
    assert result.verdict == "invalid" and "not_revoked" in failed(result)
    assert verify(without_him, 2).verdict == "valid"
    # The same memo under a CRL that does not list him: the parsed lists do not mix.
    worker([m.pki.ca_cert], [not_revoked_crl(m)])
    assert verify(m.genuine.final, 2).verdict == "valid"


def test_another_organisations_memo_after_this_one_s_is_not_valid(m) -> None:
    worker([m.pki.ca_cert], [not_revoked_crl(m)])
    assert verify(m.genuine.final, 2).verdict == "valid"
    other = verify(forgeries.second_forvaltning_memo())
    assert other.verdict == "undecidable" and other.organisation == ""
    namesake = verify(forgeries.forgery("namesake-of-another-forvaltning"))
    assert namesake.verdict != "valid"
    # Trusting both CAs: the other förvaltning's namesake row is refused as foreign.
    worker([m.pki.ca_cert, m.second.ca_cert], [not_revoked_crl(m)])
    assert verify(m.genuine.final, 2).verdict == "valid"
    namesake = verify(forgeries.forgery("namesake-of-another-forvaltning"))
    assert namesake.verdict == "invalid" and "trusted" in failed(namesake)
