"""Helpers the tests share: factories, signing builders, pages, servers, forgeries.

Test modules import from here and never from each other; nothing here re-implements what
attest itself does (signing goes through attest.attestation's own functions).
"""
