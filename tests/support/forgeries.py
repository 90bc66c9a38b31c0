"""The tamper suite: every forgery of an attested memo the verifier must call Ogiltig, and
the check that must say why. Genuine memos of every kind it must call Giltig.

Made from real attested memos with attest's own signing (tests/support/signing.py) and
the byte-level tampering of tests/support/tamper.py, the way an insider would make them:
a colleague with a valid key of the same organisation, an administrator who can make a
namesake's account, another förvaltning's CA, someone with the organisation's timestamp
service. Nobody but the organisation holds its CA and seal keys. Built once per test
session (``material()``, ``forgery(name)``); tests/test_verify.py checks each offline and
with the CLI, tests/test_verify_web.py on the Verifiera page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import uuid
from typing import Callable

from asn1crypto import keys as asn1_keys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from pyhanko.sign.timestamps import DummyTimeStamper

import attest.signing.sign as signing_module
from attest.attestation import pades
from attest.pdf import AttestationStep, RenderedMemo, Signatory, render_memo
from attest.pki import OrgPki, build_crl
from attest.signing import (
    CLOSING_SEAL_FIELD,
    InProcessTimeStamper,
    TimeStamper,
    add_signature_fields,
    certify,
    fields_for_rows,
    finish_lta,
    sign_field,
)
from attest.signing.rows import row_appearance_pdf
from tests.support import tamper
from tests.support.signing import (
    FROZEN_AT,
    PEOPLE,
    SECOND_CODE,
    SECOND_ORGANISATION,
    STEP_TIMES,
    THIRD,
    UTC,
    Attester,
    Memo,
    TestClock,
    attest,
    attest_route,
    bilaga,
    close,
    freeze,
    make_acting,
    make_attester,
    make_pki,
    make_route,
    pooled_key,
    reference_doc,
    row_appearance,
    second_pki,
    validation_time,
)

# When a forger re-archives a changed memo: the day after it was closed.
RESTAMPED_AT = dt.datetime(2024, 8, 17, 9, 0, tzinfo=UTC)
DIRECTOR = PEOPLE[1]


@dataclasses.dataclass(frozen=True)
class Material:
    """Everything the forgeries are made from."""

    pki: OrgPki  # the organisation's (EÅV)
    second: OrgPki  # another förvaltning of the city (SKV), its own CA
    rogue: OrgPki  # a self-made CA with EÅV's very names
    jenny: Attester  # Avdelningschef
    anders: Attester  # Stadsdelsdirektör
    maria: Attester  # Biträdande stadsdelsdirektör: a colleague with a valid key
    rendered: RenderedMemo  # the reference memo with its bilaga
    genuine: Memo  # attested by Jenny and Anders, closed
    other_memo: Memo  # another memo of EÅV by the same people

    @property
    def two(self) -> tuple[Attester, Attester]:
        return self.jenny, self.anders


@functools.cache
def material() -> Material:
    pki = make_pki()
    jenny, anders, maria = (make_attester(pki, name, title) for name, title in (*PEOPLE, THIRD))
    rendered = render_memo(reference_doc())
    other_doc = dataclasses.replace(
        reference_doc(with_bilaga=False), dnr="EÅV 2024/124", rubrik="Förlängt avtal"
    )
    return Material(
        pki=pki,
        second=second_pki(),
        rogue=make_pki("rogue"),
        jenny=jenny,
        anders=anders,
        maria=maria,
        rendered=rendered,
        genuine=attest_route(pki, rendered, (jenny, anders)),
        other_memo=attest_route(pki, render_memo(other_doc), (jenny, anders)),
    )


def tsa_at(pki: OrgPki, at: dt.datetime) -> InProcessTimeStamper:
    return InProcessTimeStamper(pki.tsa_key, pki.tsa_cert, pki.chain, lambda: at)


def restamp(pdf: bytes, pki: OrgPki, at: dt.datetime = RESTAMPED_AT) -> bytes:
    """Validation data and a fresh document timestamp from the organisation's TSA: what an
    archive renewal adds, and what a forger with access to the TSA adds after a change."""
    return finish_lta(
        pdf,
        timestamper=tsa_at(pki, at),
        ca_cert=pki.ca_cert,
        crls=[build_crl(pki, [], now=at)],
        now=at,
    )


def _sign_row_as(
    m: Material, pdf: bytes, step: int, signer: Attester, appearance: bytes, at: dt.datetime
) -> bytes:
    """A row signed with any key and any appearance, as a forger's own tool would."""
    return sign_field(
        pdf,
        field_name=f"attest-steg-{step + 1}",
        signer_key=signer.key,
        signer_cert=signer.cert,
        chain=m.pki.chain,
        appearance_pdf=appearance,
        timestamper=tsa_at(m.pki, at),
        reason="Attesterat",
        now=at,
    )


