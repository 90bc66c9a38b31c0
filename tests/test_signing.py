"""PAdES signing of the reference memo, end to end, and the tamper twin of every fact.

attest.signing.validate reports facts (intact, valid, trusted, revoked, times, changes);
the verdict and its words are attest.verify's (tests/test_verify.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import json
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from typing import Iterator

import pytest
from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import handle_tsp_response
from pyhanko.sign.validation import DocumentSecurityStore
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko.sign.validation.status import TimestampSignatureStatus
from pyhanko_certvalidator import ValidationContext

from attest.pki import WrongPassword, build_crl, decrypt_private_key, encrypt_private_key
from attest.pki.ca import asn1_certificate
from attest.signing import (
    ARCHIVE_TIMESTAMP_FIELD,
    CERTIFICATION_FIELD,
    CLOSING_SEAL_FIELD,
    HttpTimeStamper,
    InProcessTimeStamper,
    SigningRefused,
    answer_timestamp_request,
    finish_lta,
    seal_closing,
    sign_field,
    step_field_name,
    validate_pdf,
)
from attest.signing.route import RouteError, parse_route, route_json
from attest.signing.sign import KeySigner, sign_detached
from attest.signing.timestamps import ATTEST_TSA_POLICY, TimeStampResponse
from attest.signing.validate import validate_detached
from tests.support.signing import (
    FAST_ROUNDS,
    PEOPLE,
    UTC,
    Flow,
    TestClock,
    attest,
    freeze,
    make_attester,
    make_pki,
    make_route,
    reference_flow,
    validation_time,
)

pytestmark = pytest.mark.once  # uses no database: the SQLite pass runs it

STEP_1, STEP_2 = step_field_name(0), step_field_name(1)


@pytest.fixture(scope="module")
def flow() -> Flow:
    return reference_flow()


def check(pdf: bytes, flow: Flow, **kwargs):
    kwargs.setdefault("trust_roots", [flow.pki.ca_cert])
    kwargs.setdefault("now", validation_time())
    return validate_pdf(pdf, **kwargs)


def by_field(report) -> dict:
    return {s.field_name: s for s in report.signatures}


ALLOWED_LEVELS = ("NONE", "LTA_UPDATES", "FORM_FILLING")


def every_fact_holds(report) -> bool:
    """Every signature intact, valid, trusted, unrevoked, timestamped, allowed changes only."""
    return report.readable and all(
        s.readable
        and s.intact
        and s.valid
        and s.trusted
        and not s.revoked
        and s.timestamp_ok
        and s.certificate_valid_at_signing
        and s.modification_level in ALLOWED_LEVELS
        and s.docmdp_ok is not False
        and not s.timestamp_in_future
        for s in report.signatures
    )


# --- The whole attestation --------------------------------------------------------------


def test_attested_memo_validates_with_every_fact(flow: Flow) -> None:
    crl = build_crl(flow.pki, [], now=validation_time())
    report = check(flow.final, flow, crls=[crl])

    assert every_fact_holds(report), report
    assert report.unsigned_fields == ()
    sigs = by_field(report)
    assert list(sigs) == [
        CERTIFICATION_FIELD,
        STEP_1,
        STEP_2,
        CLOSING_SEAL_FIELD,
        ARCHIVE_TIMESTAMP_FIELD,
    ]
    for s in sigs.values():
        assert (s.intact, s.valid, s.trusted, s.revoked, s.bottom_line) == (
            True,
            True,
            True,
            False,
            True,
        )
        assert s.modification_level in ("NONE", "LTA_UPDATES", "FORM_FILLING")
    assert sigs[CERTIFICATION_FIELD].is_certification
    assert sigs[CERTIFICATION_FIELD].signer_name == "attest systemsigill EÅV"
    assert sigs[CERTIFICATION_FIELD].modification_level == "FORM_FILLING"
    jenny, anders = sigs[STEP_1], sigs[STEP_2]
    assert (jenny.signer_name, jenny.signer_title) == PEOPLE[0]
    assert (anders.signer_name, anders.signer_title) == PEOPLE[1]
    assert jenny.signer_organisation == "Enskede-Årsta-Vantörs stadsdelsförvaltning"
    assert jenny.modification_level == "FORM_FILLING" and jenny.docmdp_ok
    assert anders.modification_level == "FORM_FILLING"  # the closing seal fills its field
    closing = sigs[CLOSING_SEAL_FIELD]
    assert closing.signer_name == "attest systemsigill EÅV" and not closing.is_certification
    assert closing.modification_level == "LTA_UPDATES"
    assert jenny.timestamp_time == jenny.signing_time == flow.times["first"]
    assert anders.timestamp_time == flow.times["second"]
    assert (
        jenny.certificate_sha256
        == hashlib.sha256(
            flow.attesters[0].cert.public_bytes(serialization.Encoding.DER)
        ).hexdigest()
    )
    archive = sigs[ARCHIVE_TIMESTAMP_FIELD]
    assert archive.is_document_timestamp and archive.timestamp_time == flow.times["archived"]


def test_every_intermediate_version_validates(flow: Flow) -> None:
    for pdf, unsigned in (
        (flow.frozen, (STEP_1, STEP_2, CLOSING_SEAL_FIELD)),
        (flow.after_first, (STEP_2, CLOSING_SEAL_FIELD)),
        (flow.after_second, (CLOSING_SEAL_FIELD,)),
    ):
        report = check(pdf, flow)
        assert every_fact_holds(report), report
        assert set(report.unsigned_fields) == set(unsigned)


def test_wrong_trust_root_is_untrusted(flow: Flow) -> None:
    other = make_pki("other")  # another organisation's CA with the very same name
    report = validate_pdf(flow.final, trust_roots=[other.ca_cert], now=validation_time())
    assert not every_fact_holds(report)
    assert not any(s.trusted for s in report.signatures)
    assert {s.trust_problem for s in report.signatures if not s.is_document_timestamp} <= {
        "NO_CERTIFICATE_CHAIN_FOUND",
        "CERTIFICATE_CHAIN_GENERAL_FAILURE",
    }
    assert all(s.intact for s in report.signatures)


def test_each_signature_is_one_incremental_update(flow: Flow) -> None:
    # Incremental: every earlier version is a byte-for-byte prefix of the next.
    stages = [flow.frozen, flow.after_first, flow.after_second, flow.final]
    # The closing seal and the archive are two more revisions: seal, then DSS + timestamp.
    for earlier, later in zip(stages, stages[1:]):
        assert later.startswith(earlier)


def test_rsa_signatures_keep_pdf_17(flow: Flow) -> None:
    # PDF/A-1/2/3 forbid 2.0, which pyHanko writes for ECDSA signatures.
    root = PdfFileReader(BytesIO(flow.final)).root
    assert root.get("/Version", "/1.7") == "/1.7"


def test_row_appearance_is_the_field_size_and_shows_name_and_date(flow: Flow) -> None:
    reader = PdfFileReader(BytesIO(flow.final))
    for step_index, (name, title) in enumerate(PEOPLE):
        row = flow.rendered.rows[step_index]
        [(_, _, field_ref)] = enumerate_sig_fields(
            reader, filled_status=True, with_name=step_field_name(step_index)
        )
        widget = field_ref.get_object()
        x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
        assert (x1, y1, x2, y2) == pytest.approx((row.x1, row.y1, row.x2, row.y2), abs=0.01)
        # pyHanko sizes appearance boxes in whole points; the viewer maps the box onto
        # /Rect, undoing the fraction the import shrank away.
        bbox = [float(v) for v in widget["/AP"]["/N"]["/BBox"]]
        assert abs(bbox[2] - bbox[0]) == int(row.x2 - row.x1)
        assert abs(bbox[3] - bbox[1]) == int(row.y2 - row.y1)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler) is not installed")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=flow.final, capture_output=True, check=True
    ).stdout.decode()
    assert "Jenny Johansson, Avdelningschef" in text and "2024-08-15" in text
    assert "Anders Carstorp, Stadsdelsdirektör" in text and "2024-08-16" in text


def test_archive_holds_ca_certificate_and_crl(flow: Flow) -> None:
    dss = DocumentSecurityStore.read_dss(PdfFileReader(BytesIO(flow.final)))
    fingerprints = {c.sha256 for c in dss.load_certs()}
    ca = asn1_x509.Certificate.load(flow.pki.ca_cert.public_bytes(serialization.Encoding.DER))
    assert ca.sha256 in fingerprints
    assert len(fingerprints) >= 5  # CA, seal, TSA and both attesters
    [crl_ref] = dss.crls
    assert flow.crl_at_archive is not None
    assert crl_ref.get_object().data == flow.crl_at_archive.public_bytes(serialization.Encoding.DER)


def test_archive_refuses_a_stale_crl(flow: Flow) -> None:
    stale = build_crl(flow.pki, [], now=flow.times["archived"] - dt.timedelta(days=30))
    with pytest.raises(SigningRefused):
        finish_lta(
            flow.after_second,
            timestamper=flow.tsa,
            ca_cert=flow.pki.ca_cert,
            crls=[stale],
            now=flow.times["archived"],
        )


def test_archive_timestamp_can_be_renewed(flow: Flow) -> None:
    later = flow.times["archived"] + dt.timedelta(days=2)
    tsa = flow.tsa_for(lambda: later)
    renewed = finish_lta(
        flow.final,
        timestamper=tsa,
        ca_cert=flow.pki.ca_cert,
        crls=[build_crl(flow.pki, [], now=later)],
        now=later,
    )
    report = check(renewed, flow)
    assert every_fact_holds(report), report
    assert [s.field_name for s in report.signatures][-2:] == [
        ARCHIVE_TIMESTAMP_FIELD,
        f"{ARCHIVE_TIMESTAMP_FIELD}-2",
    ]


def test_the_route_is_sealed_in_the_frozen_revision_as_canonical_json(flow: Flow) -> None:
    reader = PdfFileReader(BytesIO(flow.frozen))
    # Two revisions: the fields with the route, then the certification that covers them.
    assert reader.xrefs.total_revisions == 3
    fields_revision = reader.get_historical_resolver(1)
    stream = fields_revision.root["/AttestRoute"]
    planned = make_route(flow.pki, flow.attesters)
    assert stream.data == route_json(planned)
    assert parse_route(stream.data) == planned
    document = json.loads(stream.data)
    assert document["organisation"]["ca_sha256"] == planned.ca_sha256
    assert [row["attester"]["name"] for row in document["rows"]] == [
        "Jenny Johansson",
        "Anders Carstorp",
    ]
    assert (
        stream.data
        == json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    )
    # The closing seal's field is there, invisible and empty.
    [(_, value, ref)] = enumerate_sig_fields(reader, with_name=CLOSING_SEAL_FIELD)
    assert value is None
    assert [float(v) for v in ref.get_object()["/Rect"]] == [0, 0, 0, 0]


def test_twin_a_route_that_does_not_name_the_rows_is_refused(flow: Flow) -> None:
    planned = make_route(flow.pki, flow.attesters[:1])
    with pytest.raises(ValueError, match="names the rows"):
        freeze(flow.rendered, flow.pki, flow.tsa, flow.times["frozen"], planned)


def test_twin_a_route_file_that_is_not_attest_s_route_is_refused() -> None:
    for data in (b"{", b"[]", b'{"version": 2}', b'{"version": 1, "rows": []}', b"x" * 300_000):
        with pytest.raises(RouteError):
            parse_route(data)


def test_a_row_needs_a_certificate_that_gives_its_title(flow: Flow) -> None:
    jenny = flow.attesters[0]
    not_a_director = dataclasses.replace(jenny, title="Stadsdelsdirektör")
    with pytest.raises(SigningRefused, match="names no title"):
        attest(
            flow.frozen, flow.rendered, 0, not_a_director, flow.pki, flow.tsa, flow.times["first"]
        )


def test_the_closing_seal_signs_once_and_only_its_own_field(flow: Flow) -> None:
    pki = flow.pki
    sealed = seal_closing(
        flow.after_second,
        signer_key=pki.seal_key,
        signer_cert=pki.seal_cert,
        chain=pki.chain,
        timestamper=flow.tsa,
        now=flow.times["archived"],
    )
    closing = by_field(check(sealed, flow))[CLOSING_SEAL_FIELD]
    assert closing.intact and closing.valid and closing.trusted and closing.timestamp_ok
    with pytest.raises(SigningRefused):  # twin: a second closing seal
        seal_closing(
            sealed,
            signer_key=pki.seal_key,
            signer_cert=pki.seal_cert,
            chain=pki.chain,
            timestamper=flow.tsa,
            now=flow.times["archived"],
        )


# --- Tamper twins -----------------------------------------------------------------------


def test_twin_byte_flipped_inside_signed_range(flow: Flow) -> None:
    # A byte of page content in the original revision, which every signature covers.
    start = flow.final.index(b"stream", len(flow.rendered.pdf) // 2) + 20
    assert start < len(flow.rendered.pdf)
    tampered = bytearray(flow.final)
    tampered[start] ^= 0x01
    report = check(bytes(tampered), flow)
    assert not every_fact_holds(report)
    assert not any(s.intact for s in report.signatures)


def _draw_on_page(pdf: bytes, page_index: int, text: bytes) -> bytes:
    """An incremental update that paints a white box with new text, as a forger would."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    font = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Font"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
            generic.pdf_name("/BaseFont"): generic.pdf_name("/Helvetica"),
        }
    )
    resources = generic.DictionaryObject(
        {generic.pdf_name("/Font"): generic.DictionaryObject({generic.pdf_name("/FForge"): font})}
    )
    content = (
        b"q 1 1 1 rg 70 400 460 60 re f Q " b"BT /FForge 12 Tf 80 420 Td (" + text + b") Tj ET"
    )
    stream = writer.add_object(generic.StreamObject(stream_data=content))
    writer.add_stream_to_page(page_index, stream, resources=resources)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def test_twin_page_content_added_after_the_signatures(flow: Flow) -> None:
    tampered = _draw_on_page(flow.final, 0, b"Beslutet avser 5 000 000 kronor")
    report = check(tampered, flow)
    assert not every_fact_holds(report)
    sigs = by_field(report)
    # The trap DESIGN.md warns about: the signed bytes are untouched, so intact holds.
    assert sigs[STEP_1].intact and sigs[STEP_1].modification_level == "OTHER"
    assert not sigs[STEP_1].bottom_line or not sigs[STEP_1].docmdp_ok


