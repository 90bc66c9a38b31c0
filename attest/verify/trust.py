"""Which trusted CA issued a certificate, and what that CA's revocation lists say of it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Sequence

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes

__all__ = ["Revocation", "crl_issued_by", "fingerprint", "issuer_in", "revocation"]


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def issuer_in(cert: x509.Certificate, trust: Sequence[x509.Certificate]) -> x509.Certificate | None:
    """The trust root that issued cert (or is cert), verified by signature; else None."""
    for root in trust:
        if cert == root:
            return root
        try:  # a name that does not decode raises ValueError when first read
            if cert.issuer != root.subject:
                continue
            cert.verify_directly_issued_by(root)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return root
    return None


def crl_issued_by(crl: x509.CertificateRevocationList, root: x509.Certificate) -> bool:
    key: Any = root.public_key()  # an RSA key for attest's CAs; the stubs list every kind
    try:  # a name that does not decode raises ValueError when first read
        return crl.issuer == root.subject and crl.is_signature_valid(key)
    except ValueError:
        return False


@dataclass(frozen=True)
class Revocation:
    """What the issuing CA's lists say of one certificate."""

    revoked_at: dt.datetime | None  # the earliest revocation any of them lists
    latest_list: dt.datetime | None  # the newest of them (its thisUpdate): it vouches until then
    from_file: bool  # the list that says so came with the file, not from the clerk


def revocation(
    cert: x509.Certificate,
    issuer: x509.Certificate | None,
    given: Sequence[x509.CertificateRevocationList],
    embedded: Sequence[x509.CertificateRevocationList],
) -> Revocation:
    """The lists of the certificate's issuer (verified by its signature), given or carried."""
    revoked_at: dt.datetime | None = None
    latest: dt.datetime | None = None
    from_file = False
    if issuer is None:
        return Revocation(None, None, False)
    for crl, carried in [(c, False) for c in given] + [(c, True) for c in embedded]:
        if not crl_issued_by(crl, issuer):
            continue
        issued = crl.last_update_utc
        if latest is None or issued > latest:
            latest = issued
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is not None and (revoked_at is None or entry.revocation_date_utc < revoked_at):
            revoked_at = entry.revocation_date_utc
            from_file = carried
    return Revocation(revoked_at, latest, from_file)
