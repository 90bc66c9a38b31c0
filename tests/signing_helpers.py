"""Builders for the signing tests and the signing benchmark: real keys, real memo PDFs.

Plain functions (tests/conftest.py belongs to the app tests); the test modules wrap the
expensive ones in module-scoped fixtures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from cryptography import x509

from attest.demo_content import reference_bilaga_pdf, reference_document
from attest.pdf import (
    Attachment,
    AttestationStep,
    MemoDocument,
    Organisation,
    RenderedMemo,
    RowRect,
    Signatory,
    render_row_appearance,
)
from attest.pki import (
    OrgPki,
    PrivateKey,
    build_crl,
    create_org_pki,
    generate_personal_key,
    issue_personal_certificate,
)
from attest.signing import (
    InProcessTimeStamper,
    TimeStamper,
    add_signature_fields,
    certify,
    fields_for_rows,
    finish_lta,
    sign_field,
    step_field_name,
)

UTC = dt.timezone.utc
# The reference memo was attested on 15 and 16 August 2024.
FROZEN_AT = dt.datetime(2024, 8, 14, 13, 0, tzinfo=UTC)
ISSUED_AT = dt.datetime(2024, 8, 1, 8, 0, tzinfo=UTC)
FAST_ROUNDS = 1_000  # PBKDF2 rounds for tests that do not check the default

ORGANISATION = Organisation(
    name="Enskede-Årsta-Vantörs stadsdelsförvaltning",
    short_name="Enskede-Årsta-Vantör",
    board="Enskede-Årsta-Vantörs stadsdelsnämnd",
    postal_address="Box 81\n121 22 Johanneshov",
    switchboard="08-508 14 000",
    website="start.stockholm",
)
ORG_CODE = "EÅV"
DNR = "EÅV 2024/123"
STEPS = (AttestationStep("Avdelningschef"), AttestationStep("Stadsdelsdirektör"))
PEOPLE = (("Jenny Johansson", "Avdelningschef"), ("Anders Carstorp", "Stadsdelsdirektör"))


class TestClock:
    """A settable clock, shared by a test and its in-process TSA."""

    __test__ = False  # not a pytest test class

    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def now(self) -> dt.datetime:
        return self.at

    def set(self, at: dt.datetime) -> None:
        self.at = at


@dataclass(frozen=True)
class Attester:
    full_name: str
    title: str
    key: PrivateKey
    cert: x509.Certificate

    @property
    def name_title(self) -> str:
        return f"{self.full_name}, {self.title}"


def reference_doc(*, with_bilaga: bool = True) -> MemoDocument:
    """The reference tjänsteutlåtande (demo content) with its two attestation steps."""
    date = dt.date(2024, 8, 14)
    attachments: tuple[Attachment, ...] = ()
    if with_bilaga:
        attachments = (
            Attachment(
                "Slutrapport i samband med upphörande av IOP",
                reference_bilaga_pdf(ORGANISATION, DNR, date),
            ),
        )
    return reference_document(
        ORGANISATION,
        dnr=DNR,
        date=date,
        attachments=attachments,
        steps=STEPS,
        signatories=(Signatory(*PEOPLE[1]), Signatory(*PEOPLE[0])),
    )


def make_pki(now: dt.datetime = ISSUED_AT) -> OrgPki:
    return create_org_pki(ORGANISATION.name, ORG_CODE, now)


def make_attester(
    pki: OrgPki, full_name: str, title: str, *, now: dt.datetime = ISSUED_AT, days: int = 1095
) -> Attester:
    key = generate_personal_key()
    cert = issue_personal_certificate(
        pki,
        key.public_key(),
        full_name=full_name,
        title=title,
        organisation=ORGANISATION.name,
        now=now,
        days=days,
    )
    return Attester(full_name, title, key, cert)


def row_appearance(row: RowRect, name_title: str, moment: dt.datetime) -> bytes:
    return render_row_appearance(
        row.x2 - row.x1,
        row.y2 - row.y1,
        name_title,
        moment.date().isoformat(),
        row.name_col_width,
    )


def freeze(rendered: RenderedMemo, pki: OrgPki, tsa: TimeStamper, now: dt.datetime) -> bytes:
    """Fields at the table rows plus the seal's certification: the version to attest."""
    with_fields = add_signature_fields(rendered.pdf, fields_for_rows(rendered.rows))
    return certify(
        with_fields,
        signer_key=pki.seal_key,
        signer_cert=pki.seal_cert,
        chain=pki.chain,
        timestamper=tsa,
        now=now,
    )