def test_twin_page_content_added_between_attestations(flow: Flow) -> None:
    tampered = _draw_on_page(flow.after_first, 1, b"Attesterat av alla")
    report = check(tampered, flow)
    sigs = by_field(report)
    assert sigs[CERTIFICATION_FIELD].modification_level == "OTHER"
    assert sigs[STEP_1].modification_level == "OTHER"


def test_twin_signature_field_removed(flow: Flow) -> None:
    writer = IncrementalPdfFileWriter(BytesIO(flow.final))
    acroform = writer.root["/AcroForm"]
    fields = acroform["/Fields"]
    [target] = [ref for ref in fields if ref.get_object()["/T"] == STEP_1]
    fields.remove(target)
    writer.update_container(fields)
    page_ref, _ = writer.find_page_for_modification(flow.rendered.rows[0].page_index)
    annots = page_ref.get_object()["/Annots"]
    annots.remove(target)
    writer.update_container(annots)
    out = BytesIO()
    writer.write(out)

    report = check(out.getvalue(), flow)
    assert STEP_1 not in by_field(report)
    assert by_field(report)[CERTIFICATION_FIELD].modification_level not in ALLOWED_LEVELS


def test_twin_certificate_from_another_ca_with_the_same_names(flow: Flow) -> None:
    rogue_pki = make_pki("rogue")  # same organisation name and code: same CA subject
    rogue = make_attester(rogue_pki, *PEOPLE[0])
    assert rogue.cert.subject == flow.attesters[0].cert.subject
    assert rogue_pki.ca_cert.subject == flow.pki.ca_cert.subject
    forged = attest(
        flow.frozen,
        flow.rendered,
        0,
        rogue,
        flow.pki,
        flow.tsa,
        flow.times["first"],
        chain=rogue_pki.chain,
    )
    report = check(forged, flow)
    sigs = by_field(report)
    assert sigs[STEP_1].intact and sigs[STEP_1].valid and not sigs[STEP_1].trusted
    assert sigs[CERTIFICATION_FIELD].trusted


