"""The PKCS#11 backend: the organisation's CA, seal and TSA keys inside an HSM token.

``attest keys init --org X --pkcs11`` generates the three RSA-3072 key pairs in the token
named by ATTEST_PKCS11_TOKEN (private halves sensitive and not extractable, labelled
``attest-<CODE>-ca``, ``-seal``, ``-tsa``), issues the certificates with the CA key in the
token, and writes the certificates and custody.json (backend, token and labels; no secret)
to the organisation's key folder. Later loads log in with ATTEST_PKCS11_PIN and sign
there: certificates and CRLs through cryptography's builders (TokenRsaKey.sign), the
seal through pyHanko's PKCS11Signer, timestamps through the in-process TSA.

One logged-in session per token and process, shared by the keys under a lock: PKCS#11
allows one operation at a time per session, and a second login to a token the process
is logged in to is refused by the module.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping, Sequence

import pkcs11
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11 import exceptions as p11_errors
from pyhanko.sign.pkcs11 import PKCS11Signer
from pyhanko.sign.signers import Signer

from attest.custody import CUSTODY_FILE, PKCS11, HardwareKey, KeyUnavailable
from attest.i18n import _l
from attest.pki import OrgPki
from attest.pki.ca import (
    CA_CERT_FILE,
    SEAL_CERT_FILE,
    TSA_CERT_FILE,
    asn1_certificate,
    certificate_pem,
    create_org_pki,
    load_certificate,
)
from attest.pki.keys import RSA_KEY_SIZE, RSA_PUBLIC_EXPONENT

__all__ = ["Pkcs11OrgCustody", "TokenAccess", "TokenRsaKey", "key_label", "token_session"]

ROLES = ("ca", "seal", "tsa")
_MECHANISMS = {
    "sha256": Mechanism.SHA256_RSA_PKCS,
    "sha384": Mechanism.SHA384_RSA_PKCS,
    "sha512": Mechanism.SHA512_RSA_PKCS,
}
_PIN_ERRORS = (
    p11_errors.PinIncorrect,
    p11_errors.PinInvalid,
    p11_errors.PinLenRange,
    p11_errors.PinExpired,
    p11_errors.UserPinNotInitialized,
)


def key_label(org_code: str, role: str) -> str:
    """The label of an organisation's key in the token: attest-<CODE>-ca/-seal/-tsa."""
    return f"attest-{org_code}-{role}"


class _TokenSession:
    """A logged-in session on one token, and the lock that serialises its operations."""

    def __init__(self, session: Any, token_label: str, pin: str) -> None:
        self.session = session
        self.token_label = token_label
        self.pin = pin
        self.lock = threading.RLock()


_libraries: dict[str, Any] = {}
_sessions: dict[tuple[int, str, str], _TokenSession] = {}
# A PIN the token refused, with the refusal: never tried again by this process (an HSM
# locks its PIN after a few wrong ones, and /healthz and every request would try it).
_refused: dict[tuple[int, str, str, str], KeyUnavailable] = {}
_sessions_lock = threading.Lock()


def _library(module: str) -> Any:
    # C_Initialize once per module and process: a second lib() of the same module is refused.
    found = _libraries.get(module)
    if found is None:
        if not os.path.isfile(module):
            raise KeyUnavailable(
                _l(
                    "PKCS#11-modulen %(module)s finns inte (ATTEST_PKCS11_MODULE). "
                    "Inget signerades.",
                    module=module,
                )
            )
        try:
            found = pkcs11.lib(module)
        except p11_errors.PKCS11Error as exc:
            raise KeyUnavailable(
                _l(
                    "PKCS#11-modulen %(module)s kan inte läsas in (%(error)s). Inget signerades.",
                    module=module,
                    error=exc,
                )
            ) from None
        _libraries[module] = found
    return found


