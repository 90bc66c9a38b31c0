"""Anchoring the audit chain: the head signed by the system seal, and the chain's check.

An anchor is a detached CMS signature of the organisation's system seal (with a signature
timestamp from its TSA) over the head's sequence number, its hash and the anchoring time.
Someone who can write the database but has not the seal key cannot make one: a log
rewritten and "re-anchored" with timestamps alone (which any TSA gives) is detected, and so
are anchors out of order or whose times disagree with the ones stored. Anchors made before
this (bare RFC 3161 tokens, which prove when but not who) count only where a sealed anchor
later in the chain vouches for the same entries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Iterable

import sqlalchemy as sa
from asn1crypto import cms
from cryptography.hazmat.primitives import hashes

from attest import audit, clock, db
from attest.attestation import keystore
from attest.attestation.hooks import timestamper
from attest.audit.models import AuditEvent, AuditHead, AuditTimestamp
from attest.audit.operations import GENESIS_HASH, ChainReport, link_problem
from attest.catalogue import N_
from attest.custody import seal_identity
from attest.orgs.models import Organisation
from attest.pki.ca import require_utc
from attest.signing import run_sync
from attest.signing.sign import sign_detached
from attest.signing.validate import validate_detached

ANCHOR_FORMAT = "attest-audit-anchor:v1"
# The signature timestamp and the stored time are one moment: they may differ by the TSA's
# rounding and the time between asking for the token and writing the row.
ANCHOR_TIME_TOLERANCE = dt.timedelta(seconds=5)


def anchored_data(seq: int, entry_hash: str, moment: dt.datetime) -> bytes:
    """What the seal signs: the head and the time of anchoring (UTC, microseconds)."""
    at = require_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"{ANCHOR_FORMAT}:{seq}:{entry_hash}:{at}".encode("ascii")


def _legacy_imprint(seq: int, entry_hash: str) -> bytes:
    return hashlib.sha256(f"attest-audit:{seq}:{entry_hash}".encode()).digest()


def timestamp_head(organisation: Organisation) -> AuditTimestamp | None:
    """Anchor the current head with the organisation's system seal (in the caller's
    transaction)."""
    session = db.session()
    session.flush()
    head = session.get(AuditHead, 1)
    if head is None or not keystore.has_pki(organisation):
        return None
    pki = keystore.org_pki(organisation)
    moment = clock.now()
    seal = seal_identity(pki)
    signature = sign_detached(
        anchored_data(head.seq, head.entry_hash, moment),
        signer=seal.signer,
        signer_cert=seal.certificate,
        chain=seal.chain,
        timestamper=timestamper(organisation, pki),
        now=moment,
    )
    anchor = AuditTimestamp(
        seq=head.seq,
        entry_hash=head.entry_hash,
        organisation_id=organisation.id,
        token=signature,
        created_at=moment,
    )
    session.add(anchor)
    return anchor


def timestamp_all() -> int:
    """The daily anchoring: one sealed anchor per organisation that has its keys."""
    count = 0
    for org in db.session().scalars(sa.select(Organisation).order_by(Organisation.id)):
        if timestamp_head(org) is not None:
            count += 1
    return count


def _is_legacy(token: bytes) -> bool:
    """A bare RFC 3161 token (the anchors before the seal signed them)."""
    try:
        content = cms.ContentInfo.load(token)["content"]
        return content["encap_content_info"]["content_type"].native == "tst_info"
    except Exception:  # noqa: BLE001 - unreadable: judged as a sealed anchor, and fails there
        return False


def _check_anchor(anchor: AuditTimestamp) -> str | None:
    """Why the anchor is not the organisation's seal over this head at the stored time."""
    org = db.session().get(Organisation, anchor.organisation_id)
    if org is None:
        return N_("organisationen som förankrade posten finns inte")
    pki = keystore.org_pki(org)
    data = anchored_data(anchor.seq, anchor.entry_hash, anchor.created_at)
    facts = validate_detached(data, anchor.token, trust_roots=[pki.ca_cert])
    if facts.error is not None:
        return N_("förankringen kan inte läsas")
    if not facts.intact:
        return N_("förankringen gäller inte den här posten eller tiden")
    seal = pki.seal_cert.fingerprint(hashes.SHA256()).hex()
    if not (facts.valid and facts.trusted) or facts.signer_sha256 != seal:
        return N_("förankringen är inte signerad av organisationens systemsigill")
    if not facts.timestamp_ok or facts.timestamp_time is None:
        return N_("förankringen saknar en giltig tidsstämpel")
    if abs(facts.timestamp_time - anchor.created_at) > ANCHOR_TIME_TOLERANCE:
        return N_("förankringens tidsstämpel stämmer inte med den lagrade tiden")
    return None


