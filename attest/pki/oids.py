"""attest's own object identifiers, each defined here and nowhere else.

They live under the UUID arc 2.25 (ITU-T X.667 | ISO/IEC 9834-8): an OID made from a
random UUID is unique without registering anything.
"""

from __future__ import annotations

import uuid

__all__ = ["ACTING_FOR", "TSA_POLICY", "uuid_oid"]


def uuid_oid(value: str) -> str:
    """The OID 2.25.<the UUID as an integer>."""
    return "2.25." + str(uuid.UUID(value).int)


# The policy the organisation's own timestamp authority names in every token.
TSA_POLICY = uuid_oid("5d3c1f2e-8a4b-4c6d-9e0f-a1b2c3d4e5f6")

# A private, non-critical certificate extension of an acting substitute's (t.f.)
# certificate: for whom (their person identifier, absent when the substitution covers the
# role for anyone) and which role (its code). See attest.pki.profile.
ACTING_FOR = uuid_oid("a9f76098-5de3-4462-a2fc-fb19f53dd3c9")
