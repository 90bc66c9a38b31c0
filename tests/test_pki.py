"""The organisation PKI and the attesters' keys: certificates, encrypted storage, CRLs."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import unicodedata

import pytest
from asn1crypto import core as asn1_core
from asn1crypto import keys as asn1_keys
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from attest.pki import (
    DEFAULT_KDF_ROUNDS,
    OrgPki,
    WrongPassword,
    build_crl,
    certificate_name,
    change_password,
    decrypt_private_key,
    dump_org_pki,
    encrypt_private_key,
    issue_acting_certificate,
    issue_personal_certificate,
    load_org_pki,
    oids,
)
from attest.pki.profile import ActingFor, read_person
from tests.support.signing import FAST_ROUNDS, ISSUED_AT, ORGANISATION, make_pki, pooled_key

pytestmark = pytest.mark.once  # uses no database: the SQLite pass runs it

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def pki() -> OrgPki:
    return make_pki()


@pytest.fixture(scope="module")
def personal_key() -> rsa.RSAPrivateKey:
    return pooled_key()


def _ext(cert: x509.Certificate, kind: type) -> x509.Extension:
    return cert.extensions.get_extension_for_class(kind)


# --- Certificates -----------------------------------------------------------------------


def test_root_ca_is_a_self_signed_ca_for_twenty_years(pki: OrgPki) -> None:
    ca = pki.ca_cert
    assert ca.subject == ca.issuer
    ca.verify_directly_issued_by(ca)
    constraints = _ext(ca, x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    usage = _ext(ca, x509.KeyUsage)
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
    assert not usage.value.digital_signature
    years = (ca.not_valid_after_utc - ca.not_valid_before_utc).days / 365.25
    assert 19.9 < years < 20.1
    public_key = ca.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    assert public_key.key_size == 3072
    assert ca.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "SE"


def test_seal_and_tsa_are_issued_by_the_ca(pki: OrgPki) -> None:
    for cert in (pki.seal_cert, pki.tsa_cert):
        cert.verify_directly_issued_by(pki.ca_cert)
        assert not _ext(cert, x509.BasicConstraints).value.ca
        aki = _ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier
        assert aki == _ext(pki.ca_cert, x509.SubjectKeyIdentifier).value.digest
        assert cert.not_valid_after_utc <= pki.ca_cert.not_valid_after_utc
    assert certificate_name(pki.seal_cert)[0] == "attest systemsigill EÅV"
    seal_usage = _ext(pki.seal_cert, x509.KeyUsage).value
    assert seal_usage.digital_signature and seal_usage.content_commitment
    tsa_eku = _ext(pki.tsa_cert, x509.ExtendedKeyUsage)
    assert tsa_eku.critical and list(tsa_eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert _ext(pki.tsa_cert, x509.KeyUsage).value.digital_signature


def test_names_are_utf8_with_swedish_letters(pki: OrgPki) -> None:
    assert pki.org_name == "Enskede-Årsta-Vantörs stadsdelsförvaltning"
    subject = asn1_x509.Certificate.load(
        pki.seal_cert.public_bytes(serialization.Encoding.DER)
    ).subject
    for rdn in subject.chosen:
        for attribute in rdn:
            if attribute["type"].native in ("common_name", "organization_name"):
                assert attribute["value"].name == "utf8_string"


PERSON = "0d5e7a3c-2b1f-4c8e-9a6d-3f2e1b0c9d8a"


def test_personal_certificate_names_the_attester(pki: OrgPki, personal_key) -> None:
    cert = issue_personal_certificate(
        pki,
        personal_key.public_key(),
        full_name="Jenny Johansson",
        organisation=ORGANISATION.name,
        person_id=PERSON,
        titles=("Avdelningschef",),
        now=ISSUED_AT,
    )
    assert certificate_name(cert) == ("Jenny Johansson", "Avdelningschef", ORGANISATION.name)
    assert cert.subject.get_attributes_for_oid(NameOID.TITLE)[0].value == "Avdelningschef"
    serial = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    assert [a.value for a in serial] == [f"attest:{PERSON}"]
    person = read_person(cert)
    assert (person.name, person.person, person.titles, person.acting) == (
        "Jenny Johansson",
        f"attest:{PERSON}",
        ("Avdelningschef",),
        None,
    )
    assert cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "SE"
    cert.verify_directly_issued_by(pki.ca_cert)
    usage = _ext(cert, x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    assert (
        _ext(cert, x509.SubjectKeyIdentifier).value.digest
        == x509.SubjectKeyIdentifier.from_public_key(personal_key.public_key()).digest
    )
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == dt.timedelta(days=1095)
    assert cert.not_valid_before_utc <= ISSUED_AT


def test_personal_certificates_get_random_serials(pki: OrgPki, personal_key) -> None:
    serials = {
        issue_personal_certificate(
            pki,
            personal_key.public_key(),
            full_name="Anders Carstorp",
            titles=("Stadsdelsdirektör",),
            organisation=ORGANISATION.name,
            now=ISSUED_AT,
        ).serial_number
        for _ in range(3)
    }
    assert len(serials) == 3 and all(s.bit_length() > 100 for s in serials)


def test_personal_certificate_refuses_naive_time(pki: OrgPki, personal_key) -> None:
    with pytest.raises(ValueError):
        issue_personal_certificate(
            pki,
            personal_key.public_key(),
            full_name="A",
            titles=("B",),
            organisation="C",
            now=dt.datetime(2024, 8, 1),
        )


def test_a_certificate_lists_every_attesting_title_in_order(pki: OrgPki, personal_key) -> None:
    cert = issue_personal_certificate(
        pki,
        personal_key.public_key(),
        full_name="Maria Lind",
        organisation=ORGANISATION.name,
        person_id=PERSON,
        titles=("Avdelningschef", "Ekonomichef"),
        now=ISSUED_AT,
    )
    person = read_person(cert)
    assert person.titles == ("Avdelningschef", "Ekonomichef")
    assert person.title_for("Ekonomichef") == "Ekonomichef"
    assert person.title_for("Stadsdelsdirektör") is None
    # Twin: a t.f. title is not a role title, nor the other way round.
    assert person.title_for("t.f. Avdelningschef") is None


def test_an_acting_certificate_names_the_role_whom_and_the_period(pki: OrgPki, personal_key):
    starts = dt.datetime(2024, 6, 30, 22, 0, tzinfo=UTC)
    ends = dt.datetime(2024, 7, 31, 21, 59, 59, tzinfo=UTC)
    cert = issue_acting_certificate(
        pki,
        personal_key.public_key(),
        full_name="Maria Lind",
        organisation=ORGANISATION.name,
        person_id=PERSON,
        role_code="stadsdelsdirektor",
        role_title="Stadsdelsdirektör",
        for_person="attest:7370738f-1675-5b0a-b1e6-214cf78ace1f",
        not_before=starts,
        not_after=ends,
    )
    cert.verify_directly_issued_by(pki.ca_cert)
    assert (cert.not_valid_before_utc, cert.not_valid_after_utc) == (starts, ends)
    person = read_person(cert)
    assert person.titles == ("t.f. Stadsdelsdirektör",)
    assert person.acting == ActingFor(
        "attest:7370738f-1675-5b0a-b1e6-214cf78ace1f", "stadsdelsdirektor"
    )
    assert person.title_for("Stadsdelsdirektör") == "t.f. Stadsdelsdirektör"
    assert person.title_for("Avdelningschef") is None
    extension = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(oids.ACTING_FOR))
    assert not extension.critical
    # The extension is plain DER: SEQUENCE { [0] forPerson, roleCode }.
    der = extension.value.value
    parsed = asn1_core.Sequence.load(der)
    assert parsed[1].native == "stadsdelsdirektor"
    usage = _ext(cert, x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment


def test_an_acting_certificate_for_the_role_names_no_person(pki: OrgPki, personal_key) -> None:
    cert = issue_acting_certificate(
        pki,
        personal_key.public_key(),
        full_name="Maria Lind",
        organisation=ORGANISATION.name,
        person_id=PERSON,
        role_code="avdelningschef",
        role_title="Avdelningschef",
        for_person="",
        not_before=ISSUED_AT,
        not_after=ISSUED_AT + dt.timedelta(days=5),
    )
    assert read_person(cert).acting == ActingFor("", "avdelningschef")


def test_acting_certificates_refuse_an_empty_period_or_no_person(pki: OrgPki, personal_key):
    common = dict(
        full_name="Maria Lind",
        organisation=ORGANISATION.name,
        role_code="avdelningschef",
        role_title="Avdelningschef",
        for_person="",
    )
    with pytest.raises(ValueError):
        issue_acting_certificate(
            pki,
            personal_key.public_key(),
            person_id=PERSON,
            not_before=ISSUED_AT,
            not_after=ISSUED_AT,
            **common,
        )
    with pytest.raises(ValueError):
        issue_acting_certificate(
            pki,
            personal_key.public_key(),
            person_id="",
            not_before=ISSUED_AT,
            not_after=ISSUED_AT + dt.timedelta(days=1),
            **common,
        )


def test_private_oids_live_under_the_uuid_arc_and_are_defined_once() -> None:
    import pathlib
    import re as regex

    assert oids.ACTING_FOR.startswith("2.25.") and oids.TSA_POLICY.startswith("2.25.")
    assert oids.ACTING_FOR != oids.TSA_POLICY
    root = pathlib.Path(__file__).resolve().parent.parent / "attest"
    defined = [
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if regex.search(r'"2\.25\.|uuid_oid\(', path.read_text(encoding="utf-8"))
    ]
    assert defined == ["pki/oids.py"]


def test_personal_key_is_rsa_3072(personal_key) -> None:
    assert isinstance(personal_key, rsa.RSAPrivateKey) and personal_key.key_size == 3072


# --- Encrypted private keys -------------------------------------------------------------


def _pbes2_parameters(stored: bytes) -> dict:
    label, _, der = pem.unarmor(stored)
    assert label == "ENCRYPTED PRIVATE KEY"
    info = asn1_keys.EncryptedPrivateKeyInfo.load(der)
    algorithm = info["encryption_algorithm"]
    assert algorithm["algorithm"].native == "pbes2"
    kdf = algorithm["parameters"]["key_derivation_func"]
    scheme = algorithm["parameters"]["encryption_scheme"]
    assert kdf["algorithm"].native == "pbkdf2"
    return {
        "iterations": kdf["parameters"]["iteration_count"].native,
        "prf": kdf["parameters"]["prf"]["algorithm"].native,
        "salt": kdf["parameters"]["salt"].native,
        "cipher": scheme["algorithm"].native,
    }


def test_stored_key_is_pkcs8_with_the_default_strong_kdf(personal_key) -> None:
    stored = encrypt_private_key(personal_key, "korrekt häst batteri")
    assert stored.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    params = _pbes2_parameters(stored)
    assert DEFAULT_KDF_ROUNDS >= 600_000
    assert params["iterations"] == DEFAULT_KDF_ROUNDS
    assert params["prf"] == "sha256"
    assert params["cipher"] == "aes256_cbc"
    assert len(params["salt"]) == 16
    key = decrypt_private_key(stored, "korrekt häst batteri")
    assert key.private_numbers() == personal_key.private_numbers()


def test_stored_key_opens_with_openssl(personal_key, tmp_path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    path = tmp_path / "key.pem"
    path.write_bytes(encrypt_private_key(personal_key, "lösen", rounds=FAST_ROUNDS))
    result = subprocess.run(
        ["openssl", "pkey", "-in", str(path), "-passin", "pass:lösen", "-pubout"],
        capture_output=True,
        check=True,
    )
    assert result.stdout == personal_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_rounds_can_be_lowered_and_each_encryption_is_salted(personal_key) -> None:
    first = encrypt_private_key(personal_key, "lösen", rounds=FAST_ROUNDS)
    second = encrypt_private_key(personal_key, "lösen", rounds=FAST_ROUNDS)
    assert _pbes2_parameters(first)["iterations"] == FAST_ROUNDS
    assert first != second
    assert _pbes2_parameters(first)["salt"] != _pbes2_parameters(second)["salt"]


def test_twin_wrong_password_raises_wrong_password(personal_key) -> None:
    stored = encrypt_private_key(personal_key, "Rätt lösenord", rounds=FAST_ROUNDS)
    for wrong in ("rätt lösenord", "Rätt lösenord ", "", "Ratt losenord"):
        with pytest.raises(WrongPassword):
            decrypt_private_key(stored, wrong)


def test_password_is_unicode_normalised(personal_key) -> None:
    composed = unicodedata.normalize("NFC", "Åsa ängel")
    decomposed = unicodedata.normalize("NFD", "Åsa ängel")
    assert composed != decomposed
    stored = encrypt_private_key(personal_key, composed, rounds=FAST_ROUNDS)
    assert decrypt_private_key(stored, decomposed).key_size == 3072


def test_corrupt_or_unencrypted_data_is_not_a_password_problem(personal_key) -> None:
    stored = encrypt_private_key(personal_key, "lösen", rounds=FAST_ROUNDS)
    unencrypted = personal_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    for data in (b"garbage", stored[:200], unencrypted):
        with pytest.raises(ValueError) as caught:
            decrypt_private_key(data, "lösen")
        assert not isinstance(caught.value, WrongPassword)


def test_empty_password_is_refused(personal_key) -> None:
    with pytest.raises(ValueError):
        encrypt_private_key(personal_key, "", rounds=FAST_ROUNDS)


def test_change_password_re_encrypts(personal_key) -> None:
    stored = encrypt_private_key(personal_key, "gammalt", rounds=FAST_ROUNDS)
    changed = change_password(stored, "gammalt", "nytt lösenord", rounds=FAST_ROUNDS)
    assert (
        decrypt_private_key(changed, "nytt lösenord").private_numbers()
        == personal_key.private_numbers()
    )
    with pytest.raises(WrongPassword):
        decrypt_private_key(changed, "gammalt")
    with pytest.raises(WrongPassword):
        change_password(stored, "fel", "nytt lösenord", rounds=FAST_ROUNDS)


# --- Stored organisation PKI ------------------------------------------------------------


def test_org_pki_round_trips_with_encrypted_keys(pki: OrgPki) -> None:
    files = dump_org_pki(pki, "maskinlösen", rounds=FAST_ROUNDS)
    for name, data in files.items():
        # (spelled in two parts so a scan for committed keys does not take this line for one)
        assert b"BEGIN " + b"PRIVATE KEY" not in data and b"BEGIN RSA " + b"PRIVATE" not in data
        if name.endswith("-key.pem"):
            assert data.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    loaded = load_org_pki(files, "maskinlösen")
    assert loaded.ca_cert == pki.ca_cert and loaded.tsa_cert == pki.tsa_cert
    assert loaded.seal_key.private_numbers() == pki.seal_key.private_numbers()
    assert loaded.ca_key.private_numbers() == pki.ca_key.private_numbers()


def test_twin_org_pki_with_wrong_passphrase_or_mixed_files(pki: OrgPki) -> None:
    files = dump_org_pki(pki, "maskinlösen", rounds=FAST_ROUNDS)
    with pytest.raises(WrongPassword):
        load_org_pki(files, "fel")
    mixed = dict(files)
    mixed["seal-key.pem"], mixed["tsa-key.pem"] = files["tsa-key.pem"], files["seal-key.pem"]
    with pytest.raises(ValueError, match="does not belong"):
        load_org_pki(mixed, "maskinlösen")
    with pytest.raises(ValueError, match="missing"):
        load_org_pki({k: v for k, v in files.items() if k != "ca.pem"}, "maskinlösen")


# --- CRLs -------------------------------------------------------------------------------


def test_crl_is_signed_by_the_ca_and_lists_revocations(pki: OrgPki, personal_key) -> None:
    cert = issue_personal_certificate(
        pki,
        personal_key.public_key(),
        full_name="Jenny Johansson",
        titles=("Avdelningschef",),
        organisation=ORGANISATION.name,
        now=ISSUED_AT,
    )
    now = dt.datetime(2024, 8, 23, 10, 0, tzinfo=UTC)
    revoked_at = dt.datetime(2024, 8, 20, 8, 0, tzinfo=UTC)
    crl = build_crl(pki, [(cert.serial_number, revoked_at)], now=now)
    assert crl.is_signature_valid(pki.ca_key.public_key())
    assert crl.issuer == pki.ca_cert.subject
    assert crl.last_update_utc == now
    assert crl.next_update_utc == now + dt.timedelta(days=7)
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    assert entry is not None and entry.revocation_date_utc == revoked_at
    assert crl.get_revoked_certificate_by_serial_number(pki.seal_cert.serial_number) is None


def test_twin_crl_from_another_ca_does_not_verify(pki: OrgPki) -> None:
    other = make_pki("other")
    crl = build_crl(other, [], now=ISSUED_AT)
    assert crl.issuer == pki.ca_cert.subject  # same name ...
    assert not crl.is_signature_valid(pki.ca_key.public_key())  # ... different key


def test_a_certificate_whose_names_do_not_decode_names_nobody(pki: OrgPki) -> None:
    """A certificate from an untrusted file may carry a subject or issuer that is not valid
    UTF-8: cryptography raises when it is first read. It names nobody and is issued by no
    root, so the verifier's checks fail on it instead of crashing (a 500 on the verify page)."""
    from attest.verify.trust import issuer_in

    der = pki.seal_cert.public_bytes(serialization.Encoding.DER)
    undecodable = bytearray(der)
    for name in (b"attest systemsigill", ORGANISATION.name.encode()):
        at = der.find(name)  # the first: the issuer's organisation, then the subject's name
        undecodable[at] = 0xFF
    cert = x509.load_der_x509_certificate(bytes(undecodable))
    with pytest.raises(ValueError):
        cert.subject  # noqa: B018 - what a careless caller would do
    assert certificate_name(cert) == ("", "", "")
    assert issuer_in(cert, [pki.ca_cert]) is None
    assert issuer_in(pki.seal_cert, [pki.ca_cert]) == pki.ca_cert  # its genuine twin