def token_session(module: str, token_label: str, pin: str) -> _TokenSession:
    """This process's logged-in session on the token; KeyUnavailable in Swedish if the
    module, the token or the PIN is wrong."""
    key = (os.getpid(), module, token_label)
    with _sessions_lock:
        found = _sessions.get(key)
        if found is not None and found.pin == pin:
            return found
        if found is not None:
            # Another PIN is configured now: log out, and let the token judge the new one.
            _sessions.pop(key)
            _close(found)
        refused = _refused.get((*key, pin))
        if refused is not None:
            raise KeyUnavailable(refused.message)
        library = _library(module)
        try:
            token = library.get_token(token_label=token_label)
        except p11_errors.NoSuchToken:
            raise KeyUnavailable(
                _l(
                    "Det finns ingen token med namnet ”%(token)s” (ATTEST_PKCS11_TOKEN) i "
                    "%(module)s. Är HSM:en ansluten? Inget signerades.",
                    token=token_label,
                    module=module,
                )
            ) from None
        except p11_errors.PKCS11Error as exc:
            raise KeyUnavailable(
                _l(
                    "Token ”%(token)s” kan inte nås (%(error)s). Inget signerades.",
                    token=token_label,
                    error=type(exc).__name__,
                )
            ) from None
        try:
            session = token.open(rw=True, user_pin=pin)
        except p11_errors.PinLocked:
            raise KeyUnavailable(
                _l(
                    "PIN-koden för token ”%(token)s” är spärrad. HSM:ens administratör måste "
                    "låsa upp den. Inget signerades.",
                    token=token_label,
                )
            ) from None
        except _PIN_ERRORS:
            refusal = KeyUnavailable(
                _l(
                    "PIN-koden för token ”%(token)s” stämmer inte (ATTEST_PKCS11_PIN). Inget "
                    "signerades, och samma PIN-kod prövas inte igen förrän den ändrats.",
                    token=token_label,
                )
            )
            _refused[(*key, pin)] = refusal
            raise KeyUnavailable(refusal.message) from None
        except p11_errors.PKCS11Error as exc:
            raise KeyUnavailable(
                _l(
                    "Token ”%(token)s” kan inte öppnas (%(error)s). Inget signerades.",
                    token=token_label,
                    error=type(exc).__name__,
                )
            ) from None
        found = _TokenSession(session, token_label, pin)
        _sessions[key] = found
        return found


def _close(token_session: _TokenSession) -> None:
    with token_session.lock:
        try:
            token_session.session.close()
        except p11_errors.PKCS11Error:
            pass  # a token that went away has closed it already


def close_sessions() -> None:
    """Log out of every token this process is logged in to (tests, shutdown)."""
    with _sessions_lock:
        for found in _sessions.values():
            _close(found)
        _sessions.clear()
        _refused.clear()


@dataclass(frozen=True)
class TokenAccess:
    """How to reach a token: the module, the token's label and the user PIN."""

    module: str
    token_label: str
    pin: str = field(repr=False)

    def session(self) -> _TokenSession:
        return token_session(self.module, self.token_label, self.pin)


def _private_key_handle(token: _TokenSession, label: str) -> Any:
    try:
        with token.lock:
            return token.session.get_key(
                object_class=ObjectClass.PRIVATE_KEY, key_type=KeyType.RSA, label=label
            )
    except p11_errors.NoSuchKey:
        raise KeyUnavailable(
            _l(
                "Nyckeln %(key)s finns inte i token ”%(token)s”. Inget signerades.",
                key=label,
                token=token.token_label,
            )
        ) from None
    except p11_errors.PKCS11Error as exc:
        raise KeyUnavailable(
            _l(
                "Nyckeln %(key)s i token ”%(token)s” kan inte användas (%(error)s). "
                "Inget signerades.",
                key=label,
                token=token.token_label,
                error=type(exc).__name__,
            )
        ) from None


