"""The append-only audit log, a hash chain: ``record`` is the one way to write it."""

from attest.audit.operations import record, verify_chain

__all__ = ["record", "verify_chain"]
