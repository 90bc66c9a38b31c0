"""An organisation's own PKI: root CA, system seal, TSA, and the attesters' certificates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping, Sequence

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from attest.pki.keys import (
    DEFAULT_KDF_ROUNDS,
    PrivateKey,
    decrypt_private_key,
    encrypt_private_key,
    generate_rsa_key,
    public_keys_match,
)
from attest.pki.profile import (
    COUNTRY,
    ActingFor,
    acting_extension,
    acting_title,
    person_name,
)

CA_YEARS = 20
SEAL_YEARS = 10
TSA_YEARS = 10  # timestamps must stay checkable long after the attesters' certificates lapse
PERSONAL_DAYS = 1095
# Certificates start a little in the past so a server whose clock runs slightly behind
# the one that issued them still accepts them.
BACKDATE = dt.timedelta(minutes=5)

# File names used by dump_org_pki/load_org_pki (e.g. under keys/<org_code>/).
CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
SEAL_CERT_FILE = "seal.pem"
SEAL_KEY_FILE = "seal-key.pem"
TSA_CERT_FILE = "tsa.pem"
TSA_KEY_FILE = "tsa-key.pem"


@dataclass(frozen=True)
class OrgPki:
    """One organisation's CA and the two certificates the system itself signs with."""

    ca_cert: x509.Certificate
    ca_key: PrivateKey
    seal_cert: x509.Certificate  # the certification signature that freezes each memo
    seal_key: PrivateKey
    tsa_cert: x509.Certificate  # the app's own RFC 3161 timestamp authority
    tsa_key: PrivateKey

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """Certificates to embed beside a leaf certificate issued by this CA."""
        return (self.ca_cert,)

    @property
    def org_name(self) -> str:
        """The O attribute of the CA certificate."""
        return _attribute(self.ca_cert.subject, NameOID.ORGANIZATION_NAME)


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def _name(common_name: str, organisation: str, title: str = "") -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, COUNTRY)]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    if title:
        attributes.append(x509.NameAttribute(NameOID.TITLE, title))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def require_utc(moment: dt.datetime) -> dt.datetime:
    """moment in UTC; naive datetimes are refused, since their zone is anyone's guess."""
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(dt.timezone.utc)


