"""Digital attestation: organisation PKI on disk, personal keys, PAdES signing hooks."""
