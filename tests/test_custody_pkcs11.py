"""Organisation keys in an HSM (PKCS#11, SoftHSM2): made in the token, signing from it.

One organisation (HSM) gets its keys with ``attest keys init --pkcs11`` in the session's
token and one memo attested by two people, once per module; the tests read what that made.
The keys are RSA-2048 here (PKCS11_KEY_BITS) to keep token key generation short.
"""

from __future__ import annotations

import dataclasses
import itertools
from io import BytesIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pkcs11 import Attribute, ObjectClass
from pkcs11 import exceptions as p11_errors
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from attest import create_app, db
from attest.attestation import keystore, personal
from attest.clock import FixedClock
from attest.custody import KeyUnavailable
from attest.custody.pkcs11 import key_label, token_session
from attest.orgs.operations import get_organisation
from attest.pki import load_certificate
from attest.pki.ca import asn1_certificate
from attest.users.operations import ensure_builtin_roles
from attest.verify import cli as verify_cli
from attest.verify import verify_pdf
from tests.support import database, factories
from tests.support import signing as signing_support
from tests.support import tamper
from tests.support.memos import draft_memo, facts
from tests.support.web import Browser
from tests.support.worlds import START, attest_one

CODE = "HSM"
TEST_KEY_BITS = 2048


@dataclasses.dataclass(frozen=True)
class HsmOrg:
    keys_dir: Path
    init_output: str
    pdf: bytes
    ca_pem: bytes
    config: dict[str, object]


def _hsm_config(softhsm, instance: Path, url: str, clock: FixedClock) -> dict[str, object]:
    return {
        **database.base_config(instance, url),
        **softhsm.config(),
        "PKCS11_KEY_BITS": TEST_KEY_BITS,
        "CLOCK": clock,
        "SIGNING": "pades",
    }


@pytest.fixture(scope="module")
def hsm_org(softhsm, database_template, tmp_path_factory) -> HsmOrg:
    """The organisation HSM: keys init --pkcs11 through the CLI, people, an attested memo."""
    instance = tmp_path_factory.mktemp("hsm") / "instance"
    instance.mkdir()
    url = database.fresh_database(database_template, instance)
    clock = FixedClock(START)
    config = _hsm_config(softhsm, instance, url, clock)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ATTEST_INSTANCE_PATH", str(instance))
        keys = itertools.cycle(signing_support.key_pool())
        patch.setattr(personal, "generate_personal_key", lambda: next(keys))
        app = create_app(config)
        with app.app_context():
            ensure_builtin_roles()
            factories.organisation(CODE, name="Hägersten-Älvsjö stadsdelsförvaltning")
            db.session().commit()
        done = app.test_cli_runner().invoke(args=["keys", "init", "--org", CODE, "--pkcs11"])
        assert done.exit_code == 0, done.output
        with app.app_context():
            factories.people(get_organisation(CODE))
        attested = attest_one(app, factories.People.load(CODE, app), clock)
        db.engine_of(app).dispose()
    keys_dir = Path(str(config["KEYS_DIR"]))
    return HsmOrg(
        keys_dir, done.output, attested.pdf, (keys_dir / f"{CODE}-ca.pem").read_bytes(), config
    )


@pytest.mark.slow
@pytest.mark.once  # the token and the signatures are the subject, the same in both passes
def test_keys_init_pkcs11_makes_keys_that_stay_in_the_token(hsm_org, softhsm) -> None:
    assert f"skapades i token '{softhsm.label}'" in hsm_org.init_output
    folder = hsm_org.keys_dir / CODE
    assert sorted(p.name for p in folder.iterdir()) == [
        "ca.pem",
        "custody.json",
        "seal.pem",
        "tsa.pem",
    ]
    for path in hsm_org.keys_dir.rglob("*"):
        if path.is_file():
            assert b"PRIVATE KEY" not in path.read_bytes(), path
    certificates = {
        role: load_certificate((folder / f"{role}.pem").read_bytes())
        for role in ("ca", "seal", "tsa")
    }
    token = token_session(softhsm.module, softhsm.label, softhsm.pin)
    for role, certificate in certificates.items():
        label = key_label(CODE, role)
        [key] = token.session.get_objects(
            {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: label}
        )
        assert key[Attribute.SENSITIVE] and key[Attribute.ALWAYS_SENSITIVE], label
        assert not key[Attribute.EXTRACTABLE] and key[Attribute.NEVER_EXTRACTABLE], label
        with pytest.raises(p11_errors.AttributeSensitive):
            key[Attribute.PRIVATE_EXPONENT]
        public = certificate.public_key()
        assert isinstance(public, rsa.RSAPublicKey)
        assert int.from_bytes(key[Attribute.MODULUS], "big") == public.public_numbers().n
        certificate.verify_directly_issued_by(certificates["ca"])  # signed in the token


