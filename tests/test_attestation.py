"""Attestation with real PAdES signatures through the workflow; each with its tamper twin."""

import datetime as dt
import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization

from attest import blobs, db
from attest.attestation import keystore, personal
from attest.attestation.audit_anchor import verify_audit
from attest.attestation.hooks import timestamper
from attest.attestation.models import UserKey
from attest.audit.models import AuditEvent, AuditTimestamp
from attest.errors import Invalid
from attest.memos.models import Memo
from attest.memos.operations import create_memo
from attest.pki import WrongPassword, decrypt_private_key
from attest.pki.ca import load_certificate
from attest.signing import run_sync, validate_pdf
from attest.users.operations import change_own_password, get_user, reset_user
from attest.verify import verify_pdf
from attest.workflow.models import Attestation, Submission
from attest.workflow.operations import attest_memo, submit_memo
from tests.support import factories
from tests.support.servers import thread_server
from tests.support.web import csrf_token, lock_version
from tests.support.worlds import attest_one

PASSWORD = factories.PASSWORD


def _u(username):
    return get_user(username)


def _attested(app, people, clock):
    """A memo through the whole route, a day per step; returns (memo id, attested PDF bytes)."""
    made = attest_one(app, people, clock, step=dt.timedelta(days=1))
    return made.memo_id, made.pdf


def _trust(app):
    with app.app_context():
        return load_certificate(keystore.ca_path("EÅV").read_bytes())


def _crl(app):
    with app.app_context():
        org = _u("hl-EÅV").organisation
        return personal.current_crl(org)


def _verify(app, pdf: bytes, clock, **kwargs):
    kwargs.setdefault("crls", [_crl(app)])
    return verify_pdf(pdf, trust=[_trust(app)], now=clock.now(), **kwargs)