def test_twin_certificate_revoked_before_the_attestation(flow: Flow) -> None:
    jenny = flow.attesters[0]
    revoked_at = dt.datetime(2024, 8, 1, 8, 0, tzinfo=UTC)  # before she attested
    crl = build_crl(flow.pki, [(jenny.cert.serial_number, revoked_at)], now=validation_time())
    report = check(flow.final, flow, crls=[crl])
    sigs = by_field(report)
    assert sigs[STEP_1].revoked and not sigs[STEP_1].trusted
    assert sigs[STEP_1].revoked_at == revoked_at
    assert sigs[STEP_2].trusted and not sigs[STEP_2].revoked


def test_certificate_revoked_after_the_attestation_leaves_it_valid(flow: Flow) -> None:
    """Point-in-time validation: the timestamp proves she signed before the revocation (a
    password reset revokes the old key; what she attested before stays attested)."""
    jenny = flow.attesters[0]
    revoked_at = dt.datetime(2024, 8, 20, 8, 0, tzinfo=UTC)
    crl = build_crl(flow.pki, [(jenny.cert.serial_number, revoked_at)], now=validation_time())
    report = check(flow.final, flow, crls=[crl])
    assert every_fact_holds(report), report


def test_twin_stale_crl_cannot_vouch_for_anyone(flow: Flow) -> None:
    stale = build_crl(flow.pki, [], now=validation_time() - dt.timedelta(days=30))
    report = check(flow.final, flow, crls=[stale])
    jenny = by_field(report)[STEP_1]
    assert not jenny.trusted and not jenny.revoked
    assert jenny.trust_problem in ("REVOCATION_OUT_OF_BOUNDS_NO_POE", "TRY_LATER")


