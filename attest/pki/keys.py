"""Key pairs, and private keys stored only as password-encrypted PKCS#8.

cryptography can read but not write PKCS#8 with a chosen KDF (its encryption builder
covers PKCS#12 and OpenSSH only; ``BestAvailableEncryption`` is PBKDF2 with 2048
rounds), so the EncryptedPrivateKeyInfo is assembled here from asn1crypto's structures
and cryptography's PBKDF2 and AES, and read back by cryptography's standard loader
(as OpenSSL reads it: ``openssl pkcs8 -in key.pem``).
"""

from __future__ import annotations

import os
import unicodedata

from asn1crypto import algos
from asn1crypto import keys as asn1_keys
from asn1crypto import pem
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import padding as symmetric_padding
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

PrivateKey = rsa.RSAPrivateKey

# RSA, not ECDSA: pyHanko marks ECDSA-signed files PDF 2.0, which PDF/A-1/2/3 forbid, and
# its in-process TSA signs with RSA only. 3072 bits is the 128-bit security level.
RSA_KEY_SIZE = 3072
RSA_PUBLIC_EXPONENT = 65537

# OWASP's 2023 figure for PBKDF2-HMAC-SHA256; tests pass fewer rounds for speed.
DEFAULT_KDF_ROUNDS = 600_000
KDF_SALT_BYTES = 16
AES_KEY_BYTES = 32
PEM_LABEL = "ENCRYPTED PRIVATE KEY"


class WrongPassword(Exception):
    """The password does not open this private key."""


def generate_rsa_key() -> PrivateKey:
    """A new RSA-3072 key pair (attesters, CA, seal and TSA alike)."""
    return rsa.generate_private_key(public_exponent=RSA_PUBLIC_EXPONENT, key_size=RSA_KEY_SIZE)


def generate_personal_key() -> PrivateKey:
    """A new key pair for one attester."""
    return generate_rsa_key()


def _password_bytes(password: str) -> bytes:
    # "å" typed as one code point or as a + combining ring must open the same key.
    return unicodedata.normalize("NFC", password).encode("utf-8")


def encrypt_private_key(
    key: PrivateKey, password: str, *, rounds: int = DEFAULT_KDF_ROUNDS
) -> bytes:
    """PEM "ENCRYPTED PRIVATE KEY": PKCS#8, PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC."""
    if not password:
        raise ValueError("a private key needs a non-empty password")
    if rounds < 1:
        raise ValueError("rounds must be positive")
    plain = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    salt = os.urandom(KDF_SALT_BYTES)
    iv = os.urandom(16)
    kek = PBKDF2HMAC(
        algorithm=hashes.SHA256(), length=AES_KEY_BYTES, salt=salt, iterations=rounds
    ).derive(_password_bytes(password))
    padder = symmetric_padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(kek), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    scheme = algos.EncryptionAlgorithm(
        {
            "algorithm": "pbes2",
            "parameters": algos.Pbes2Params(
                {
                    "key_derivation_func": algos.KdfAlgorithm(
                        {
                            "algorithm": "pbkdf2",
                            "parameters": algos.Pbkdf2Params(
                                {
                                    "salt": algos.Pbkdf2Salt(name="specified", value=salt),
                                    "iteration_count": rounds,
                                    "key_length": AES_KEY_BYTES,
                                    "prf": algos.HmacAlgorithm({"algorithm": "sha256"}),
                                }
                            ),
                        }
                    ),
                    "encryption_scheme": algos.EncryptionAlgorithm(
                        {"algorithm": "aes256_cbc", "parameters": iv}
                    ),
                }
            ),
        }
    )
    info = asn1_keys.EncryptedPrivateKeyInfo(
        {"encryption_algorithm": scheme, "encrypted_data": ciphertext}
    )
    return pem.armor(PEM_LABEL, info.dump())


def decrypt_private_key(data: bytes, password: str) -> PrivateKey:
    """Open a key written by encrypt_private_key; WrongPassword if the password is wrong."""
    try:
        label, _, der = pem.unarmor(data)
        asn1_keys.EncryptedPrivateKeyInfo.load(der).native  # parse fully: corruption != password
    except (ValueError, TypeError) as exc:
        raise ValueError("not a PEM encrypted PKCS#8 private key") from exc
    if label != PEM_LABEL:
        raise ValueError(f"expected {PEM_LABEL!r}, got {label!r}")
    if not password:
        raise WrongPassword("fel lösenord för den privata nyckeln")  # keys never have an empty one
    try:
        # RSA key validation costs ~90 ms for RSA-3072 per attestation. It is skipped here
        # because attest.signing verifies every signature with the certificate's public key
        # before it leaves the signer, which catches a damaged key (the danger: a faulty
        # CRT signature would leak the key) for a fraction of the cost.
        key = serialization.load_der_private_key(
            der, password=_password_bytes(password), unsafe_skip_rsa_key_validation=True
        )
    except ValueError as exc:
        # CBC padding or the decrypted DER fails to parse: either way the password is wrong.
        raise WrongPassword("fel lösenord för den privata nyckeln") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("attest keys are RSA keys")
    return key


def change_password(
    data: bytes, old_password: str, new_password: str, *, rounds: int = DEFAULT_KDF_ROUNDS
) -> bytes:
    """Re-encrypt a stored key under a new password (new salt and IV)."""
    return encrypt_private_key(decrypt_private_key(data, old_password), new_password, rounds=rounds)


def public_keys_match(key: PrivateKey, public_key: object) -> bool:
    """Whether a certificate's public key belongs to this private key."""
    return bool(key.public_key() == public_key)