def attest(
    pdf: bytes,
    rendered: RenderedMemo,
    step_index: int,
    attester: Attester,
    pki: OrgPki,
    tsa: TimeStamper,
    now: dt.datetime,
    chain: tuple[x509.Certificate, ...] | None = None,
) -> bytes:
    """One attestation: the attester signs their row, which shows "Namn, Titel" and the date."""
    row = rendered.rows[step_index]
    return sign_field(
        pdf,
        field_name=step_field_name(step_index),
        signer_key=attester.key,
        signer_cert=attester.cert,
        chain=pki.chain if chain is None else chain,
        appearance_pdf=row_appearance(row, attester.name_title, now),
        timestamper=tsa,
        reason="Attesterat",
        location="Stockholm",
        now=now,
    )


@dataclass
class Flow:
    """Every stage of one memo's attestation, for tests that tamper with one of them."""

    pki: OrgPki
    clock: TestClock
    tsa: InProcessTimeStamper
    rendered: RenderedMemo
    attesters: tuple[Attester, ...]
    frozen: bytes = b""
    after_first: bytes = b""
    after_second: bytes = b""
    final: bytes = b""
    crl_at_archive: x509.CertificateRevocationList | None = None
    times: dict[str, dt.datetime] = field(default_factory=dict)

    def tsa_for(self, now_provider: Callable[[], dt.datetime]) -> InProcessTimeStamper:
        return InProcessTimeStamper(
            self.pki.tsa_key, self.pki.tsa_cert, self.pki.chain, now_provider
        )


def run_flow(pki: OrgPki, attesters: tuple[Attester, ...], rendered: RenderedMemo) -> Flow:
    """Freeze, attest by Avdelningschef then Stadsdelsdirektör, archive (B-LTA)."""
    clock = TestClock(FROZEN_AT)
    tsa = InProcessTimeStamper(pki.tsa_key, pki.tsa_cert, pki.chain, clock.now)
    flow = Flow(pki, clock, tsa, rendered, attesters)
    flow.frozen = freeze(rendered, pki, tsa, clock.now())
    flow.times["frozen"] = clock.now()
    clock.set(dt.datetime(2024, 8, 15, 9, 30, tzinfo=UTC))
    flow.after_first = attest(flow.frozen, rendered, 0, attesters[0], pki, tsa, clock.now())
    flow.times["first"] = clock.now()
    clock.set(dt.datetime(2024, 8, 16, 14, 5, tzinfo=UTC))
    flow.after_second = attest(flow.after_first, rendered, 1, attesters[1], pki, tsa, clock.now())
    flow.times["second"] = clock.now()
    clock.set(clock.now() + dt.timedelta(minutes=1))
    flow.crl_at_archive = build_crl(pki, [], now=clock.now())
    flow.final = finish_lta(
        flow.after_second,
        timestamper=tsa,
        ca_cert=pki.ca_cert,
        crls=[flow.crl_at_archive],
        now=clock.now(),
    )
    flow.times["archived"] = clock.now()
    return flow


def validation_time() -> dt.datetime:
    """When the tests verify: a week after archiving, well inside every validity period."""
    return dt.datetime(2024, 8, 23, 10, 0, tzinfo=UTC)