def _check_legacy_anchor(anchor: AuditTimestamp) -> str | None:
    """A bare token: the right imprint, from the organisation's TSA (proves when, not who)."""
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko.sign.validation.status import TimestampSignatureStatus
    from pyhanko_certvalidator import ValidationContext

    from attest.pki.ca import asn1_certificate

    org = db.session().get(Organisation, anchor.organisation_id)
    if org is None:
        return N_("organisationen som tidsstämplade posten finns inte")
    pki = keystore.org_pki(org)
    try:
        signed_data = cms.ContentInfo.load(anchor.token)["content"]
        context = ValidationContext(
            trust_roots=[asn1_certificate(pki.ca_cert)], allow_fetching=False
        )
        expected = _legacy_imprint(anchor.seq, anchor.entry_hash)
        kwargs = run_sync(validate_tst_signed_data(signed_data, context, lambda _alg: expected))
        status = TimestampSignatureStatus(**kwargs)
    except Exception:  # noqa: BLE001 - any failure to read the token is a broken anchor
        return N_("tidsstämpeln kan inte läsas")
    if not (status.intact and status.valid and status.trusted):
        return N_("tidsstämpeln är ogiltig")
    return None


def check_anchors(anchors: list[AuditTimestamp], entries: int) -> ChainReport | None:
    """The anchors' own checks (``entries``: the chain's length): each sealed anchor signed
    by its organisation's seal over its head at its stored time; anchors in the order of
    their positions with non-decreasing times; a bare-timestamp anchor only below a sealed
    one. The first problem as a ChainReport, or None."""
    ordered = sorted(anchors, key=lambda a: (a.seq, a.id))
    newest_sealed = max((a.seq for a in ordered if not _is_legacy(a.token)), default=0)
    previous: AuditTimestamp | None = None
    for anchor in ordered:
        if previous is not None and anchor.created_at < previous.created_at:
            return ChainReport(
                False,
                entries,
                anchor.seq,
                N_("förankringarna är inte i ordning: en senare post förankrades tidigare"),
            )
        previous = anchor
        if _is_legacy(anchor.token):
            if anchor.seq > newest_sealed:
                return ChainReport(
                    False,
                    entries,
                    anchor.seq,
                    N_(
                        "förankringen är bara en tidsstämpel, utan systemsigillets signatur, och "
                        "ingen senare förankring med sigill bekräftar posterna"
                    ),
                )
            problem = _check_legacy_anchor(anchor)
        else:
            problem = _check_anchor(anchor)
        if problem:
            return ChainReport(False, entries, anchor.seq, problem)
    return None


def _anchor_problem(anchor: AuditTimestamp) -> str | None:
    """One anchor's check, as check_anchors makes it (for a part of the chain)."""
    if not _is_legacy(anchor.token):
        return _check_anchor(anchor)
    later = db.session().scalars(
        sa.select(AuditTimestamp)
        .where(AuditTimestamp.seq >= anchor.seq, AuditTimestamp.id != anchor.id)
        .order_by(AuditTimestamp.seq.desc())
    )
    if not any(not _is_legacy(a.token) for a in later):
        return N_(
            "förankringen är bara en tidsstämpel, utan systemsigillets signatur, och ingen "
            "senare förankring med sigill bekräftar posterna"
        )
    return _check_legacy_anchor(anchor)


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
            return ChainReport(False, report.entries, anchor.seq, TRUNCATED)
        if entry.entry_hash != anchor.entry_hash:
            return ChainReport(
                False, report.entries, anchor.seq, N_("posten skiljer sig från den förankrade")
            )
        if entry.created_at > anchor.created_at + ANCHOR_TIME_TOLERANCE:
            return ChainReport(
                False, report.entries, anchor.seq, N_("posten är skriven efter att den förankrades")
            )
    problem = check_anchors(anchors, report.entries)
    return problem or report


TRUNCATED = N_("kedjan är kortare än ett tidsstämplat huvud: poster har tagits bort")


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
        return ChainReport(
            False, 0, last.seq + 1 if last else 1, N_("kedjan är kortare än dess huvud")
        )
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
                    False, len(checked), anchor.seq, N_("posten skiljer sig från den förankrade")
                )
            problem = _anchor_problem(anchor)
            if problem:
                return ChainReport(False, len(checked), anchor.seq, problem)
            anchors_checked.add(anchor.id)
    return ChainReport(True, len(checked), whole=False)