def _director_row_by(m: Material, signer: Attester, appearance: bytes | None = None) -> bytes:
    """The director's row of a memo Jenny attested, signed by someone else, archived."""
    at = STEP_TIMES[1]
    first = m.genuine.stages[0]
    if appearance is None:
        signed = attest(first, m.rendered, 1, signer, m.pki, tsa_at(m.pki, at), at)
    else:
        signed = _sign_row_as(m, first, 1, signer, appearance, at)
    return restamp(signed, m.pki, at + dt.timedelta(minutes=1))


def _row(m: Material, step: int):
    return m.rendered.rows[step]


# --- Authority: the right person, with the authority for the row ---------------------------


def own_key_row_with_own_title(m: Material) -> bytes:
    """A colleague signs the director's row with her own key; the row shows her title."""
    return _director_row_by(m, m.maria)


def own_key_row_with_acting_title(m: Material) -> bytes:
    """The colleague's own key, the row drawn "t.f. Stadsdelsdirektör" without a t.f.
    certificate."""
    appearance = row_appearance(
        _row(m, 1), m.maria.full_name, "t.f. Stadsdelsdirektör", STEP_TIMES[1]
    )
    return _director_row_by(m, m.maria, appearance)


def image_drawn_row(m: Material) -> bytes:
    """The colleague signs; the row is a picture of the director's name and title over an
    invisible text layer that names her."""
    row = _row(m, 1)
    picture = tamper.image_row(
        row.x2 - row.x1,
        row.y2 - row.y1,
        "Anders Carstorp, Stadsdelsdirektör     2024-08-16",
        "Maria Lind, Biträdande stadsdelsdirektör",
    )
    return _director_row_by(m, m.maria, picture)


def image_drawn_row_by_the_director(m: Material) -> bytes:
    """The director's own signature, but his row is a picture, not attest's drawing."""
    row = _row(m, 1)
    picture = tamper.image_row(
        row.x2 - row.x1,
        row.y2 - row.y1,
        "Anders Carstorp, Stadsdelsdirektör     2024-08-16",
        "Anders Carstorp, Stadsdelsdirektör",
    )
    return _director_row_by(m, m.anders, picture)


def row_names_someone_else(m: Material) -> bytes:
    """Jenny signs her row, drawn in attest's font as "Anders Carstorp, Stadsdelsdirektör"."""
    at = STEP_TIMES[0]
    appearance = row_appearance(_row(m, 0), *DIRECTOR, at)
    signed = _sign_row_as(m, m.genuine.frozen, 0, m.jenny, appearance, at)
    return attest_route(
        m.pki, m.rendered, m.two, order=(1,), frozen=signed, times=STEP_TIMES[1:]
    ).final


def namesake_of_the_same_ca(m: Material) -> bytes:
    """An administrator's second account named and titled like the director: a certificate
    of the organisation's own CA, another person."""
    namesake = make_attester(m.pki, *DIRECTOR, person_id=str(uuid.uuid4()))
    return _director_row_by(m, namesake)


def namesake_of_another_forvaltning(m: Material) -> bytes:
    """Another förvaltning's CA (trusted by the clerk too) issues the director's name."""
    namesake = make_attester(
        m.second, *DIRECTOR, person_id=str(uuid.uuid4()), organisation=SECOND_ORGANISATION.name
    )
    at = STEP_TIMES[1]
    signed = attest(
        m.genuine.stages[0], m.rendered, 1, namesake, m.pki, tsa_at(m.pki, at), at, m.second.chain
    )
    return restamp(signed, m.pki, at + dt.timedelta(minutes=1))


