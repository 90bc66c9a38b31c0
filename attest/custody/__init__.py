"""Key custody: where the private keys that sign are kept, behind one interface.

Two things sign, and each asks its custody for what it needs:

- the organisation (its CA issues certificates and CRLs, its system seal certifies and
  closes each memo and anchors the audit log, its TSA stamps every signature):
  ``OrgCustody.create`` makes the three keys and certificates where the backend keeps
  them, ``OrgCustody.load`` opens them again. Either way the result is an ``OrgPki``
  whose ``ca_key``, ``seal_key`` and ``tsa_key`` are cryptography ``RSAPrivateKey``
  objects, so cryptography's certificate and CRL builders sign with them whatever holds
  them; a key in an HSM is an ``HardwareKey`` (it signs inside the token and never
  exports itself);
- a person's row: ``PersonalCustody.identity`` gives the ``SigningIdentity`` (a pyHanko
  ``Signer`` and the certificates) that signs the row, once the person has proved it is
  them (their password, or a backend's own way).

Backends: ``software`` (attest.custody.software: encrypted key files, today's default)
and ``pkcs11`` (attest.custody.pkcs11: the organisation's keys generated in a token;
SoftHSM2 in the tests). docs/custody.md describes the interface for new backends.
"""

from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, ClassVar, Mapping, Protocol, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import AsymmetricPadding
from pyhanko.sign.signers import Signer

from attest.errors import Invalid
from attest.pki import OrgPki
from attest.signing.sign import KeySigner
from attest.signing.timestamps import InProcessTimeStamper, TimeStamper

if TYPE_CHECKING:
    from attest.users.models import User

__all__ = [
    "CUSTODY_FILE",
    "HardwareKey",
    "KeyUnavailable",
    "OrgCustody",
    "PersonalCustody",
    "SOFTWARE",
    "PKCS11",
    "SigningIdentity",
    "key_identity",
    "org_timestamper",
    "seal_identity",
]

SOFTWARE = "software"
PKCS11 = "pkcs11"
# Written beside the certificates of an organisation whose keys are not in files: which
# backend holds them and under which names (JSON; no secret).
CUSTODY_FILE = "custody.json"


class KeyUnavailable(Invalid):
    """The keys cannot be used now: the token is missing, the PIN is wrong, a key is gone.

    The message says in Swedish what an administrator has to fix; nothing was signed.
    """


@dataclass(frozen=True)
class SigningIdentity:
    """What makes one CMS/PAdES signature: pyHanko's signer and the certificates it uses."""

    signer: Signer
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]


class HardwareKey(rsa.RSAPrivateKey, abc.ABC):
    """A private key held by a device: it signs there and never exports itself.

    cryptography's builders call ``sign`` (certificates, CRLs), and so does the in-process
    TSA; PAdES signatures go through the device's own pyHanko signer (``pyhanko_signer``).
    """

    @abc.abstractmethod
    def pyhanko_signer(
        self, certificate: x509.Certificate, chain: Sequence[x509.Certificate]
    ) -> Signer:
        """pyHanko's signer for this key (e.g. its PKCS11Signer)."""

    @property
    @abc.abstractmethod
    def description(self) -> str:
        """Where the key is, for messages: "PKCS#11-token X, nyckel Y"."""

    # What a device key cannot do: hand out its private half.
    def private_numbers(self) -> rsa.RSAPrivateNumbers:
        raise TypeError(f"the private key stays in its device ({self.description})")

    def private_bytes(
        self,
        encoding: serialization.Encoding,
        format: serialization.PrivateFormat,
        encryption_algorithm: serialization.KeySerializationEncryption,
    ) -> bytes:
        raise TypeError(f"the private key stays in its device ({self.description})")

    def decrypt(self, ciphertext: bytes, padding: AsymmetricPadding) -> bytes:
        raise TypeError("attest's keys only sign")

    def __copy__(self) -> HardwareKey:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> HardwareKey:
        return self


def key_identity(
    key: rsa.RSAPrivateKey, certificate: x509.Certificate, chain: Sequence[x509.Certificate]
) -> SigningIdentity:
    """The identity of a key, in software or in a device."""
    if isinstance(key, HardwareKey):
        signer: Signer = key.pyhanko_signer(certificate, chain)
    else:
        signer = KeySigner(key, certificate, chain)
    return SigningIdentity(signer, certificate, tuple(chain))


def seal_identity(pki: OrgPki) -> SigningIdentity:
    """The organisation's system seal: certification, closing seal, audit anchors."""
    return key_identity(pki.seal_key, pki.seal_cert, pki.chain)


def org_timestamper(pki: OrgPki, now: Callable[[], dt.datetime]) -> TimeStamper:
    """The organisation's own RFC 3161 TSA in this process, signing with its TSA key."""
    return InProcessTimeStamper(pki.tsa_key, pki.tsa_cert, pki.chain, now)


class OrgCustody(Protocol):
    """Where an organisation's CA, seal and TSA keys live.

    ``create`` makes the keys there and returns the PKI with the files to keep in the
    organisation's key folder (certificates, and what the backend needs to find its keys
    again: encrypted key files, or CUSTODY_FILE); ``load`` opens them from those files.
    Both raise KeyUnavailable (Swedish) when the keys cannot be reached.
    """

    name: ClassVar[str]

    def create(
        self, org_name: str, org_code: str, now: dt.datetime
    ) -> tuple[OrgPki, dict[str, bytes]]: ...

    def load(self, org_code: str, files: Mapping[str, bytes]) -> OrgPki: ...


class PersonalCustody(Protocol):
    """Where a person's signing key lives, and how they unlock it for one row.

    ``identity`` returns the signer for the person's row at ``at``, with the certificate
    the row shows: their role certificate, or their t.f. certificate when they sign for
    the substitution ``substitution_id``. ``secret`` is what the person typed (None for a
    backend that asks in its own way). Raises attest.pki.WrongPassword when the secret is
    wrong, Invalid/KeyUnavailable (Swedish) when the person cannot sign now.
    """

    name: ClassVar[str]

    def identity(
        self, user: User, secret: str | None, *, substitution_id: int | None, at: dt.datetime
    ) -> SigningIdentity: ...