def _pdftotext(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_keys_init_writes_encrypted_private_files_and_publishes_the_ca(app, signed_people):
    with app.app_context():
        directory = keystore.org_dir("EÅV")
        assert (
            (keystore.keys_dir() / "EÅV-ca.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE")
        )
    for name in ("ca-key.pem", "seal-key.pem", "tsa-key.pem"):
        path = directory / name
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY")


def test_keys_init_twice_or_for_an_unknown_organisation_is_refused(signed_people, runner):
    assert runner.invoke(args=["keys", "init", "--org", "EÅV"]).exit_code == 2
    assert runner.invoke(args=["keys", "init", "--org", "NOPE"]).exit_code == 2


def test_every_user_gets_an_encrypted_personal_key_and_certificate(app, signed_people):
    with app.app_context():
        jenny = _u(signed_people.avdelningschef.username)
        row = personal.active_key(jenny)
        assert row.encrypted_key_pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY")
        cert = load_certificate(row.certificate_pem.encode())
        from attest.pki import certificate_name
        from attest.pki.profile import read_person

        assert certificate_name(cert) == (
            "Jenny Johansson",
            "Avdelningschef",
            "Enskede-Årsta-Vantörs stadsdelsförvaltning",
        )
        person = read_person(cert)
        assert person.person == f"attest:{jenny.person_id}" and person.titles == ("Avdelningschef",)
        # The registrator attests nothing: no role title in her certificate.
        karin = _u(signed_people.registrator.username)
        assert (
            read_person(
                load_certificate(personal.active_key(karin).certificate_pem.encode())
            ).titles
            == ()
        )
        assert decrypt_private_key(row.encrypted_key_pem.encode(), PASSWORD)
        with pytest.raises(WrongPassword):
            decrypt_private_key(row.encrypted_key_pem.encode(), "not the password")


def test_the_attested_pdf_validates_with_the_published_ca(
    app, signed_people, clock, attested_over_days
):
    pdf = attested_over_days.pdf
    result = _verify(app, pdf, clock, expected_steps=2)
    assert result.verdict == "valid", [c.message for c in result.failed]
    report = validate_pdf(pdf, trust_roots=[_trust(app)], now=clock.now())
    approvals = [
        s for s in report.signatures if not s.is_certification and not s.is_document_timestamp
    ]
    assert [(s.field_name, s.signer_name, s.signer_title) for s in approvals] == [
        ("attest-steg-1", "Jenny Johansson", "Avdelningschef"),
        ("attest-steg-2", "Anders Carstorp", "Stadsdelsdirektör"),
        ("attest-slutsigill", "attest systemsigill EÅV", ""),
    ]
    for signature in report.signatures:
        assert signature.intact and signature.valid and signature.trusted
    assert report.signatures[0].is_certification and report.signatures[-1].is_document_timestamp
    text = _pdftotext(pdf)
    anders, jenny = text.index("Anders Carstorp, Stadsdelsdirektör"), text.index(
        "Jenny Johansson, Avdelningschef"
    )
    assert anders < jenny  # the highest rank on top
    assert "2024-08-16" in text[anders:jenny] and "2024-08-15" in text[jenny:]


def test_tamper_twin_a_flipped_byte_fails(app, signed_people, clock, attested_over_days):
    pdf = attested_over_days.pdf
    offset = pdf.index(b"stream", 1000) + 20  # inside the memo's first revision: signed by all
    tampered = bytearray(pdf)
    tampered[offset] ^= 0x01
    assert "intact" in _verify(app, bytes(tampered), clock).failed_codes


def test_tamper_twin_another_ca_is_not_trusted(
    app, signed_people, clock, rogue_pki, attested_over_days
):
    pdf = attested_over_days.pdf
    result = verify_pdf(pdf, trust=[rogue_pki.ca_cert], now=clock.now())
    # Not the rogue's memo, nor shown as the organisation's: its CA is not among the trusted.
    assert result.verdict == "undecidable" and not result.ok


@pytest.mark.system
@pytest.mark.once  # pyHanko reading a file: the same in both passes
def test_pyhanko_cli_calls_every_signature_intact_and_trusted(
    app, signed_people, clock, tmp_path, attested_over_days
):
    pdf = attested_over_days.pdf
    path = tmp_path / "attesterad.pdf"
    path.write_bytes(pdf)
    with app.app_context():
        ca = keystore.ca_path("EÅV")
    pyhanko = shutil.which("pyhanko", path=str(Path(sys.executable).parent))
    assert pyhanko, "pyHanko's CLI is installed with the package"
    result = subprocess.run(
        [pyhanko, "sign", "validate", "--trust", str(ca), "--pretty-print", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_records_chain_the_hashes_and_fingerprints(app, signed_people, clock, attested_over_days):
    with app.app_context():
        submission = db.session().scalar(sa.select(Submission))
        first, second = submission.attestations
        assert first.pdf_sha256_before == submission.frozen_pdf_sha256
        assert second.pdf_sha256_before == first.pdf_sha256_after
        keys = {k.user_id: k.certificate_sha256 for k in db.session().scalars(sa.select(UserKey))}
        assert first.certificate_sha256 == keys[first.signer_id]
        assert second.certificate_sha256 == keys[second.signer_id]
        assert first.timestamp_at is not None and "egen" in first.tsa
        assert (
            hashlib.sha256(blobs.store().get(submission.frozen_pdf_sha256)).hexdigest()
            == submission.frozen_pdf_sha256
        )


def test_wrong_password_signs_nothing_and_is_counted(app, signed_people, auth, client):
    with app.app_context():
        author = _u(signed_people.handlaggare.username)
        memo = create_memo(author, factories.content(rubrik="Rubrik"))
        submit_memo(memo, author)
        db.session().commit()
        memo_id = memo.id
        before = db.session().scalar(sa.select(Submission)).current_pdf_sha256
    auth.login(signed_people.avdelningschef.username)
    page = client.get(f"/memos/{memo_id}").get_data(as_text=True)
    assert '<label for="password">Lösenord</label>' in page
    response = client.post(
        f"/memos/{memo_id}/attestera",
        data={
            "password": "fel lösenord",
            "csrf_token": csrf_token(page),
            "lock_version": lock_version(page),
        },
    )
    assert response.status_code == 400
    assert "Fel lösenord. Inget har signerats" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(Attestation)) == 0
        assert db.session().scalar(sa.select(Submission)).current_pdf_sha256 == before
        assert db.session().get(Memo, memo_id).state == "attest"
        failed = db.session().scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.event == "memo:attestation:password_failed")
        )
        assert failed == 1
    response = client.post(
        f"/memos/{memo_id}/attestera",
        data={
            "password": PASSWORD,
            "csrf_token": csrf_token(page),
            "lock_version": lock_version(page),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(Attestation)) == 1


def test_attesting_without_a_password_is_refused(app, signed_people):
    with app.app_context():
        author = _u(signed_people.handlaggare.username)
        memo = create_memo(author, factories.content(rubrik="Rubrik"))
        submit_memo(memo, author)
        with pytest.raises(Invalid, match="lösenord"):
            attest_memo(memo, _u(signed_people.avdelningschef.username))


def test_password_change_re_encrypts_the_same_key(app, signed_people):
    with app.app_context():
        jenny = _u(signed_people.avdelningschef.username)
        before = personal.active_key(jenny).certificate_sha256
        change_own_password(jenny, PASSWORD, "ett helt nytt lösenord")
        db.session().commit()
        row = personal.active_key(jenny)
        assert row.certificate_sha256 == before
        decrypt_private_key(row.encrypted_key_pem.encode(), "ett helt nytt lösenord")
        with pytest.raises(WrongPassword):
            decrypt_private_key(row.encrypted_key_pem.encode(), PASSWORD)
        with pytest.raises(Invalid):
            change_own_password(jenny, "fel", "ett annat nytt lösenord")


def test_reset_revokes_the_old_certificate_and_signing_with_it_afterwards_fails(
    app, signed_people, clock, attested_over_days
):
    from attest.attestation.hooks import timestamper
    from attest.signing import sign_field

    earlier = attested_over_days.pdf
    with app.app_context():
        jenny = _u(signed_people.avdelningschef.username)
        old_row = personal.active_key(jenny)
        old_key = decrypt_private_key(old_row.encrypted_key_pem.encode(), PASSWORD)
        old_cert = load_certificate(old_row.certificate_pem.encode())
        clock.advance(days=1)
        link = reset_user(jenny)
        db.session().commit()
        factories.enrol_with_link(link, "återställt lösenord 2024")
        new = personal.active_key(jenny)
        assert new.certificate_sha256 != old_row.certificate_sha256
        revoked = db.session().scalar(sa.select(UserKey).where(UserKey.id == old_row.id))
        assert revoked.revoked_at is not None
        crl = personal.current_crl(jenny.organisation)
        assert crl.get_revoked_certificate_by_serial_number(int(revoked.serial)) is not None
        # The new key works...
        author = _u(signed_people.handlaggare.username)
        memo = create_memo(author, factories.content(rubrik="Efter återställningen"))
        submit_memo(memo, author)
        db.session().commit()
        frozen = blobs.store().get(
            db.session()
            .scalar(sa.select(Submission).where(Submission.memo_id == memo.id))
            .frozen_pdf_sha256
        )
        clock.advance(hours=1)
        pki = keystore.org_pki(jenny.organisation)
        # ...and the tamper twin: the revoked key signs after its revocation.
        forged = sign_field(
            frozen,
            field_name="attest-steg-1",
            signer_key=old_key,
            signer_cert=old_cert,
            chain=pki.chain,
            appearance_pdf=None,
            timestamper=timestamper(jenny.organisation, pki),
            reason="efter spärr",
            now=clock.now(),
        )
    result = verify_pdf(forged, trust=[_trust(app)], crls=[crl], now=clock.now())
    assert "not_revoked" in result.failed_codes
    # What was attested before the reset stays valid: its timestamp predates the revocation.
    assert verify_pdf(earlier, trust=[_trust(app)], crls=[crl], now=clock.now()).ok


def test_preview_of_a_sent_memo_is_the_frozen_pdf(app, signed_people, auth, client, clock):
    with app.app_context():
        author = _u(signed_people.handlaggare.username)
        memo = create_memo(author, factories.content(rubrik="Rubrik"))
        submit_memo(memo, author)
        db.session().commit()
        frozen = db.session().scalar(sa.select(Submission)).frozen_pdf_sha256
        memo_id = memo.id
    auth.login(signed_people.avdelningschef.username)
    response = client.get(f"/memos/{memo_id}/pdf")
    assert hashlib.sha256(response.data).hexdigest() == frozen
    report = validate_pdf(response.data, trust_roots=[_trust(app)], now=clock.now())
    [seal] = report.signatures
    assert seal.is_certification and seal.intact and seal.valid and seal.trusted
    assert set(report.unsigned_fields) == {"attest-steg-1", "attest-steg-2", "attest-slutsigill"}


def test_download_of_the_attested_pdf(app, signed_people, clock, auth, client, attested_over_days):
    memo_id, pdf = attested_over_days.memo_id, attested_over_days.pdf
    auth.login(signed_people.registrator.username)
    page = client.get(f"/memos/{memo_id}").get_data(as_text=True)
    assert "Ladda ner attesterad PDF" in page
    response = client.get(f"/memos/{memo_id}/attesterad.pdf")
    assert response.status_code == 200 and response.data == pdf
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_each_attestation_timestamps_the_audit_head_and_the_chain_verifies(
    app, signed_people, clock, runner, attested_over_days
):
    with app.app_context():
        anchors = db.session().scalars(sa.select(AuditTimestamp)).all()
        assert len(anchors) == 2
        assert verify_audit().ok
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "hel" in result.output
    assert runner.invoke(args=["audit", "timestamp"]).exit_code == 0


def test_audit_truncation_against_the_timestamped_head_is_detected(
    app, signed_people, clock, runner, attested_over_days
):
    with app.app_context():
        last = (
            db.session()
            .scalars(sa.select(AuditTimestamp).order_by(AuditTimestamp.seq.desc()))
            .first()
        )
        session = db.session()
        session.execute(sa.delete(AuditEvent).where(AuditEvent.seq >= last.seq))
        # cover the tracks in the head row too: only the timestamp still knows
        from attest.audit.models import AuditHead

        previous = session.get(AuditEvent, last.seq - 1)
        session.execute(
            sa.update(AuditHead).values(seq=last.seq - 1, entry_hash=previous.entry_hash)
        )
        session.commit()
        report = verify_audit()
        assert not report.ok and report.first_broken_seq == last.seq
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "bruten" in result.output


def test_a_rewritten_anchored_entry_is_detected(app, signed_people, clock, attested_over_days):
    with app.app_context():
        from attest.audit.operations import entry_hash

        anchor = db.session().scalars(sa.select(AuditTimestamp)).first()
        entry = db.session().get(AuditEvent, anchor.seq)
        entry.data = '{"forged":true}'
        entry.entry_hash = entry_hash(entry)  # even with its own hash recomputed
        db.session().commit()
        assert not verify_audit().ok


def test_public_ca_and_crl_downloads(app, signed_people, client):
    response = client.get("/pki/EÅV/ca.pem")
    assert response.status_code == 200 and response.data == _trust(app).public_bytes(
        serialization.Encoding.PEM
    )
    crl = client.get("/pki/EÅV/crl.pem")
    assert crl.status_code == 200 and b"BEGIN X509 CRL" in crl.data
    assert client.get("/pki/NOPE/ca.pem").status_code == 404


TSA_USER, TSA_SECRET = "diariet", "ett långt tidsstämpellösen"


def _enable_tsa(app) -> dict[str, str]:
    from attest.users.passwords import hash_password

    with app.app_context():
        app.config["TSA_HTTP_ENABLED"] = True
        app.config["TSA_HTTP_USERS"] = {TSA_USER: hash_password(TSA_SECRET)}
    return {"Authorization": _basic(TSA_USER, TSA_SECRET)}


def _basic(user: str, secret: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def _query() -> bytes:
    from pyhanko.sign.timestamps import TimeStamper

    return TimeStamper().request_cms(hashlib.sha256(b"x").digest(), "sha256")[1].dump()


@pytest.mark.system
@pytest.mark.once  # a second installation's database of its own: a second SQLite file
def test_signing_through_an_attest_tsa_over_http(
    app, signed_people, clock, database_template, tmp_path
):
    """The organisation's TSA served by another attest installation (its own database, the
    same keys), with credentials; this one timestamps through it."""
    from attest import create_app
    from tests.support import database

    instance = tmp_path / "tsa-instance"
    instance.mkdir()
    url = database.fresh_database(database_template, instance)
    tsa_app = create_app(
        {**database.base_config(instance, url), "KEYS_DIR": app.config["KEYS_DIR"], "CLOCK": clock}
    )
    with tsa_app.app_context():
        factories.organisation()
    _enable_tsa(tsa_app)
    with thread_server(tsa_app) as base_url:
        tsa_url = f"{base_url}/tsa/E%C3%85V"
        app.config.update(TSA_URL=tsa_url, TSA_USERNAME=TSA_USER, TSA_PASSWORD=TSA_SECRET)
        _, pdf = _attested(app, signed_people, clock)
    result = _verify(app, pdf, clock)
    assert result.verdict == "valid", [c.message for c in result.failed]
    with app.app_context():
        assert {a.tsa for a in db.session().scalars(sa.select(Attestation))} == {tsa_url}
    with tsa_app.app_context():
        issued = db.session().scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.event == "tsa:timestamp:issued")
        )
        assert issued >= 5  # seal, two rows, closing seal, archive (and the anchors)
    db.engine_of(tsa_app).dispose()


