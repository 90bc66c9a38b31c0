"""The attestation workflow: states and transitions as data, one engine that applies them."""