def namesake_of_another_forvaltning_with_his_person_id(m: Material) -> bytes:
    """The other förvaltning's CA copies even the director's person identifier."""
    namesake = make_attester(
        m.second, *DIRECTOR, person_id=m.anders.person_id, organisation=SECOND_ORGANISATION.name
    )
    at = STEP_TIMES[1]
    signed = attest(
        m.genuine.stages[0], m.rendered, 1, namesake, m.pki, tsa_at(m.pki, at), at, m.second.chain
    )
    return restamp(signed, m.pki, at + dt.timedelta(minutes=1))


def acting_for_another_person(m: Material) -> bytes:
    """A real t.f. certificate of the role, but for Jenny, not the director the route names."""
    acting = make_acting(m.pki, m.maria, "Stadsdelsdirektör", for_person=m.jenny)
    return _director_row_by(m, acting)


def acting_for_another_role(m: Material) -> bytes:
    """A real t.f. certificate as Avdelningschef (for anyone), used in the director's row."""
    acting = make_acting(m.pki, m.maria, "Avdelningschef", for_person=None)
    appearance = row_appearance(_row(m, 1), m.maria.full_name, "t.f. Avdelningschef", STEP_TIMES[1])
    return _director_row_by(m, acting, appearance)


def acting_outside_its_period(m: Material) -> bytes:
    """A t.f. certificate for 1–10 August; the TSA proves the row was signed on the 16th
    (the signer claims the 9th)."""
    acting = make_acting(
        m.pki,
        m.maria,
        "Stadsdelsdirektör",
        for_person=m.anders,
        starts=dt.datetime(2024, 8, 1, tzinfo=UTC),
        ends=dt.datetime(2024, 8, 10, tzinfo=UTC),
    )
    return attest_route(
        m.pki,
        m.rendered,
        (m.jenny, acting),
        route=m.two,
        claimed=lambda step, at: dt.datetime(2024, 8, 9, 9, 0, tzinfo=UTC) if step == 1 else at,
    ).final


def acting_revoked_before_the_row(m: Material) -> bytes:
    """The substitution ended early (its t.f. certificate revoked on the 12th); the row is
    signed on the 16th anyway. Only the CRL the file carries says so."""
    acting = make_acting(m.pki, m.maria, "Stadsdelsdirektör", for_person=m.anders)
    revoked_at = dt.datetime(2024, 8, 12, 8, 0, tzinfo=UTC)
    return attest_route(
        m.pki,
        m.rendered,
        (m.jenny, acting),
        route=m.two,
        revoked=[(acting.cert.serial_number, revoked_at)],
    ).final


def revoked_key_with_only_the_embedded_crl(m: Material) -> bytes:
    """Jenny's key was revoked on the 10th (a password reset); her old key signs on the
    15th. The clerk has no CRL: the one in the file lists it."""
    revoked_at = dt.datetime(2024, 8, 10, 8, 0, tzinfo=UTC)
    return attest_route(
        m.pki, m.rendered, m.two, revoked=[(m.jenny.cert.serial_number, revoked_at)]
    ).final


# --- After the closing seal -----------------------------------------------------------------


def _after_closing(change: tamper.Tamper) -> Callable[[Material], bytes]:
    def build(m: Material) -> bytes:
        return restamp(change(m.genuine.final), m.pki)

    build.__doc__ = (change.__doc__ or "") + " Then a fresh document timestamp."
    return build


def closing_seal_missing(m: Material) -> bytes:
    """Every row signed, archived with DSS and a document timestamp, but never closed."""
    return attest_route(m.pki, m.rendered, m.two, closing=False).final


