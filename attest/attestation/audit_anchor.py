"""Anchoring the audit chain: the head timestamped by a TSA, and the full chain check."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable

import sqlalchemy as sa
from asn1crypto import cms

from attest import audit, clock, db
from attest.attestation import keystore
from attest.attestation.hooks import timestamper
from attest.audit.models import AuditEvent, AuditHead, AuditTimestamp
from attest.audit.operations import GENESIS_HASH, ChainReport, link_problem
from attest.orgs.models import Organisation
from attest.signing import run_sync


def _imprint(seq: int, entry_hash: str) -> bytes:
    return hashlib.sha256(f"attest-audit:{seq}:{entry_hash}".encode()).digest()


def timestamp_head(organisation: Organisation) -> AuditTimestamp | None:
    """Timestamp the current head with the organisation's TSA (in the caller's transaction)."""
    session = db.session()
    session.flush()
    head = session.get(AuditHead, 1)
    if head is None or not keystore.has_pki(organisation):
        return None
    pki = keystore.org_pki(organisation)
    token = run_sync(
        timestamper(organisation, pki).async_timestamp(
            _imprint(head.seq, head.entry_hash), "sha256"
        )
    )
    anchor = AuditTimestamp(
        seq=head.seq,
        entry_hash=head.entry_hash,
        organisation_id=organisation.id,
        token=token.dump(),
        created_at=clock.now(),
    )
    session.add(anchor)
    return anchor


def timestamp_all() -> int:
    """The daily anchoring: one token per organisation that has a TSA."""
    count = 0
    for org in db.session().scalars(sa.select(Organisation).order_by(Organisation.id)):
        if timestamp_head(org) is not None:
            count += 1
    return count


@dataclass(frozen=True)
class AnchorProblem:
    seq: int
    reason: str


def _check_anchor(anchor: AuditTimestamp) -> str | None:
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko.sign.validation.status import TimestampSignatureStatus
    from pyhanko_certvalidator import ValidationContext

    from attest.pki.ca import asn1_certificate

    org = db.session().get(Organisation, anchor.organisation_id)
    if org is None:
        return "organisationen som tidsstämplade posten finns inte"
    pki = keystore.org_pki(org)
    try:
        signed_data = cms.ContentInfo.load(anchor.token)["content"]
        context = ValidationContext(
            trust_roots=[asn1_certificate(pki.ca_cert)], allow_fetching=False
        )
        expected = _imprint(anchor.seq, anchor.entry_hash)
        kwargs = run_sync(validate_tst_signed_data(signed_data, context, lambda _alg: expected))
        status = TimestampSignatureStatus(**kwargs)
    except Exception:  # noqa: BLE001 - any failure to read the token is a broken anchor
        return "tidsstämpeln kan inte läsas"
    if not (status.intact and status.valid and status.trusted):
        return "tidsstämpeln är ogiltig"
    return None


def verify_audit() -> ChainReport:
    """The chain walked (attest.audit.verify_chain), then every anchor checked against it."""
    report = audit.verify_chain()
    if not report.ok:
        return report  # the first broken entry, as the walk found it
    session = db.session()
    anchors = list(session.scalars(sa.select(AuditTimestamp).order_by(AuditTimestamp.seq)))
    for anchor in anchors:
        entry = session.get(AuditEvent, anchor.seq)
        if entry is None or report.entries < anchor.seq:
            return ChainReport(
                False,
                report.entries,
                anchor.seq,
                TRUNCATED,
            )
        if entry.entry_hash != anchor.entry_hash:
            return ChainReport(
                False, report.entries, anchor.seq, "posten skiljer sig från den tidsstämplade"
            )
        problem = _check_anchor(anchor)
        if problem:
            return ChainReport(False, report.entries, anchor.seq, problem)
    return report


TRUNCATED = "kedjan är kortare än ett tidsstämplat huvud: poster har tagits bort"


def verify_audit_of(seqs: Iterable[int]) -> ChainReport:
    """The part of the chain that vouches for these events, where verify_audit walks it all.

    Each event is checked with the entries from it to the first timestamped head at or after
    it: its link to the entry before, every hash and link up to that head, and the head's
    token. An event after the newest anchor is followed to the chain's head row, and the head
    row must be the last entry. Every attestation anchors the head, so this reads a few
    entries per event however long the history is; ``attest audit verify`` walks it all.
    ``entries`` counts the entries checked.
    """
    session = db.session()
    head = session.get(AuditHead, 1)
    last = session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).first()
    if head is not None and (
        last is None or (last.seq, last.entry_hash) != (head.seq, head.entry_hash)
    ):
        return ChainReport(False, 0, last.seq + 1 if last else 1, "kedjan är kortare än dess huvud")
    newest_anchor = session.scalar(sa.select(sa.func.max(AuditTimestamp.seq)))
    if newest_anchor is not None and (last is None or newest_anchor > last.seq):
        return ChainReport(False, 0, newest_anchor, TRUNCATED)
    checked: set[int] = set()
    anchors_checked: set[int] = set()
    for seq in sorted(set(seqs)):
        if seq in checked:
            continue
        anchor = session.scalars(
            sa.select(AuditTimestamp)
            .where(AuditTimestamp.seq >= seq)
            .order_by(AuditTimestamp.seq, AuditTimestamp.id)
            .limit(1)
        ).first()
        end = anchor.seq if anchor is not None else (last.seq if last is not None else 0)
        entries = session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.seq.between(seq - 1, end))
            .order_by(AuditEvent.seq)
        ).all()
        prev = GENESIS_HASH
        if seq > 1:
            if not entries or entries[0].seq != seq - 1:
                return ChainReport(
                    False, len(checked), seq - 1, "en post saknas eller har flyttats"
                )
            prev = entries[0].entry_hash
            entries = entries[1:]
        for expected, entry in enumerate(entries, start=seq):
            problem = link_problem(entry, expected, prev)
            if problem:
                return ChainReport(False, len(checked), expected, problem)
            checked.add(entry.seq)
            prev = entry.entry_hash
        if not entries or entries[-1].seq != end:
            return ChainReport(False, len(checked), end, TRUNCATED)
        if anchor is not None and anchor.id not in anchors_checked:
            if entries[-1].entry_hash != anchor.entry_hash:
                return ChainReport(
                    False, len(checked), anchor.seq, "posten skiljer sig från den tidsstämplade"
                )
            problem = _check_anchor(anchor)
            if problem:
                return ChainReport(False, len(checked), anchor.seq, problem)
            anchors_checked.add(anchor.id)
    return ChainReport(True, len(checked), whole=False)