def test_twin_wrong_password_signs_nothing(flow: Flow) -> None:
    jenny = flow.attesters[0]
    stored = encrypt_private_key(jenny.key, "Rätt lösenord åäö", rounds=FAST_ROUNDS)

    def attest_with_password(pdf: bytes, password: str) -> bytes:
        key = decrypt_private_key(stored, password)
        return attest(
            pdf,
            flow.rendered,
            0,
            dataclasses.replace(jenny, key=key),
            flow.pki,
            flow.tsa,
            flow.times["first"],
        )

    with pytest.raises(WrongPassword):
        attest_with_password(flow.frozen, "Fel lösenord")
    signed = attest_with_password(flow.frozen, "Rätt lösenord åäö")
    assert every_fact_holds(check(signed, flow))


def test_twin_timestamp_outside_certificate_validity(flow: Flow) -> None:
    # A certificate issued on 20 August, a timestamp from 15 August: the signer claims a
    # time inside the validity, the TSA proves otherwise.
    late = make_attester(flow.pki, *PEOPLE[0], now=dt.datetime(2024, 8, 20, 8, 0, tzinfo=UTC))
    backdated_tsa = flow.tsa_for(lambda: flow.times["first"])
    signed = attest(
        flow.frozen,
        flow.rendered,
        0,
        late,
        flow.pki,
        backdated_tsa,
        dt.datetime(2024, 8, 21, 9, 0, tzinfo=UTC),
    )
    report = check(signed, flow)
    assert not every_fact_holds(report)
    assert not by_field(report)[STEP_1].certificate_valid_at_signing