def closing_seal_by_a_person(m: Material) -> bytes:
    """Jenny's key signs the closing seal's field."""
    at = STEP_TIMES[1] + dt.timedelta(minutes=1)
    sealed = sign_field(
        m.genuine.stages[-1],
        field_name=CLOSING_SEAL_FIELD,
        signer_key=m.jenny.key,
        signer_cert=m.jenny.cert,
        chain=m.pki.chain,
        appearance_pdf=None,
        timestamper=tsa_at(m.pki, at),
        reason="Attesteringen är fullständig",
        now=at,
    )
    return restamp(sealed, m.pki, at)


# --- The signatures themselves ---------------------------------------------------------------


class _Sha1TimeStamper(InProcessTimeStamper):
    """The organisation's TSA key, answering SHA-1 requests as pyHanko's test TSA does."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        # pyHanko's own routine signs with the key it was given, which attest's TSA never
        # hands over (it may be in an HSM); the forger holds a software copy of it.
        der = self._key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.tsa_key = asn1_keys.PrivateKeyInfo.load(der)

    def request_tsa_response(self, req):
        self.fixed_dt = self._now()
        return DummyTimeStamper.request_tsa_response(self, req)

    def _sign_tst_info(self, tst_info_data, md_algorithm, moment):
        return DummyTimeStamper._sign_tst_info(self, tst_info_data, md_algorithm, moment)


class _OtherDataTimeStamper(InProcessTimeStamper):
    """A genuine token of the organisation's TSA, but for other data than the signature."""

    async def async_timestamp(self, message_digest, md_algorithm):
        other = hashlib.new(md_algorithm, b"ett annat dokument").digest()
        return await super().async_timestamp(other, md_algorithm)


def _tsa(pki: OrgPki, clock: TestClock) -> InProcessTimeStamper:
    return InProcessTimeStamper(pki.tsa_key, pki.tsa_cert, pki.chain, clock.now)


def copied_attestation(m: Material) -> bytes:
    """Jenny's valid attestation of another memo, put into this memo's first row."""
    cms_der = tamper.signature_contents(m.other_memo.stages[0], "attest-steg-1")
    forged = tamper.embed_signature("attest-steg-1", cms_der)(m.genuine.frozen)
    return attest_route(
        m.pki, m.rendered, m.two, order=(1,), frozen=forged, times=STEP_TIMES[1:]
    ).final


def self_made_ca(m: Material) -> bytes:
    """Jenny's name and person identifier from a self-made CA with the organisation's names."""
    fake = make_attester(m.rogue, *PEOPLE[0])
    return attest_route(m.pki, m.rendered, (fake, m.anders), chains={0: m.rogue.chain}).final


def not_yet_valid(m: Material) -> bytes:
    """Issued on 20 August; the TSA proves the signature was made on 15 August."""
    late = make_attester(m.pki, *PEOPLE[0], now=dt.datetime(2024, 8, 20, 8, 0, tzinfo=UTC))
    return attest_route(
        m.pki,
        m.rendered,
        (late, m.anders),
        claimed=lambda step, at: dt.datetime(2024, 8, 21, 9, 0, tzinfo=UTC) if step == 0 else at,
    ).final


def expired(m: Material) -> bytes:
    """Valid 1–4 August; the signer claims 3 August, the TSA proves 15 August."""
    short = make_attester(m.pki, *PEOPLE[0], days=3)
    return attest_route(
        m.pki,
        m.rendered,
        (short, m.anders),
        claimed=lambda step, at: dt.datetime(2024, 8, 3, 9, 0, tzinfo=UTC) if step == 0 else at,
    ).final


def untrusted_tsa(m: Material) -> bytes:
    return attest_route(
        m.pki,
        m.rendered,
        m.two,
        stamper=lambda step, clock: _tsa(m.rogue, clock) if step == 0 else _tsa(m.pki, clock),
    ).final


def timestamp_for_other_data(m: Material) -> bytes:
    def stamper(step: int, clock: TestClock) -> TimeStamper:
        if step == 1:
            return _OtherDataTimeStamper(m.pki.tsa_key, m.pki.tsa_cert, m.pki.chain, clock.now)
        return _tsa(m.pki, clock)

    return attest_route(m.pki, m.rendered, m.two, stamper=stamper).final