def test_the_tsa_endpoint_is_off_by_default(signed_people, client, app):
    assert app.config["TSA_HTTP_ENABLED"] is False
    response = client.post("/tsa/EÅV", data=_query(), content_type="application/timestamp-query")
    assert response.status_code == 404


def test_the_tsa_endpoint_wants_credentials(signed_people, client, app):
    headers = _enable_tsa(app)
    query = _query()
    kind = "application/timestamp-query"
    anonymous = client.post("/tsa/EÅV", data=query, content_type=kind)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith('Basic realm="attest TSA"')
    wrong = {"Authorization": _basic(TSA_USER, "fel lösen")}
    assert client.post("/tsa/EÅV", data=query, content_type=kind, headers=wrong).status_code == 401
    unknown = {"Authorization": _basic("okänd", TSA_SECRET)}
    assert (
        client.post("/tsa/EÅV", data=query, content_type=kind, headers=unknown).status_code == 401
    )
    granted = client.post("/tsa/EÅV", data=query, content_type=kind, headers=headers)
    assert granted.status_code == 200 and granted.mimetype == "application/timestamp-reply"
    # What is not a timestamp query is still refused, after the credentials.
    assert (
        client.post("/tsa/EÅV", data=b"x", content_type="text/plain", headers=headers).status_code
        == 415
    )
    bad = client.post("/tsa/EÅV", data=b"not der", content_type=kind, headers=headers)
    assert bad.status_code == 200 and bad.mimetype == "application/timestamp-reply"


