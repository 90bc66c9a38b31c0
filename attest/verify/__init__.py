"""Offline verification of attested PDFs: the one verdict engine the CLI and the web share.

``attest verify FILE.pdf --trust CA.pem`` (attest.verify.cli) and the verify page both
call ``verify_pdf`` (attest.verify.core); nothing here loads Flask or the database. The
modules: result (the frozen result types), inputs (CA and CRL files), facts (what is read
from the file), trust, checks (each signature), document (the whole file, the closing
seal), route (the sealed route and each row's authority), appearance (each row compared
with the certificate), canonical (digests of PDF objects), speedups (the one adjustment
of pyHanko), report (every text). The names below load the core (and pyHanko) on first
use, so ``python -m attest.verify --help`` answers at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from attest.verify.core import (
        CHECK_CODES,
        Attestation,
        Check,
        VerificationResult,
        load_crls,
        load_trust,
        verify_pdf,
    )

__all__ = [
    "CHECK_CODES",
    "Attestation",
    "Check",
    "VerificationResult",
    "load_crls",
    "load_trust",
    "verify_pdf",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from attest.verify import core

        return getattr(core, name)
    raise AttributeError(f"module 'attest.verify' has no attribute {name!r}")