def in_the_future(m: Material) -> bytes:
    """Made with every clock in March 2025, checked in August 2024."""
    future = dt.datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    times = (future + dt.timedelta(days=1), future + dt.timedelta(days=2))
    return attest_route(m.pki, m.rendered, m.two, frozen_at=future, times=times).final


def sha1_signature(m: Material) -> bytes:
    """attest signs with SHA-256 only; a forger's tool can still choose SHA-1."""
    clock = TestClock(STEP_TIMES[0])
    tsa = _Sha1TimeStamper(m.pki.tsa_key, m.pki.tsa_cert, m.pki.chain, clock.now)
    saved = signing_module.DIGEST_ALGORITHM
    signing_module.DIGEST_ALGORITHM = "sha1"
    try:
        first = attest(m.genuine.frozen, m.rendered, 0, m.jenny, m.pki, tsa, clock.now())
    finally:
        signing_module.DIGEST_ALGORITHM = saved
    return attest_route(
        m.pki, m.rendered, m.two, order=(1,), frozen=first, times=STEP_TIMES[1:]
    ).final


def reordered(m: Material) -> bytes:
    return attest_route(m.pki, m.rendered, m.two, order=(1, 0)).final


def same_person_twice(m: Material) -> bytes:
    """A route naming Jenny for both rows, and Jenny signing both."""
    return attest_route(m.pki, m.rendered, (m.jenny, m.jenny)).final


def seal_replaced_by_a_person(m: Material) -> bytes:
    with_fields = add_signature_fields(
        m.rendered.pdf, fields_for_rows(m.rendered.rows), route=make_route(m.pki, m.two)
    )
    frozen = certify(
        with_fields,
        signer_key=m.jenny.key,
        signer_cert=m.jenny.cert,
        chain=m.pki.chain,
        timestamper=_tsa(m.pki, TestClock(FROZEN_AT)),
        now=FROZEN_AT,
    )
    return attest_route(m.pki, m.rendered, m.two, frozen=frozen).final


def never_certified(m: Material) -> bytes:
    with_fields = add_signature_fields(
        m.rendered.pdf, fields_for_rows(m.rendered.rows), route=make_route(m.pki, m.two)
    )
    return attest_route(m.pki, m.rendered, m.two, frozen=with_fields).final


def replacement_bilaga(m: Material) -> bytes:
    fake = bilaga("Slutrapport i samband med upphörande av IOP (ändrad)", 1).pdf
    return tamper.replace_pages_after(m.rendered.memo_page_count, fake)(m.genuine.final)


def _on_final(change: tamper.Tamper) -> Callable[[Material], bytes]:
    def build(m: Material) -> bytes:
        return change(m.genuine.final)

    build.__doc__ = change.__doc__
    return build


# --- The signature service: its CA is trusted for a row only as the route binds it ---------

SERVICE_JENNY = "197705232382"  # Jenny's personnummer: the route binds her row to it
SERVICE_COLLEAGUE = "198102030405"  # a colleague's, with a certificate of the same service


def _service_row(m: Material, personnummer: str) -> bytes:
    """Jenny's row bound to the signature service and signed with a certificate of its CA
    naming ``personnummer``; the row drawn as attest draws Jenny's; the director's row with
    his own key; closed. Jenny's personnummer gives the genuine memo, a colleague's the
    forgery: a valid certificate of the trusted service in someone else's row."""
    from tests.support import signservice

    service = signservice.material()
    route = make_route(m.pki, (m.jenny, m.anders))
    first = dataclasses.replace(
        route.rows[0],
        service_ca=service.ca_cert.fingerprint(hashes.SHA256()).hex(),
        service_person=SERVICE_JENNY,
    )
    route = dataclasses.replace(route, rows=(first, *route.rows[1:]))
    frozen = freeze(m.rendered, m.pki, tsa_at(m.pki, FROZEN_AT), FROZEN_AT, route)
    at = STEP_TIMES[0]
    key = pooled_key()
    names = {SERVICE_JENNY: m.jenny.full_name, SERVICE_COLLEAGUE: m.maria.full_name}
    cert = signservice.issue_signer_certificate(
        service.ca_key,
        service.ca_cert,
        key.public_key(),
        signservice.Identity(personnummer, names[personnummer]),
        at,
    )
    x1, y1, x2, y2 = pades.field_rect(frozen, "attest-steg-1")
    signed = sign_field(
        frozen,
        field_name="attest-steg-1",
        signer_key=key,
        signer_cert=cert,
        chain=[service.ca_cert],
        appearance_pdf=row_appearance_pdf(x2 - x1, y2 - y1, m.jenny.full_name, m.jenny.title, at),
        timestamper=tsa_at(m.pki, at),
        reason="Attesterat",
        now=at,
    )
    second = STEP_TIMES[1]
    signed = attest(signed, m.rendered, 1, m.anders, m.pki, tsa_at(m.pki, second), second)
    closed_at = second + dt.timedelta(minutes=1)
    return close(
        signed, m.pki, tsa_at(m.pki, closed_at), closed_at, [build_crl(m.pki, [], now=closed_at)]
    )