def test_the_tsa_endpoint_is_rate_limited_per_user_and_wrong_credentials_per_address(
    signed_people, client, app
):
    headers = _enable_tsa(app)
    app.config["TSA_HTTP_RATE_PER_MINUTE"] = 3
    kind = "application/timestamp-query"
    answers = [
        client.post("/tsa/EÅV", data=_query(), content_type=kind, headers=headers).status_code
        for _ in range(4)
    ]
    assert answers == [200, 200, 200, 429]
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 2
    wrong = {"Authorization": _basic(TSA_USER, "fel")}
    failures = [
        client.post("/tsa/EÅV", data=_query(), content_type=kind, headers=wrong).status_code
        for _ in range(3)
    ]
    assert failures == [401, 401, 429]


def test_the_tsa_settings_are_checked_at_start_up(app) -> None:
    from attest.config import ConfigError, check

    with pytest.raises(ConfigError, match="TSA_HTTP_USERS"):
        check({**app.config, "TSA_HTTP_ENABLED": True, "TSA_HTTP_USERS": {}})
    with pytest.raises(ConfigError, match="argon2id"):
        check({**app.config, "TSA_HTTP_USERS": {"diariet": "klartext"}})


def test_an_edited_entry_is_named_as_edited_not_as_truncation(
    app, signed_people, clock, attested_over_days
):
    with app.app_context():
        entry = db.session().get(AuditEvent, 3)
        entry.data = '{"forged":true}'
        db.session().commit()
        report = verify_audit()
        assert not report.ok and report.first_broken_seq == 3 and "ändrats" in report.reason


