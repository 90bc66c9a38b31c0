"""The organisations' PKI: CA, system seal and TSA certificates, attester keys, CRLs."""

from attest.pki.ca import (
    OrgPki,
    certificate_name,
    create_org_pki,
    dump_org_pki,
    issue_acting_certificate,
    issue_personal_certificate,
    load_certificate,
    load_org_pki,
)
from attest.pki.crl import build_crl
from attest.pki.keys import (
    DEFAULT_KDF_ROUNDS,
    PrivateKey,
    WrongPassword,
    change_password,
    decrypt_private_key,
    encrypt_private_key,
    generate_personal_key,
)

__all__ = [
    "DEFAULT_KDF_ROUNDS",
    "OrgPki",
    "PrivateKey",
    "WrongPassword",
    "build_crl",
    "certificate_name",
    "change_password",
    "create_org_pki",
    "decrypt_private_key",
    "dump_org_pki",
    "encrypt_private_key",
    "generate_personal_key",
    "issue_acting_certificate",
    "issue_personal_certificate",
    "load_certificate",
    "load_org_pki",
]