def service_certificate_of_a_colleague(m: Material) -> bytes:
    return _service_row(m, SERVICE_COLLEAGUE)


@functools.cache
def service_signed_genuine() -> bytes:
    """The forgery's genuine twin: Jenny's own service certificate in her row."""
    return _service_row(material(), SERVICE_JENNY)


def service_trust() -> list[x509.Certificate]:
    """The clerk's --trust for memos signed through the service: the organisation's CA and
    the service's."""
    from tests.support import signservice

    return [material().pki.ca_cert, signservice.material().ca_cert]


def _not_revoked_crl(m: Material) -> list[x509.CertificateRevocationList]:
    return [build_crl(m.pki, [], now=validation_time() - dt.timedelta(hours=1))]


@dataclasses.dataclass(frozen=True)
class Case:
    """One forgery: how to make it, and the check that must fail."""

    build: Callable[[Material], bytes]
    code: str
    expected_steps: int | None = None
    other_forvaltning: bool = False  # the clerk trusts the second förvaltning's CA too
    unusable: bool = False  # not a PDF at all, or encrypted: exit 2, a 400 on the page
    signservice: bool = False  # the clerk trusts the signature service's CA too


CASES: dict[str, Case] = {
    # Authority
    "own-key-row-with-own-title": Case(own_key_row_with_own_title, "authority"),
    "own-key-row-with-acting-title": Case(own_key_row_with_acting_title, "authority"),
    "image-drawn-row-over-the-signers-name": Case(image_drawn_row, "appearance"),
    "image-drawn-row-by-the-director": Case(image_drawn_row_by_the_director, "appearance"),
    "row-drawn-with-someone-elses-name": Case(row_names_someone_else, "appearance"),
    "namesake-of-the-same-ca": Case(namesake_of_the_same_ca, "authority"),
    "namesake-of-another-forvaltning": Case(
        namesake_of_another_forvaltning, "trusted", other_forvaltning=True
    ),
    "namesake-of-another-forvaltning-with-his-person-id": Case(
        namesake_of_another_forvaltning_with_his_person_id, "trusted", other_forvaltning=True
    ),
    "service-certificate-of-a-colleague-in-her-row": Case(
        service_certificate_of_a_colleague, "authority", signservice=True
    ),
    "acting-certificate-for-another-person": Case(acting_for_another_person, "authority"),
    "acting-certificate-for-another-role": Case(acting_for_another_role, "authority"),
    "acting-certificate-outside-its-period": Case(
        acting_outside_its_period, "time_within_validity"
    ),
    "acting-certificate-revoked-before-the-row": Case(acting_revoked_before_the_row, "not_revoked"),
    "revoked-key-with-only-the-embedded-crl": Case(
        revoked_key_with_only_the_embedded_crl, "not_revoked"
    ),
    # After the closing seal, with a fresh document timestamp
    "title-and-subject-changed-after-closing": Case(
        _after_closing(tamper.change_info(Title="Beslut: avslag", Subject="Avslag")),
        "closing_seal",
    ),
    "keywords-changed-after-closing": Case(
        _after_closing(tamper.change_info(Keywords="avslag")), "closing_seal"
    ),
    "xmp-added-after-closing": Case(_after_closing(tamper.change_xmp()), "closing_seal"),
    "comment-added-after-closing": Case(
        _after_closing(tamper.add_annotation(0, "Godkänt av alla")), "closing_seal"
    ),
    "sticky-note-added-after-closing": Case(
        _after_closing(tamper.add_annotation(1, "Se bilaga", "/Text")), "closing_seal"
    ),
    "closing-seal-missing": Case(closing_seal_missing, "closing_seal"),
    "closing-seal-by-a-person": Case(closing_seal_by_a_person, "closing_seal"),
    # The file
    "bytes-before-pdf": Case(_on_final(tamper.prepend_bytes()), "file_intact"),
    "bytes-appended-after-eof": Case(_on_final(tamper.append_bytes()), "nothing_after"),
    "truncated-mid-file": Case(_on_final(tamper.cut_in_half), "file_intact"),
    "truncated-to-an-earlier-revision": Case(
        lambda m: tamper.truncate_to_revision(3)(m.genuine.final), "complete"
    ),
    "truncated-before-the-closing-seal": Case(lambda m: m.genuine.stages[-1], "closing_seal"),
    "document-timestamp-removed": Case(_on_final(tamper.drop_last_revision), "archive_timestamp"),
    "validation-data-overwritten": Case(_on_final(tamper.replace_dss), "archive_timestamp"),
    # Each signature
    "byte-flipped-in-signed-range": Case(_on_final(tamper.flip_byte_in_first_revision), "intact"),
    "signature-value-zeroed": Case(
        _on_final(tamper.zero_signature_value("attest-steg-1")), "intact"
    ),
    "attestation-copied-from-another-memo": Case(copied_attestation, "intact"),
    "certificate-from-self-made-ca": Case(self_made_ca, "trusted"),
    "certificate-not-yet-valid": Case(not_yet_valid, "time_within_validity"),
    "certificate-expired": Case(expired, "time_within_validity"),
    "timestamp-from-untrusted-tsa": Case(untrusted_tsa, "timestamp"),
    "timestamp-for-other-data": Case(timestamp_for_other_data, "timestamp"),
    "signing-time-in-the-future": Case(in_the_future, "time_within_validity"),
    "sha1-signature": Case(sha1_signature, "valid"),
    # Changes after the signatures
    "text-added-after-last-signature": Case(
        _on_final(tamper.add_text_to_page(0, "Beslutet avser 5 000 000 kronor")),
        "changes_allowed",
    ),
    "page-added": Case(_on_final(tamper.add_page()), "changes_allowed"),
    "page-removed-pypdf-rewrite": Case(_on_final(tamper.remove_page(1)), "intact"),
    "bilaga-replaced-pypdf-rewrite": Case(replacement_bilaga, "intact"),
    "appearance-redrawn-with-another-name": Case(
        _on_final(tamper.redraw_appearance("attest-steg-1", "Eva Svensson, Avdelningschef")),
        "changes_allowed",
    ),
    "shadow-revision-overrides-page-content": Case(
        _on_final(tamper.shadow_page_content(0, "Beslut: avslag")), "changes_allowed"
    ),
    # The route and the table
    "signatures-reordered": Case(reordered, "route_order"),
    "same-person-attests-twice": Case(same_person_twice, "route_order"),
    "signature-field-removed": Case(_on_final(tamper.remove_field("attest-steg-1")), "complete"),
    "field-emptied": Case(_on_final(tamper.empty_field("attest-steg-2")), "complete"),
    "fewer-steps-than-expected": Case(lambda m: m.genuine.final, "complete", expected_steps=3),
    "frozen-but-not-attested": Case(lambda m: m.genuine.frozen, "complete"),
    # The seal
    "seal-replaced-by-a-personal-certificate": Case(
        seal_replaced_by_a_person, "certification_first"
    ),
    "never-certified-by-the-seal": Case(never_certified, "certification_first"),
    "never-attested": Case(lambda m: m.rendered.pdf, "has_signatures"),
    # Not a PDF to check
    "not-a-pdf-named-pdf": Case(_on_final(tamper.not_a_pdf), "file_is_pdf", unusable=True),
    "encrypted-pdf": Case(_on_final(tamper.encrypt()), "file_is_pdf", unusable=True),
    "empty-file": Case(_on_final(tamper.empty), "file_is_pdf", unusable=True),
}