# --- The audit head anchored by the system seal -----------------------------------------------


def _rewrite_log_from(seq: int) -> None:
    """An insider with the database rewrites an entry and recomputes every hash after it,
    and the head: a chain that is whole in itself."""
    from attest.audit.models import AuditHead
    from attest.audit.operations import GENESIS_HASH, entry_hash

    session = db.session()
    entries = list(session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)))
    prev = GENESIS_HASH
    for entry in entries:
        if entry.seq == seq:
            entry.data = '{"forged":true}'
        if entry.seq >= seq:
            entry.prev_hash = prev
            entry.entry_hash = entry_hash(entry)
        prev = entry.entry_hash
    session.execute(sa.update(AuditHead).values(seq=entries[-1].seq, entry_hash=prev))
    session.flush()


def _bare_timestamp_anchors(app) -> None:
    """Every anchor replaced by a bare RFC 3161 token over the new head, as any TSA gives."""
    from attest.attestation.audit_anchor import _legacy_imprint
    from attest.audit.models import AuditHead

    session = db.session()
    org = _u("hl-EÅV").organisation
    head = session.get(AuditHead, 1)
    session.execute(sa.delete(AuditTimestamp))
    pki = keystore.org_pki(org)
    token = run_sync(
        timestamper(org, pki).async_timestamp(_legacy_imprint(head.seq, head.entry_hash), "sha256")
    )
    session.add(
        AuditTimestamp(
            seq=head.seq,
            entry_hash=head.entry_hash,
            organisation_id=org.id,
            token=token.dump(),
            created_at=clock_now(),
        )
    )
    session.commit()