def test_signing_is_refused_outside_certificate_validity(flow: Flow) -> None:
    short = make_attester(flow.pki, *PEOPLE[0], days=3)
    with pytest.raises(SigningRefused, match="not valid"):
        attest(flow.frozen, flow.rendered, 0, short, flow.pki, flow.tsa, flow.times["first"])


def test_signing_is_refused_for_missing_or_filled_fields(flow: Flow) -> None:
    jenny = flow.attesters[0]
    with pytest.raises(SigningRefused):
        sign_field(
            flow.frozen,
            field_name="attest-steg-9",
            signer_key=jenny.key,
            signer_cert=jenny.cert,
            chain=flow.pki.chain,
            appearance_pdf=None,
            timestamper=flow.tsa,
            reason="Attesterat",
            now=flow.times["first"],
        )
    with pytest.raises(SigningRefused):
        attest(flow.after_first, flow.rendered, 0, jenny, flow.pki, flow.tsa, flow.times["first"])


def test_signing_is_refused_with_someone_elses_key(flow: Flow) -> None:
    jenny, anders = flow.attesters
    with pytest.raises(SigningRefused, match="does not belong"):
        attest(
            flow.frozen,
            flow.rendered,
            0,
            dataclasses.replace(jenny, key=anders.key),
            flow.pki,
            flow.tsa,
            flow.times["first"],
        )


def test_unreadable_and_unsigned_files(flow: Flow) -> None:
    unreadable = check(b"not a pdf", flow)
    assert not unreadable.readable and not unreadable.signatures
    unsigned = check(flow.rendered.pdf, flow)
    assert unsigned.readable and not unsigned.signed and not unsigned.signatures