class TokenRsaKey(HardwareKey):
    """An RSA private key in a PKCS#11 token, usable where cryptography wants a key.

    It holds the way to the token and the key's label, not a session: the key is looked
    up again in whatever session the process has when it signs (after a new login, e.g.
    a changed PIN, the old session's handles are gone).
    """

    def __init__(self, access: TokenAccess, label: str, public_key: rsa.RSAPublicKey) -> None:
        self._access = access
        self._label = label
        self._public_key = public_key
        self._bound: tuple[_TokenSession, Any] | None = None

    @property
    def label(self) -> str:
        return self._label

    @property
    def description(self) -> str:
        return f"PKCS#11-token ”{self._access.token_label}”, nyckel {self._label}"

    @property
    def key_size(self) -> int:
        return self._public_key.key_size

    def public_key(self) -> rsa.RSAPublicKey:
        return self._public_key

    def _handle(self) -> tuple[_TokenSession, Any]:
        token = self._access.session()
        bound = self._bound
        if bound is None or bound[0] is not token:
            bound = (token, _private_key_handle(token, self._label))
            self._bound = bound
        return bound

    def sign(self, data: bytes, padding: object, algorithm: object) -> bytes:
        if not isinstance(padding, asym_padding.PKCS1v15) or not isinstance(
            algorithm, hashes.HashAlgorithm
        ):
            raise TypeError("attest's token keys sign PKCS#1 v1.5 over the whole message")
        mechanism = _MECHANISMS.get(algorithm.name)
        if mechanism is None:
            raise TypeError(f"unsupported digest {algorithm.name}")
        token, handle = self._handle()
        try:
            with token.lock:
                signature = bytes(handle.sign(data, mechanism=mechanism))
        except p11_errors.PKCS11Error as exc:
            raise KeyUnavailable(
                f"{self.description} kunde inte signera ({type(exc).__name__}). "
                "Inget signerades."
            ) from None
        try:  # a device can fail too; a bad signature must not leave here
            self._public_key.verify(signature, data, asym_padding.PKCS1v15(), algorithm)
        except InvalidSignature:
            raise KeyUnavailable(f"{self.description} gav en ogiltig signatur.") from None
        return signature

    def pyhanko_signer(
        self, certificate: x509.Certificate, chain: Sequence[x509.Certificate]
    ) -> Signer:
        if certificate.public_key() != self._public_key:
            raise ValueError("the certificate is not the token key's")
        return _LockedPkcs11Signer(
            self._access.session(),
            key_label=self._label,
            signing_cert=asn1_certificate(certificate),
            ca_chain=[asn1_certificate(c) for c in chain],
        )


class _LockedPkcs11Signer(PKCS11Signer):
    """pyHanko's PKCS11Signer on the shared session, one operation at a time."""

    def __init__(self, token_session: _TokenSession, **kwargs: Any) -> None:
        super().__init__(token_session.session, **kwargs)
        self._token_session = token_session
        # The key's handle is looked up now, under the lock: pyHanko would otherwise do it
        # on first use, outside any lock, from whichever thread asks for the certificate.
        with token_session.lock:
            try:
                self._load_objects()
            except p11_errors.PKCS11Error as exc:
                raise KeyUnavailable(
                    _l(
                        "Nyckeln %(key)s i token ”%(token)s” kan inte användas (%(error)s). "
                        "Inget signerades.",
                        key=self.key_label,
                        token=token_session.token_label,
                        error=exc,
                    )
                ) from None

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if dry_run:
            return await super().async_sign_raw(data, digest_algorithm, dry_run=True)
        # Held across the await: each attest signing runs on an event loop of its own
        # (attest.signing.timestamps.run_sync), and the lock is reentrant for that thread.
        with self._token_session.lock:
            try:
                return await super().async_sign_raw(data, digest_algorithm)
            except p11_errors.PKCS11Error as exc:
                raise KeyUnavailable(
                    f"PKCS#11-token ”{self._token_session.token_label}”, nyckel "
                    f"{self.key_label} kunde inte signera ({type(exc).__name__}). "
                    "Inget signerades."
                ) from None


