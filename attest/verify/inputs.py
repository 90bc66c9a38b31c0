"""The clerk's inputs besides the PDF: the trusted CA certificates and CRLs, from files."""

from __future__ import annotations

import re
from typing import Sequence

from cryptography import x509

__all__ = ["load_crls", "load_trust", "normalise_crls"]


def load_trust(data: bytes) -> tuple[x509.Certificate, ...]:
    """Every certificate in a PEM bundle, or the one DER certificate; ValueError if none."""
    if b"-----BEGIN" in data:
        certs = tuple(x509.load_pem_x509_certificates(data))
    else:
        certs = (x509.load_der_x509_certificate(data),)
    if not certs:
        raise ValueError("no certificate found")
    return certs


def load_crls(data: bytes) -> tuple[x509.CertificateRevocationList, ...]:
    """The CRLs in a PEM file (one or more), or the one DER CRL."""
    if b"-----BEGIN" not in data:
        return (x509.load_der_x509_crl(data),)
    blocks = re.findall(
        rb"-----BEGIN X509 CRL-----.+?-----END X509 CRL-----", data, flags=re.DOTALL
    )
    if not blocks:
        raise ValueError("no CRL found")
    return tuple(x509.load_pem_x509_crl(block) for block in blocks)


def normalise_crls(
    crls: Sequence[x509.CertificateRevocationList | bytes],
) -> tuple[x509.CertificateRevocationList, ...]:
    out: list[x509.CertificateRevocationList] = []
    for crl in crls:
        out.extend(load_crls(crl) if isinstance(crl, bytes) else (crl,))
    return tuple(out)