@functools.cache
def forgery(name: str) -> bytes:
    """The forged file of a case, made once per session."""
    return CASES[name].build(material())


def trust_for(case: Case) -> list[x509.Certificate]:
    m = material()
    if case.signservice:
        return service_trust()
    return [m.pki.ca_cert, m.second.ca_cert] if case.other_forvaltning else [m.pki.ca_cert]


# --- Genuine memos of every kind -------------------------------------------------------------


def _three_steps(m: Material) -> bytes:
    doc = dataclasses.replace(
        reference_doc(),
        steps=(
            AttestationStep(PEOPLE[0][1]),
            AttestationStep(THIRD[1]),
            AttestationStep(PEOPLE[1][1]),
        ),
        signatories=(Signatory(*PEOPLE[1]), Signatory(*THIRD), Signatory(*PEOPLE[0])),
    )
    return attest_route(m.pki, render_memo(doc), (m.jenny, m.maria, m.anders)).final


def _acting(m: Material) -> bytes:
    """Maria attests the director's row as t.f., with her t.f. certificate for him."""
    acting = make_acting(m.pki, m.maria, "Stadsdelsdirektör", for_person=m.anders)
    return attest_route(m.pki, m.rendered, (m.jenny, acting), route=m.two).final


def _acting_for_the_role(m: Material) -> bytes:
    """A t.f. certificate for the role, registered without a named absent person."""
    acting = make_acting(m.pki, m.maria, "Stadsdelsdirektör", for_person=None)
    return attest_route(m.pki, m.rendered, (m.jenny, acting), route=m.two).final