class Pkcs11OrgCustody:
    """Organisation keys generated in, and used from, one PKCS#11 token."""

    name: ClassVar[str] = PKCS11

    def __init__(
        self, module: str, token_label: str, pin: str, *, key_bits: int = RSA_KEY_SIZE
    ) -> None:
        self.access = TokenAccess(module, token_label, pin)
        self.token_label = token_label
        self.key_bits = key_bits

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Pkcs11OrgCustody:
        missing = [
            f"ATTEST_{name}"
            for name in ("PKCS11_MODULE", "PKCS11_TOKEN", "PKCS11_PIN")
            if not config.get(name)
        ]
        if missing:
            raise KeyUnavailable(
                _l(
                    "%(missing)s saknas: organisationens nycklar ligger i en HSM (PKCS#11) som "
                    "inte är konfigurerad. Inget signerades.",
                    missing=", ".join(missing),
                )
            )
        return cls(
            config["PKCS11_MODULE"],
            config["PKCS11_TOKEN"],
            config["PKCS11_PIN"],
            key_bits=int(config.get("PKCS11_KEY_BITS") or RSA_KEY_SIZE),
        )

    def create(
        self, org_name: str, org_code: str, now: dt.datetime
    ) -> tuple[OrgPki, dict[str, bytes]]:
        token = self.access.session()
        labels = {role: key_label(org_code, role) for role in ROLES}
        with token.lock:
            taken = [
                label
                for label in labels.values()
                if list(token.session.get_objects({Attribute.LABEL: label}))
            ]
            if taken:
                raise KeyUnavailable(
                    _l(
                        "Token ”%(token)s” har redan nycklar med namnen %(keys)s. Ta bort dem i "
                        "HSM:en först, eller använd en annan token.",
                        token=self.token_label,
                        keys=", ".join(taken),
                    )
                )
            keys = {role: self._generate(token, label) for role, label in labels.items()}
        pki = create_org_pki(org_name, org_code, now, keys=(keys["ca"], keys["seal"], keys["tsa"]))
        record = {
            "backend": PKCS11,
            "token": self.token_label,
            "keys": labels,
        }
        files = {
            CA_CERT_FILE: certificate_pem(pki.ca_cert),
            SEAL_CERT_FILE: certificate_pem(pki.seal_cert),
            TSA_CERT_FILE: certificate_pem(pki.tsa_cert),
            CUSTODY_FILE: json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8"),
        }
        return pki, files

    def _generate(self, token: _TokenSession, label: str) -> TokenRsaKey:
        try:
            public, private = token.session.generate_keypair(
                KeyType.RSA,
                self.key_bits,
                label=label,
                id=os.urandom(16),
                store=True,
                public_template={
                    Attribute.TOKEN: True,
                    Attribute.VERIFY: True,
                    Attribute.ENCRYPT: False,
                    Attribute.WRAP: False,
                    Attribute.PUBLIC_EXPONENT: RSA_PUBLIC_EXPONENT.to_bytes(3, "big"),
                },
                private_template={
                    Attribute.TOKEN: True,
                    Attribute.PRIVATE: True,
                    # Generated here and never to leave: not readable, not exportable.
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.SIGN: True,
                    Attribute.DECRYPT: False,
                    Attribute.UNWRAP: False,
                },
            )
        except p11_errors.PKCS11Error as exc:
            raise KeyUnavailable(
                f"Token ”{self.token_label}” kunde inte skapa nyckeln {label} "
                f"({type(exc).__name__})."
            ) from None
        public_key = rsa.RSAPublicNumbers(
            int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"),
            int.from_bytes(public[Attribute.MODULUS], "big"),
        ).public_key()
        return TokenRsaKey(self.access, label, public_key)

    def load(self, org_code: str, files: Mapping[str, bytes]) -> OrgPki:
        record = json.loads(files[CUSTODY_FILE].decode("utf-8"))
        if record.get("token") != self.token_label:
            raise KeyUnavailable(
                _l(
                    "Organisationens nycklar (%(org)s) ligger i token ”%(stored)s”, men "
                    "ATTEST_PKCS11_TOKEN är ”%(token)s”. Inget signerades.",
                    org=org_code,
                    stored=record.get("token"),
                    token=self.token_label,
                )
            )
        certificates = {
            role: load_certificate(files[name])
            for role, name in (
                ("ca", CA_CERT_FILE),
                ("seal", SEAL_CERT_FILE),
                ("tsa", TSA_CERT_FILE),
            )
        }
        token = self.access.session()
        keys = {role: self._find(token, record["keys"][role], certificates[role]) for role in ROLES}
        for role in ("seal", "tsa"):
            certificates[role].verify_directly_issued_by(certificates["ca"])
        return OrgPki(
            ca_cert=certificates["ca"],
            ca_key=keys["ca"],
            seal_cert=certificates["seal"],
            seal_key=keys["seal"],
            tsa_cert=certificates["tsa"],
            tsa_key=keys["tsa"],
        )

    def _find(self, token: _TokenSession, label: str, certificate: x509.Certificate) -> TokenRsaKey:
        public_key = certificate.public_key()
        assert isinstance(public_key, rsa.RSAPublicKey)
        handle = _private_key_handle(token, label)
        with token.lock:
            modulus = int.from_bytes(handle[Attribute.MODULUS], "big")
        if modulus != public_key.public_numbers().n:
            raise KeyUnavailable(
                _l(
                    "Nyckeln %(key)s i token ”%(token)s” hör inte till organisationens "
                    "certifikat. Inget signerades.",
                    key=label,
                    token=self.token_label,
                )
            )
        return TokenRsaKey(self.access, label, public_key)