# --- Timestamps -------------------------------------------------------------------------


def _ca_context(flow: Flow) -> ValidationContext:
    ca = asn1_x509.Certificate.load(flow.pki.ca_cert.public_bytes(serialization.Encoding.DER))
    return ValidationContext(trust_roots=[ca], moment=validation_time(), allow_fetching=False)


def _answer(flow: Flow, request: tsp.TimeStampReq, now: dt.datetime) -> tsp.TimeStampResp:
    pki = flow.pki
    der = answer_timestamp_request(
        request.dump(), tsa_key=pki.tsa_key, tsa_cert=pki.tsa_cert, chain=pki.chain, now=now
    )
    return TimeStampResponse.load(der)


def test_tsa_answers_a_real_request_with_a_token_that_verifies(flow: Flow) -> None:
    digest = hashlib.sha256(b"EAV 2024/123 version 3").digest()
    nonce, request = TimeStamper().request_cms(digest, "sha256")
    now = dt.datetime(2024, 8, 15, 9, 30, tzinfo=UTC)
    response = _answer(flow, request, now)

    assert response["status"]["status"].native == "granted"
    token = handle_tsp_response(response, nonce)  # checks status and nonce
    signed_data = token["content"]
    tst_info = signed_data["encap_content_info"]["content"].parsed
    assert tst_info["message_imprint"]["hashed_message"].native == digest
    assert tst_info["gen_time"].native == now
    assert tst_info["policy"].dotted == ATTEST_TSA_POLICY
    status = TimestampSignatureStatus(
        **asyncio.run(
            validate_tst_signed_data(signed_data, _ca_context(flow), lambda algorithm: digest)
        )
    )
    assert status.intact and status.valid and status.trusted
    assert status.timestamp == now

    # Twin: the same token does not vouch for another document.
    other = hashlib.sha256(b"EAV 2024/123 version 4").digest()
    status = TimestampSignatureStatus(
        **asyncio.run(
            validate_tst_signed_data(signed_data, _ca_context(flow), lambda algorithm: other)
        )
    )
    assert not status.intact


def test_tsa_leaves_out_certificates_unless_asked(flow: Flow) -> None:
    digest = hashlib.sha256(b"x").digest()
    _, request = TimeStamper().request_cms(digest, "sha256")
    request["cert_req"] = False
    response = _answer(flow, request, validation_time())
    assert response["status"]["status"].native == "granted"
    assert not response["time_stamp_token"]["content"]["certificates"].native


@pytest.mark.parametrize(
    ("request_der", "fail_info"),
    [
        (b"\x30\x03\x02\x01\x01", "bad_data_format"),
        (b"garbage", "bad_data_format"),
        (TimeStamper().request_cms(hashlib.sha1(b"x").digest(), "sha1")[1].dump(), "bad_alg"),
        (TimeStamper().request_cms(b"short", "sha256")[1].dump(), "bad_data_format"),
    ],
    # The requests carry random nonces: ids by position keep the collection the same in
    # every pytest-xdist worker.
    ids=["truncated", "garbage", "sha1", "short-digest"],
)
def test_tsa_rejects_bad_requests(flow: Flow, request_der: bytes, fail_info: str) -> None:
    pki = flow.pki
    response = TimeStampResponse.load(
        answer_timestamp_request(
            request_der,
            tsa_key=pki.tsa_key,
            tsa_cert=pki.tsa_cert,
            chain=pki.chain,
            now=validation_time(),
        )
    )
    assert response["status"]["status"].native == "rejection"
    assert response["status"]["fail_info"].native == {fail_info}
    assert not response["time_stamp_token"].native


def test_tsa_rejects_a_foreign_policy(flow: Flow) -> None:
    _, request = TimeStamper().request_cms(hashlib.sha256(b"x").digest(), "sha256")
    request["req_policy"] = "1.3.6.1.4.1.4146.2.2"
    response = _answer(flow, request, validation_time())
    assert response["status"]["fail_info"].native == {"unaccepted_policy"}


