"""Certificate revocation lists signed by an organisation's CA."""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from attest.pki.ca import OrgPki, require_utc

NEXT_UPDATE_DAYS = 7


def build_crl(
    pki: OrgPki,
    revoked: Sequence[tuple[int, dt.datetime]],
    *,
    now: dt.datetime,
    next_update_days: int = NEXT_UPDATE_DAYS,
) -> x509.CertificateRevocationList:
    """A CRL listing (serial number, revocation time) pairs, valid from now for a week."""
    now = require_utc(now)
    ca_ski = pki.ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(pki.ca_cert.subject)
        .last_update(now)
        .next_update(now + dt.timedelta(days=next_update_days))
        # Monotonic without a counter to store: one CRL per second at most is plenty.
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
    )
    for serial, revoked_at in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(require_utc(revoked_at))
            .build()
        )
    return builder.sign(pki.ca_key, hashes.SHA256())


def crl_der(crl: x509.CertificateRevocationList) -> bytes:
    return crl.public_bytes(serialization.Encoding.DER)