@pytest.mark.slow
@pytest.mark.once  # the token and the signatures are the subject, the same in both passes
def test_a_memo_attested_with_token_keys_is_valid_offline_and_for_pyhanko(
    hsm_org, tmp_path, capsys
) -> None:
    ca = load_certificate(hsm_org.ca_pem)
    result = verify_pdf(hsm_org.pdf, trust=[ca], now=signing_support.validation_time())
    assert result.verdict == "valid", [c.message for c in result.failed]
    assert [a.signer_name for a in result.attestations] == ["Jenny Johansson", "Anders Carstorp"]

    context = ValidationContext(
        trust_roots=[asn1_certificate(ca)],
        allow_fetching=False,
        moment=signing_support.validation_time(),
    )
    signatures = PdfFileReader(BytesIO(hsm_org.pdf)).embedded_regular_signatures
    assert len(signatures) == 4  # certification seal, two rows, closing seal
    for embedded in signatures:
        status = validate_pdf_signature(embedded, context)
        assert status.bottom_line, (embedded.field_name, status.pretty_print_details())

    # `attest verify` with the CA certificate keys init wrote, and the tamper twin: one
    # bit of the signed content changed.
    genuine, forged = tmp_path / "hsm.pdf", tmp_path / "hsm-changed.pdf"
    genuine.write_bytes(hsm_org.pdf)
    forged.write_bytes(tamper.flip_byte_in_first_revision(hsm_org.pdf))
    ca_file = hsm_org.keys_dir / f"{CODE}-ca.pem"
    assert verify_cli.main([str(genuine), "--trust", str(ca_file)]) == 0
    assert capsys.readouterr().out.startswith(f"{genuine}: Giltig")
    assert verify_cli.main([str(forged), "--trust", str(ca_file)]) == 1
    assert capsys.readouterr().out.startswith(f"{forged}: Ogiltig")


@pytest.mark.slow
def test_a_wrong_pin_refuses_sending_in_swedish_and_keeps_the_draft(
    app, signing, client, auth, people, softhsm
) -> None:
    # EÅV's keys are made in the token; the handläggare logs in, then the app is given a
    # wrong PIN.
    app.config.update(softhsm.config(), PKCS11_KEY_BITS=TEST_KEY_BITS)
    with app.app_context():
        keystore.init_org_keys(get_organisation("EÅV"), backend="pkcs11")
    memo_id = draft_memo(app, people.handlaggare)
    browser = Browser(client, auth)
    browser.login(people.handlaggare)
    page = browser.open(f"/memos/{memo_id}")
    app.config["PKCS11_PIN"] = "000000"
    response = browser.press(page, "Skicka för attest")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert f"PIN-koden för token ”{softhsm.label}” stämmer inte (ATTEST_PKCS11_PIN)" in text
    assert facts(app, memo_id).state == "utkast"
    assert client.get("/healthz").status_code == 503  # the load balancer sees it too

    app.config["PKCS11_PIN"] = softhsm.pin  # the right PIN again: it is sent
    response = browser.press(browser.open(f"/memos/{memo_id}"), "Skicka för attest")
    assert response.status_code == 302
    assert facts(app, memo_id).state != "utkast"


def test_a_missing_token_or_module_is_a_clear_refusal(app, runner, org, softhsm) -> None:
    with pytest.raises(KeyUnavailable, match="Det finns ingen token med namnet ”finns-inte”"):
        token_session(softhsm.module, "finns-inte", softhsm.pin)
    with pytest.raises(KeyUnavailable, match="PKCS#11-modulen /saknas/libhsm.so finns inte"):
        token_session("/saknas/libhsm.so", softhsm.label, softhsm.pin)

    app.config.update(softhsm.config(), PKCS11_PIN="000000")
    done = runner.invoke(args=["keys", "init", "--org", "EÅV", "--pkcs11"])
    assert done.exit_code == 2
    assert "PIN-koden för token" in done.output and "stämmer inte" in done.output
    app.config.update(PKCS11_MODULE=None)
    done = runner.invoke(args=["keys", "init", "--org", "EÅV", "--pkcs11"])
    assert done.exit_code == 2
    assert "ATTEST_PKCS11_MODULE saknas" in done.output
    with app.app_context():
        assert not keystore.has_pki(get_organisation("EÅV")), "nothing half-made"