@pytest.fixture()
def tsa_server(flow: Flow) -> Iterator[tuple[str, TestClock]]:
    """The app's TSA endpoint in miniature: POST a TimeStampReq, get a TimeStampResp."""
    pki = flow.pki
    clock = TestClock(flow.times["first"])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.headers.get("Authorization") != "Basic YXR0ZXN0OmhlbWxpZ3Q=":
                self.send_response(401)
                self.end_headers()
                return
            body = self.rfile.read(int(self.headers["Content-Length"]))
            answer = answer_timestamp_request(
                body, tsa_key=pki.tsa_key, tsa_cert=pki.tsa_cert, chain=pki.chain, now=clock.now()
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa", clock
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.system
def test_attestation_through_the_http_tsa(flow: Flow, tsa_server) -> None:
    url, clock = tsa_server
    tsa = HttpTimeStamper(url, username="attest", password="hemligt")
    signed = attest(flow.frozen, flow.rendered, 0, flow.attesters[0], flow.pki, tsa, clock.now())
    report = check(signed, flow)
    assert every_fact_holds(report), report
    assert by_field(report)[STEP_1].timestamp_time == clock.now()

    # Twin: without the credentials the TSA refuses, and nothing is signed.
    with pytest.raises(Exception):
        attest(
            flow.frozen,
            flow.rendered,
            0,
            flow.attesters[0],
            flow.pki,
            HttpTimeStamper(url),
            clock.now(),
        )


def test_sync_api_works_inside_a_running_event_loop(flow: Flow) -> None:
    async def in_async_view() -> bytes:
        return attest(
            flow.frozen,
            flow.rendered,
            0,
            flow.attesters[0],
            flow.pki,
            flow.tsa,
            flow.times["first"],
        )

    assert every_fact_holds(check(asyncio.run(in_async_view()), flow))


def test_in_process_tsa_takes_time_from_its_clock(flow: Flow) -> None:
    clock = TestClock(dt.datetime(2024, 8, 15, 9, 30, tzinfo=UTC))
    tsa = InProcessTimeStamper(flow.pki.tsa_key, flow.pki.tsa_cert, flow.pki.chain, clock.now)
    frozen = freeze(flow.rendered, flow.pki, tsa, clock.now(), make_route(flow.pki, flow.attesters))
    clock.set(dt.datetime(2024, 8, 15, 16, 45, tzinfo=UTC))
    signed = attest(frozen, flow.rendered, 0, flow.attesters[0], flow.pki, tsa, clock.now())
    sigs = by_field(check(signed, flow))
    assert sigs[CERTIFICATION_FIELD].timestamp_time == dt.datetime(2024, 8, 15, 9, 30, tzinfo=UTC)
    assert sigs[STEP_1].timestamp_time == clock.now()


def test_prepared_signing_certificate_attribute_is_pyhankos_and_names_the_signer(
    flow: Flow,
) -> None:
    """KeySigner and the in-process TSA prepare the ESSCertIDv2 once: the same bytes
    pyHanko builds, in every signature and token, naming the certificate that signed."""
    seal = asn1_certificate(flow.pki.seal_cert)
    tsa = asn1_certificate(flow.pki.tsa_cert)
    now = validation_time()
    stamper = InProcessTimeStamper(flow.pki.tsa_key, flow.pki.tsa_cert, flow.pki.chain, lambda: now)
    signer = KeySigner(flow.pki.seal_key, flow.pki.seal_cert, flow.pki.chain)
    for data in (b"first", b"second"):  # the prepared value serves every signature
        token = sign_detached(
            data,
            signer=signer,
            signer_cert=flow.pki.seal_cert,
            chain=flow.pki.chain,
            timestamper=stamper,
            now=now,
        )
        info = cms.ContentInfo.load(token)["content"]["signer_infos"][0]
        signed = {a["type"].native: a["values"][0] for a in info["signed_attrs"]}
        assert signed["signing_certificate_v2"].dump() == as_signing_certificate_v2(seal).dump()
        tst = info["unsigned_attrs"][0]["values"][0]["content"]["signer_infos"][0]
        tst_signed = {a["type"].native: a["values"][0] for a in tst["signed_attrs"]}
        assert tst_signed["signing_certificate_v2"].dump() == as_signing_certificate_v2(tsa).dump()
        facts = validate_detached(data, token, trust_roots=[flow.pki.ca_cert])
        assert facts.intact and facts.valid and facts.trusted and facts.timestamp_ok
        # Twin: the signature does not vouch for other data.
        assert not validate_detached(data + b"!", token, trust_roots=[flow.pki.ca_cert]).intact
