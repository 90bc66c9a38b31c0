"""Builders for the signing tests and the signing benchmark: real keys, real memo PDFs.

Plain functions over attest's own signing (attest.attestation.pades): the route sealed
into the frozen PDF, certificates that name the person and their titles, each row signed
with its appearance drawn from the certificate, the closing seal and B-LTA. The
session-scoped fixtures in tests/conftest.py build the expensive ones once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import itertools
import uuid
from dataclasses import dataclass, field
from typing import Callable, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from attest.attestation import pades
from attest.demo_content import reference_bilaga_pdf, reference_document
from attest.pdf import (
    Attachment,
    AttestationStep,
    MemoDocument,
    Organisation,
    RenderedMemo,
    RowRect,
    Signatory,
    render_memo,
    render_report,
)
from attest.pki import (
    OrgPki,
    PrivateKey,
    build_crl,
    create_org_pki,
    decrypt_private_key,
    dump_org_pki,
    encrypt_private_key,
    generate_personal_key,
    issue_acting_certificate,
    issue_personal_certificate,
    load_org_pki,
)
from attest.pki.profile import person_serial
from attest.signing import (
    InProcessTimeStamper,
    RouteRow,
    SealedRoute,
    TimeStamper,
    finish_lta,
    step_field_name,
)
from attest.signing.rows import row_appearance_pdf
from attest.users.roles import normalise_role_code
from tests.support import shared

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
# Another förvaltning of the same city, with a CA of its own.
SECOND_ORGANISATION = dataclasses.replace(
    ORGANISATION,
    name="Skarpnäcks stadsdelsförvaltning",
    short_name="Skarpnäck",
    board="Skarpnäcks stadsdelsnämnd",
)
SECOND_CODE = "SKV"
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


# People of the tests are the same person when they have the same name, unless a test
# makes a namesake with a person identifier of its own.
PERSON_NAMESPACE = uuid.UUID("0b0e7d5c-1f4e-4b8a-9d7c-5e2f3a1b6c8d")


def person_id_of(full_name: str) -> str:
    return str(uuid.uuid5(PERSON_NAMESPACE, full_name))


@dataclass(frozen=True)
class Attester:
    """A person with a key and a certificate; ``title`` is the role they attest in."""

    full_name: str
    title: str
    key: PrivateKey
    cert: x509.Certificate
    person_id: str = ""

    @property
    def name_title(self) -> str:
        return f"{self.full_name}, {self.title}"

    @property
    def role_code(self) -> str:
        return normalise_role_code(self.title).replace(" ", "_")


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
    doc = reference_document(
        ORGANISATION,
        dnr=DNR,
        date=date,
        attachments=attachments,
        steps=STEPS,
        signatories=(Signatory(*PEOPLE[1]), Signatory(*PEOPLE[0])),
    )
    return dataclasses.replace(doc, created_at=FROZEN_AT)  # frozen then, as the flow is


# RSA-3072 keys take 0.1–1 s each to generate: a test session makes each PKI once and a
# small pool of personal keys, and hands them out in turn (certificates are always new).
KEY_POOL_SIZE = 8
_pkis: dict[str, OrgPki] = {}
_keys: list[PrivateKey] = []
_next_key = itertools.count()


def make_pki(name: str = "own", *, organisation: str = "", code: str = "") -> OrgPki:
    """The session's PKI called ``name``, made on first use.

    "own" is the organisation's; any other name gives a second CA with exactly the same
    names (a forger's) unless ``organisation`` and ``code`` name another förvaltning.
    """
    if name not in _pkis:
        _pkis[name] = shared.make_once(
            f"pki-{name}",
            lambda: create_org_pki(organisation or ORGANISATION.name, code or ORG_CODE, ISSUED_AT),
            lambda pki: shared.pickled(dump_org_pki(pki, shared.PASSPHRASE, rounds=FAST_ROUNDS)),
            lambda data: load_org_pki(shared.unpickled(data), shared.PASSPHRASE),
        )
    return _pkis[name]


def second_pki() -> OrgPki:
    """The CA of another förvaltning of the city (SKV)."""
    return make_pki("second", organisation=SECOND_ORGANISATION.name, code=SECOND_CODE)


def pooled_key() -> PrivateKey:
    """The next personal key of the session's pool."""
    return key_pool()[next(_next_key) % KEY_POOL_SIZE]


def key_pool() -> list[PrivateKey]:
    """Every key of the pool, in order (made on first use, once per run)."""
    if not _keys:
        _keys.extend(
            shared.make_once(
                "key-pool",
                lambda: [generate_personal_key() for _ in range(KEY_POOL_SIZE)],
                lambda keys: shared.pickled(
                    [encrypt_private_key(k, shared.PASSPHRASE, rounds=FAST_ROUNDS) for k in keys]
                ),
                lambda data: [
                    decrypt_private_key(k, shared.PASSPHRASE) for k in shared.unpickled(data)
                ],
            )
        )
    return list(_keys)


def make_attester(
    pki: OrgPki,
    full_name: str,
    title: str,
    *,
    now: dt.datetime = ISSUED_AT,
    days: int = 1095,
    person_id: str | None = None,
    titles: Sequence[str] | None = None,
    key: PrivateKey | None = None,
    organisation: str = ORGANISATION.name,
) -> Attester:
    """A person attesting as ``title``, with a role certificate listing ``titles`` (default:
    just that title)."""
    key = key or pooled_key()
    person_id = person_id or person_id_of(full_name)
    cert = issue_personal_certificate(
        pki,
        key.public_key(),
        full_name=full_name,
        organisation=organisation,
        person_id=person_id,
        titles=tuple(titles) if titles is not None else (title,),
        now=now,
        days=days,
    )
    return Attester(full_name, title, key, cert, person_id)


def make_acting(
    pki: OrgPki,
    substitute: Attester,
    role_title: str,
    *,
    for_person: Attester | None,
    starts: dt.datetime = ISSUED_AT,
    ends: dt.datetime = ISSUED_AT + dt.timedelta(days=60),
    role_code: str | None = None,
) -> Attester:
    """The substitute as t.f. for a role (for one person, or for anyone when None)."""
    code = role_code or normalise_role_code(role_title).replace(" ", "_")
    cert = issue_acting_certificate(
        pki,
        substitute.key.public_key(),
        full_name=substitute.full_name,
        organisation=ORGANISATION.name,
        person_id=substitute.person_id,
        role_code=code,
        role_title=role_title,
        for_person=person_serial(for_person.person_id) if for_person is not None else "",
        not_before=starts,
        not_after=ends,
    )
    return Attester(substitute.full_name, role_title, substitute.key, cert, substitute.person_id)


def make_route(
    pki: OrgPki,
    people: Sequence[Attester],
    *,
    dnr: str = DNR,
    version_number: int = 1,
    substitutes: dict[int, Sequence[Attester]] | None = None,
    organisation: tuple[str, str] = (ORGANISATION.name, ORG_CODE),
) -> SealedRoute:
    """The route naming ``people`` (each with the role of their ``title``), step by step."""
    return SealedRoute(
        organisation_name=organisation[0],
        organisation_code=organisation[1],
        ca_sha256=pki.ca_cert.fingerprint(hashes.SHA256()).hex(),
        dnr=dnr,
        version_number=version_number,
        rows=tuple(
            RouteRow(
                field=step_field_name(index),
                role_code=person.role_code,
                role_title=person.title,
                name=person.full_name,
                title=person.title,
                person=person_serial(person.person_id),
                substitutes=tuple(
                    person_serial(s.person_id) for s in (substitutes or {}).get(index, ())
                ),
            )
            for index, person in enumerate(people)
        ),
    )


def row_appearance(row: RowRect, name: str, title: str, moment: dt.datetime) -> bytes:
    """A row's appearance PDF as attest draws it (forgers draw their own)."""
    return row_appearance_pdf(row.x2 - row.x1, row.y2 - row.y1, name, title, moment)


def freeze(
    rendered: RenderedMemo,
    pki: OrgPki,
    tsa: TimeStamper,
    now: dt.datetime,
    route: SealedRoute,
) -> bytes:
    """Fields, the sealed route and the seal's certification: the version to attest."""
    return pades.freeze(rendered, pki, tsa, now, route)


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
    """One attestation: the attester signs their row, which shows their certificate."""
    return pades.sign_row(
        pdf,
        field_name=step_field_name(step_index),
        signer_key=attester.key,
        signer_cert=attester.cert,
        chain=pki.chain if chain is None else chain,
        role_title=attester.title,
        timestamper=tsa,
        reason="Attesterat",
        location="Stockholm",
        now=now,
    )


def close(
    pdf: bytes,
    pki: OrgPki,
    tsa: TimeStamper,
    now: dt.datetime,
    crls: Sequence[x509.CertificateRevocationList] | None = None,
) -> bytes:
    """The closing seal, the DSS (certificates and a current CRL) and a document timestamp."""
    return pades.close(
        pdf, pki, tsa, list(crls) if crls is not None else [build_crl(pki, [], now=now)], now
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
    """Freeze, attest by Avdelningschef then Stadsdelsdirektör, close (seal and B-LTA)."""
    clock = TestClock(FROZEN_AT)
    tsa = InProcessTimeStamper(pki.tsa_key, pki.tsa_cert, pki.chain, clock.now)
    flow = Flow(pki, clock, tsa, rendered, attesters)
    flow.frozen = freeze(rendered, pki, tsa, clock.now(), make_route(pki, attesters))
    flow.times["frozen"] = clock.now()
    clock.set(dt.datetime(2024, 8, 15, 9, 30, tzinfo=UTC))
    flow.after_first = attest(flow.frozen, rendered, 0, attesters[0], pki, tsa, clock.now())
    flow.times["first"] = clock.now()
    clock.set(dt.datetime(2024, 8, 16, 14, 5, tzinfo=UTC))
    flow.after_second = attest(flow.after_first, rendered, 1, attesters[1], pki, tsa, clock.now())
    flow.times["second"] = clock.now()
    clock.set(clock.now() + dt.timedelta(minutes=1))
    flow.crl_at_archive = build_crl(pki, [], now=clock.now())
    flow.final = close(flow.after_second, pki, tsa, clock.now(), [flow.crl_at_archive])
    flow.times["archived"] = clock.now()
    return flow


def validation_time() -> dt.datetime:
    """When the tests verify: a week after archiving, well inside every validity period."""
    return dt.datetime(2024, 8, 23, 10, 0, tzinfo=UTC)


# --- A memo at every stage, and many varied ones ---------------------------------------

STEP_TIMES = (
    dt.datetime(2024, 8, 15, 9, 30, tzinfo=UTC),
    dt.datetime(2024, 8, 16, 14, 5, tzinfo=UTC),
    dt.datetime(2024, 8, 16, 15, 40, tzinfo=UTC),
)
THIRD = ("Maria Lind", "Biträdande stadsdelsdirektör")


@dataclasses.dataclass(frozen=True)
class Memo:
    """A memo at every stage of its attestation."""

    rendered: RenderedMemo
    frozen: bytes
    stages: tuple[bytes, ...]  # after each attestation, in signing order
    final: bytes  # closed: closing seal, DSS and document timestamp

    @property
    def before_archive(self) -> bytes:
        return self.stages[-1]


def attest_route(
    pki: OrgPki,
    rendered: RenderedMemo,
    attesters: tuple[Attester, ...],
    *,
    order: tuple[int, ...] | None = None,
    times: tuple[dt.datetime, ...] = STEP_TIMES,
    frozen_at: dt.datetime = FROZEN_AT,
    stamper: Callable[[int, TestClock], TimeStamper] | None = None,
    claimed: Callable[[int, dt.datetime], dt.datetime] | None = None,
    chains: dict[int, tuple[x509.Certificate, ...]] | None = None,
    frozen: bytes | None = None,
    route: Sequence[Attester] | None = None,
    closing: bool = True,
    revoked: Sequence[tuple[int, dt.datetime]] = (),
    organisation: tuple[str, str] = (ORGANISATION.name, ORG_CODE),
) -> Memo:
    """Freeze (unless given), attest step by step in order, close: seal, DSS, timestamp.

    route: the people the sealed route names (default: the attesters). stamper(step,
    clock) gives the TSA for one step (default: the organisation's); claimed(step, time)
    the signing time the signer claims (default: the clock's). closing=False archives
    without the closing seal, as a forger without the seal key would. revoked: what the
    CRL embedded when closing lists.
    """
    clock = TestClock(frozen_at)
    tsa = InProcessTimeStamper(pki.tsa_key, pki.tsa_cert, pki.chain, clock.now)
    if frozen is None:
        planned = make_route(
            pki, route if route is not None else attesters, organisation=organisation
        )
        pdf = freeze(rendered, pki, tsa, clock.now(), planned)
    else:
        pdf = frozen
    start = pdf
    stages = []
    for done, step in enumerate(order or tuple(range(len(attesters)))):
        clock.set(times[done])
        step_tsa = stamper(step, clock) if stamper else tsa
        when = claimed(step, clock.now()) if claimed else clock.now()
        chain = (chains or {}).get(step)
        pdf = attest(pdf, rendered, step, attesters[step], pki, step_tsa, when, chain=chain)
        stages.append(pdf)
    clock.set(clock.now() + dt.timedelta(minutes=1))
    crls = [build_crl(pki, list(revoked), now=clock.now())]
    if closing:
        final = close(pdf, pki, tsa, clock.now(), crls)
    else:
        final = finish_lta(pdf, timestamper=tsa, ca_cert=pki.ca_cert, crls=crls, now=clock.now())
    return Memo(rendered, start, tuple(stages), final)


def bilaga(title: str, number: int) -> Attachment:
    date = dt.date(2024, 8, 14)
    pdf = render_report(
        organisation=ORGANISATION,
        unit="Avdelning HR och utveckling",
        dnr=DNR,
        date=date,
        title=title,
        sections=((f"Del {number}", f"Innehållet i bilaga {number}: {title}."),),
    )
    return Attachment(title, pdf)


def varied_memos(
    pki: OrgPki, people: tuple[Attester, ...], count: int, *, start: int = 0
) -> list[tuple[bytes, int]]:
    """count distinct attested memos (PDF, number of steps): 0–5 bilagor, 2- or 3-step routes.

    Memo number n (from start) has n % 6 bilagor and three steps when n % 3 == 2.
    """
    base = reference_doc(with_bilaga=False)
    jenny, anders, maria = people[:3]
    memos = []
    for number in range(start, start + count):
        bilagor = tuple(bilaga(f"Bilaga {i} till ärende {number}", i) for i in range(number % 6))
        three = number % 3 == 2
        route = (jenny, maria, anders) if three else (jenny, anders)
        doc = dataclasses.replace(
            base,
            dnr=f"EÅV 2024/{200 + number}",
            rubrik=f"{base.rubrik} ({number})",
            attachments=bilagor,
            steps=tuple(AttestationStep(a.title) for a in route),
        )
        memos.append((attest_route(pki, render_memo(doc), route).final, len(route)))
    return memos


@functools.cache
def reference_flow() -> Flow:
    """The reference memo frozen, attested by both and archived: made once per process
    (pytest-xdist may run a module's tests on several workers, in several runs)."""
    pki = make_pki()
    attesters = tuple(make_attester(pki, name, title) for name, title in PEOPLE)
    return run_flow(pki, attesters, render_memo(reference_doc()))