def asn1_certificate(cert: x509.Certificate) -> asn1_x509.Certificate:
    """The same certificate as asn1crypto, the form pyHanko works with."""
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _years(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def _leaf_builder(
    issuer_cert: x509.Certificate,
    subject: x509.Name,
    public_key: rsa.RSAPublicKey,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> x509.CertificateBuilder:
    if not_after > issuer_cert.not_valid_after_utc:
        raise ValueError("a certificate cannot outlive the CA that issues it")
    ca_ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
    )


def _key_usage(
    *, signing: bool = False, non_repudiation: bool = False, cert_sign: bool = False
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=non_repudiation,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def create_org_pki(
    org_name: str,
    org_code: str,
    now: dt.datetime,
    *,
    keys: tuple[PrivateKey, PrivateKey, PrivateKey] | None = None,
) -> OrgPki:
    """A new root CA for the organisation, with its seal and TSA certificates.

    ``keys`` (CA, seal, TSA) are keys made elsewhere, e.g. in an HSM (attest.custody);
    without them three software keys are generated.
    """
    start = require_utc(now) - BACKDATE
    ca_key, seal_key, tsa_key = keys or (generate_rsa_key(), generate_rsa_key(), generate_rsa_key())
    ca_name = _name(f"attest CA {org_code}", org_name)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(_years(start, CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    seal_cert = (
        _leaf_builder(
            ca_cert,
            _name(f"attest systemsigill {org_code}", org_name),
            seal_key.public_key(),
            start,
            _years(start, SEAL_YEARS),
        )
        .add_extension(_key_usage(signing=True, non_repudiation=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )

    tsa_cert = (
        _leaf_builder(
            ca_cert,
            _name(f"attest tidsstämpel {org_code}", org_name),
            tsa_key.public_key(),
            start,
            _years(start, TSA_YEARS),
        )
        .add_extension(_key_usage(signing=True), critical=True)
        # RFC 3161 §2.3: the TSA certificate carries only timeStamping, marked critical.
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return OrgPki(ca_cert, ca_key, seal_cert, seal_key, tsa_cert, tsa_key)


def issue_personal_certificate(
    pki: OrgPki,
    public_key: rsa.RSAPublicKey,
    *,
    full_name: str,
    organisation: str,
    now: dt.datetime,
    person_id: str = "",
    titles: Sequence[str] = (),
    days: int = PERSONAL_DAYS,
) -> x509.Certificate:
    """An attester's certificate for non-repudiation signing (attest.pki.profile).

    It names the person, their organisation, their person identifier and the title of
    every role they hold for attesting; a change of any of these is a new certificate.
    """
    start = require_utc(now) - BACKDATE
    not_after = min(start + dt.timedelta(days=days), pki.ca_cert.not_valid_after_utc)
    return _personal(
        pki, public_key, person_name(full_name, organisation, person_id, titles), start, not_after
    )


def issue_acting_certificate(
    pki: OrgPki,
    public_key: rsa.RSAPublicKey,
    *,
    full_name: str,
    organisation: str,
    person_id: str,
    role_code: str,
    role_title: str,
    for_person: str,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> x509.Certificate:
    """An acting substitute's (t.f.) certificate for the substitute's existing key.

    Title "t.f. <Role>", the ACTING_FOR extension naming the role and for whom
    (``for_person``: the absent person's serialNumber value, "" for anyone holding the
    role), valid exactly for the substitution's period.
    """
    if not person_id:
        raise ValueError("a t.f. certificate needs the substitute's person identifier")
    not_before, not_after = require_utc(not_before), require_utc(not_after)
    if not_after <= not_before:
        raise ValueError("a t.f. period must end after it begins")
    subject = person_name(full_name, organisation, person_id, (acting_title(role_title),))
    return _personal(
        pki,
        public_key,
        subject,
        not_before,
        min(not_after, pki.ca_cert.not_valid_after_utc),
        acting=ActingFor(person=for_person, role_code=role_code),
    )


def _personal(
    pki: OrgPki,
    public_key: rsa.RSAPublicKey,
    subject: x509.Name,
    not_before: dt.datetime,
    not_after: dt.datetime,
    *,
    acting: ActingFor | None = None,
) -> x509.Certificate:
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise TypeError("attest certificates are issued for RSA keys")
    if not _attribute(subject, NameOID.COMMON_NAME).strip():
        raise ValueError("a personal certificate needs a name")
    builder = _leaf_builder(pki.ca_cert, subject, public_key, not_before, not_after)
    builder = builder.add_extension(_key_usage(signing=True, non_repudiation=True), critical=True)
    if acting is not None:
        builder = builder.add_extension(acting_extension(acting), critical=False)
    return builder.sign(pki.ca_key, hashes.SHA256())


def certificate_name(cert: x509.Certificate) -> tuple[str, str, str]:
    """(full name, title, organisation) as written in a certificate's subject.

    cryptography decodes the subject when it is first read: a certificate taken from an
    untrusted file may carry one that does not decode. It names nobody (empty strings), so
    every check that compares names fails on it instead of the caller crashing.
    """
    try:
        subject = cert.subject
        return (
            _attribute(subject, NameOID.COMMON_NAME),
            _attribute(subject, NameOID.TITLE),
            _attribute(subject, NameOID.ORGANIZATION_NAME),
        )
    except ValueError:
        return ("", "", "")


def certificate_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def load_certificate(data: bytes) -> x509.Certificate:
    """A certificate from PEM or DER bytes."""
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def dump_org_pki(
    pki: OrgPki, passphrase: str, *, rounds: int = DEFAULT_KDF_ROUNDS
) -> dict[str, bytes]:
    """File name -> contents: PEM certificates and passphrase-encrypted PKCS#8 keys."""
    return {
        CA_CERT_FILE: certificate_pem(pki.ca_cert),
        CA_KEY_FILE: encrypt_private_key(pki.ca_key, passphrase, rounds=rounds),
        SEAL_CERT_FILE: certificate_pem(pki.seal_cert),
        SEAL_KEY_FILE: encrypt_private_key(pki.seal_key, passphrase, rounds=rounds),
        TSA_CERT_FILE: certificate_pem(pki.tsa_cert),
        TSA_KEY_FILE: encrypt_private_key(pki.tsa_key, passphrase, rounds=rounds),
    }


def load_org_pki(files: Mapping[str, bytes], passphrase: str) -> OrgPki:
    """Read what dump_org_pki wrote; WrongPassword on a wrong passphrase."""
    missing = sorted(
        {CA_CERT_FILE, CA_KEY_FILE, SEAL_CERT_FILE, SEAL_KEY_FILE, TSA_CERT_FILE, TSA_KEY_FILE}
        - set(files)
    )
    if missing:
        raise ValueError(f"missing PKI files: {', '.join(missing)}")
    pki = OrgPki(
        ca_cert=load_certificate(files[CA_CERT_FILE]),
        ca_key=decrypt_private_key(files[CA_KEY_FILE], passphrase),
        seal_cert=load_certificate(files[SEAL_CERT_FILE]),
        seal_key=decrypt_private_key(files[SEAL_KEY_FILE], passphrase),
        tsa_cert=load_certificate(files[TSA_CERT_FILE]),
        tsa_key=decrypt_private_key(files[TSA_KEY_FILE], passphrase),
    )
    # Mixed-up files would otherwise surface much later as signatures that do not verify.
    for cert, key in (
        (pki.ca_cert, pki.ca_key),
        (pki.seal_cert, pki.seal_key),
        (pki.tsa_cert, pki.tsa_key),
    ):
        if not public_keys_match(key, cert.public_key()):
            raise ValueError(f"the key does not belong to the certificate {cert.subject}")
    for cert in (pki.seal_cert, pki.tsa_cert):
        cert.verify_directly_issued_by(pki.ca_cert)
    return pki