def clock_now():
    from attest import clock

    return clock.now()


def test_anchors_are_the_seals_signature_over_the_head_and_its_time(
    app, signed_people, clock, attested_over_days
):
    from attest.attestation.audit_anchor import anchored_data
    from attest.signing.validate import validate_detached

    with app.app_context():
        anchors = db.session().scalars(sa.select(AuditTimestamp)).all()
        pki = keystore.org_pki(_u("hl-EÅV").organisation)
        for anchor in anchors:
            data = anchored_data(anchor.seq, anchor.entry_hash, anchor.created_at)
            facts = validate_detached(data, anchor.token, trust_roots=[pki.ca_cert])
            assert facts.intact and facts.valid and facts.trusted and facts.timestamp_ok
            assert facts.signer_name == "attest systemsigill EÅV"
            # Twin: the same signature says nothing of another head.
            other = anchored_data(anchor.seq + 1, anchor.entry_hash, anchor.created_at)
            assert not validate_detached(other, anchor.token, trust_roots=[pki.ca_cert]).intact


def test_a_log_rewritten_and_re_anchored_with_timestamps_alone_is_detected(
    app, signed_people, clock, runner, attested_over_days
):
    with app.app_context():
        _rewrite_log_from(3)
        db.session().commit()
        _bare_timestamp_anchors(app)
        report = verify_audit()
        assert not report.ok
        assert "bara en tidsstämpel" in report.reason
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "utan systemsigillets signatur" in result.output


def test_a_log_rewritten_under_its_sealed_anchors_is_detected(
    app, signed_people, clock, attested_over_days
):
    with app.app_context():
        _rewrite_log_from(3)
        db.session().commit()
        report = verify_audit()
        assert not report.ok and "förankrade" in report.reason


def test_an_anchor_signed_by_a_personal_key_is_not_the_seals(
    app, signed_people, clock, attested_over_days
):
    from attest.attestation.audit_anchor import anchored_data
    from attest.signing.sign import sign_detached

    with app.app_context():
        jenny = _u(signed_people.avdelningschef.username)
        row = personal.active_key(jenny)
        key = decrypt_private_key(row.encrypted_key_pem.encode(), PASSWORD)
        pki = keystore.org_pki(jenny.organisation)
        anchor = (
            db.session()
            .scalars(sa.select(AuditTimestamp).order_by(AuditTimestamp.seq.desc()))
            .first()
        )
        anchor.token = sign_detached(
            anchored_data(anchor.seq, anchor.entry_hash, anchor.created_at),
            signer_key=key,
            signer_cert=load_certificate(row.certificate_pem.encode()),
            chain=pki.chain,
            timestamper=timestamper(jenny.organisation, pki),
            now=anchor.created_at,
        )
        db.session().commit()
        report = verify_audit()
        assert not report.ok and "systemsigill" in report.reason


def test_anchors_out_of_order_or_at_other_times_than_stored_are_detected(
    app, signed_people, clock, attested_over_days
):
    with app.app_context():
        first, second = (
            db.session().scalars(sa.select(AuditTimestamp).order_by(AuditTimestamp.seq)).all()
        )
        saved = first.created_at
        first.created_at = second.created_at + dt.timedelta(hours=1)
        db.session().commit()
        report = verify_audit()
        assert not report.ok
        first.created_at = saved + dt.timedelta(minutes=10)  # in order, but not its time
        db.session().commit()
        report = verify_audit()
        assert not report.ok and "gäller inte" in report.reason
        first.created_at = saved - dt.timedelta(minutes=10)  # before the entry it anchors
        db.session().commit()
        report = verify_audit()
        assert not report.ok and "skriven efter att den förankrades" in report.reason
        first.created_at = saved
        db.session().commit()
        assert verify_audit().ok


def test_bare_timestamp_anchors_of_before_are_vouched_for_by_a_later_sealed_one(
    app, signed_people, clock, attested_over_days
):
    from attest.attestation.audit_anchor import timestamp_head

    with app.app_context():
        _bare_timestamp_anchors(app)  # as an installation anchored before the seal signed
        assert not verify_audit().ok  # nothing sealed vouches for them yet
        clock.advance(minutes=5)
        timestamp_head(_u("hl-EÅV").organisation)  # `attest audit timestamp` after upgrading
        db.session().commit()
        assert verify_audit().ok