def _bilagor(count: int) -> Callable[[Material], bytes]:
    def build(m: Material) -> bytes:
        doc = dataclasses.replace(
            reference_doc(with_bilaga=False),
            attachments=tuple(bilaga(f"Bilaga {n}", n) for n in range(1, count + 1)),
        )
        return attest_route(m.pki, render_memo(doc), m.two).final

    return build


def _renewed(m: Material) -> bytes:
    """The archive timestamp renewed once (validation data and a document timestamp again)."""
    return restamp(m.genuine.final, m.pki, dt.datetime(2024, 8, 20, 9, 0, tzinfo=UTC))


def _several_titles(m: Material) -> bytes:
    """The director's certificate lists two roles; his row shows the one of the step."""
    anders = make_attester(m.pki, *DIRECTOR, titles=("Ekonomichef", "Stadsdelsdirektör"))
    return attest_route(m.pki, m.rendered, (m.jenny, anders)).final


def _second_forvaltning(m: Material) -> bytes:
    """A memo of the other förvaltning, by its own people and CA."""
    people = tuple(
        make_attester(m.second, name, title, organisation=SECOND_ORGANISATION.name)
        for name, title in (("Sara Berg", "Avdelningschef"), ("Olof Ek", "Stadsdelsdirektör"))
    )
    return attest_route(
        m.second,
        render_memo(reference_doc(with_bilaga=False)),
        people,
        organisation=(SECOND_ORGANISATION.name, SECOND_CODE),
    ).final


GENUINE: dict[str, Callable[[Material], bytes]] = {
    "2-steg": lambda m: m.genuine.final,
    "3-steg": _three_steps,
    "tf-for-direktoren": _acting,
    "tf-for-rollen": _acting_for_the_role,
    "0-bilagor": _bilagor(0),
    "5-bilagor": _bilagor(5),
    "arkivstampel-fornyad": _renewed,
    "flera-titlar": _several_titles,
}


@functools.cache
def genuine(name: str) -> bytes:
    return GENUINE[name](material())


@functools.cache
def second_forvaltning_memo() -> bytes:
    return _second_forvaltning(material())


def steps_of(name: str) -> int:
    return 3 if name == "3-steg" else 2
