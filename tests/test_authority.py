"""Authority in the certificates and in the document, through the workflow: the person
identifier, a certificate per role change (the old one revoked), t.f. certificates for
substitutions, the route sealed at freeze, the closing seal; and what the verify page
makes of a t.f. attestation, a three-step route and another förvaltning's memo."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from attest import blobs, db
from attest.attestation import keystore, personal
from attest.attestation.models import PersonCertificate
from attest.errors import Forbidden, Invalid, NotFound
from attest.pki.ca import load_certificate
from attest.pki.profile import read_person
from attest.signing.route import ROUTE_KEY, parse_route
from attest.users.operations import deactivate_user, get_user, update_user
from attest.verify import verify_pdf
from attest.workflow.models import Attestation, Submission
from attest.workflow.operations import attest_memo, submit_memo
from attest.workflow.routes import set_route
from attest.workflow.substitutes import add_substitution, end_substitution
from tests.support import factories
from tests.support.signing import validation_time
from tests.support.web import Page, csrf_token

PASSWORD = factories.PASSWORD


def _certificate(user):
    return load_certificate(personal.active_key(user).certificate_pem.encode())


def _trust():
    from attest.verify.records import installation_trust

    return installation_trust()


def _verify(pdf: bytes, clock, **kwargs):
    trust, crls = _trust()
    return verify_pdf(pdf, trust=trust, crls=crls, now=clock.now(), **kwargs)


# --- The person and their certificates -----------------------------------------------------


def test_every_person_has_a_stable_identifier_of_their_own(app, signed_people):
    with app.app_context():
        ids = set(
            db.session().scalars(sa.select(sa.text("person_id")).select_from(sa.text("users")))
        )
        assert len(ids) == 5 and all(uuid.UUID(i).version == 4 for i in ids)
        jenny = get_user(signed_people.avdelningschef.username)
        before = jenny.person_id
        update_user(jenny, full_name="Jenny Johansson Berg")
        db.session().commit()
        assert get_user(jenny.username).person_id == before  # a new name, the same person


def test_a_change_of_roles_issues_a_new_certificate_and_revokes_the_old_at_once(
    app, signed_people, clock
):
    with app.app_context():
        factories_role = __import__("attest.users.operations", fromlist=["add_role"])
        factories_role.add_role("ekonomichef", "Ekonomichef")
        jenny = get_user(signed_people.avdelningschef.username)
        old = personal.active_key(jenny)
        old_sha, old_serial = old.certificate_sha256, int(old.serial)
        clock.advance(hours=1)
        assert update_user(jenny, roles=["avdelningschef", "ekonomichef"])
        db.session().commit()
        new = personal.active_key(jenny)
        assert new.id == old.id  # the same key, a new certificate
        assert new.certificate_sha256 != old_sha
        person = read_person(_certificate(jenny))
        assert person.titles == ("Avdelningschef", "Ekonomichef")
        assert person.person == f"attest:{jenny.person_id}"
        records = (
            db.session()
            .scalars(sa.select(PersonCertificate).where(PersonCertificate.user_key_id == new.id))
            .all()
        )
        assert [(r.kind, r.revoked_at is not None) for r in records] == [
            ("role", True),
            ("role", False),
        ]
        crl = personal.current_crl(jenny.organisation)
        entry = crl.get_revoked_certificate_by_serial_number(old_serial)
        assert entry is not None and entry.revocation_date_utc == clock.now()
        # Twin: no change, no new certificate.
        assert not update_user(jenny, roles=["ekonomichef", "avdelningschef"])
        assert personal.active_key(jenny).certificate_sha256 == new.certificate_sha256


def test_a_new_title_or_name_is_a_new_certificate_too(app, signed_people):
    with app.app_context():
        anders = get_user(signed_people.stadsdelsdirektor.username)
        before = personal.active_key(anders).certificate_sha256
        update_user(anders, full_name="Anders Carstorp Ek")
        db.session().commit()
        assert read_person(_certificate(anders)).name == "Anders Carstorp Ek"
        assert personal.active_key(anders).certificate_sha256 != before


def test_deactivation_revokes_the_persons_keys(app, signed_people):
    with app.app_context():
        anders = get_user(signed_people.stadsdelsdirektor.username)
        row = personal.active_key(anders)
        deactivate_user(anders)
        db.session().commit()
        assert personal.active_key(anders) is None
        crl = personal.current_crl(anders.organisation)
        assert crl.get_revoked_certificate_by_serial_number(int(row.serial)) is not None


def test_an_out_of_date_certificate_is_replaced_before_it_signs(app, signed_people, clock):
    """A certificate made before certificates named the person (or roles changed behind
    update_user's back) is re-issued when the person attests: the row is then valid."""
    from attest.pki import issue_personal_certificate
    from attest.pki.ca import certificate_pem

    with app.app_context():
        jenny = get_user(signed_people.avdelningschef.username)
        row = personal.active_key(jenny)
        legacy = issue_personal_certificate(
            keystore.org_pki(jenny.organisation),
            _certificate(jenny).public_key(),
            full_name=jenny.full_name,
            organisation=jenny.organisation.name,
            now=clock.now(),
        )
        row.certificate_pem = certificate_pem(legacy).decode()
        db.session().commit()
        author = get_user(signed_people.handlaggare.username)
        memo = factories.memo(author)
        submit_memo(memo, author)
        clock.advance(hours=1)
        attest_memo(memo, jenny, password=PASSWORD)
        db.session().commit()
        assert read_person(_certificate(jenny)).person == f"attest:{jenny.person_id}"
        attestation = db.session().scalar(sa.select(Attestation))
        assert attestation.certificate_sha256 == personal.active_key(jenny).certificate_sha256


def test_routes_and_substitutions_name_only_roles_that_attest(app, signed_people):
    with app.app_context():
        org = get_user(signed_people.handlaggare.username).organisation
        with pytest.raises(Invalid, match="attesterar inte"):
            set_route(org, "tjansteutlatande", ["handlaggare", "stadsdelsdirektor"])
        with pytest.raises(Invalid, match="attesterar inte"):
            add_substitution(
                signed_people.handlaggare.username,
                "registrator",
                dt.date(2024, 8, 1),
                dt.date(2024, 8, 2),
            )


# --- Acting substitutes (t.f.) ---------------------------------------------------------------


def test_a_substitution_gets_a_tf_certificate_for_its_role_person_and_period(
    app, signed_people, clock
):
    with app.app_context():
        org = get_user(signed_people.handlaggare.username).organisation
        petra = factories.user(org, "handlaggare", username="petra", full_name="Petra Ersättare")
        anders = get_user(signed_people.stadsdelsdirektor.username)
        substitution = add_substitution(
            "petra",
            "stadsdelsdirektor",
            dt.date(2024, 8, 19),
            dt.date(2024, 8, 23),
            for_username=anders.username,
        )
        db.session().commit()
        [record] = (
            db.session()
            .scalars(
                sa.select(PersonCertificate).where(
                    PersonCertificate.substitution_id == substitution.id
                )
            )
            .all()
        )
        cert = load_certificate(record.certificate_pem.encode())
        person = read_person(cert)
        assert person.titles == ("t.f. Stadsdelsdirektör",)
        assert person.person == f"attest:{petra.person_id}"
        assert (person.acting.person, person.acting.role_code) == (
            f"attest:{anders.person_id}",
            "stadsdelsdirektor",
        )
        # Midnight to midnight in Stockholm (summer time: UTC+2).
        assert cert.not_valid_before_utc == dt.datetime(2024, 8, 18, 22, 0, tzinfo=dt.timezone.utc)
        assert cert.not_valid_after_utc == dt.datetime(
            2024, 8, 23, 21, 59, 59, tzinfo=dt.timezone.utc
        )
        # It certifies Petra's own key: the same public key as her role certificate.
        assert cert.public_key() == _certificate(petra).public_key()


def test_ending_a_substitution_early_revokes_its_tf_certificate_and_its_authority(
    app, signed_people, clock
):
    with app.app_context():
        org = get_user(signed_people.handlaggare.username).organisation
        petra = factories.user(org, "handlaggare", username="petra", full_name="Petra Ersättare")
        add_substitution("petra", "avdelningschef", dt.date(2024, 8, 1), dt.date(2024, 8, 31))
        db.session().commit()
        author = get_user(signed_people.handlaggare.username)
        memo = factories.memo(author)
        submit_memo(memo, author)
        db.session().commit()
        clock.advance(hours=1)
        ended = end_substitution("petra", "avdelningschef")
        db.session().commit()
        [record] = (
            db.session()
            .scalars(
                sa.select(PersonCertificate).where(PersonCertificate.substitution_id == ended[0].id)
            )
            .all()
        )
        assert record.revoked_at == clock.now()
        crl = personal.current_crl(org)
        assert crl.get_revoked_certificate_by_serial_number(int(record.serial)) is not None
        with pytest.raises(Forbidden):
            attest_memo(memo, petra, password=PASSWORD)
        with pytest.raises(NotFound):
            end_substitution("petra", "avdelningschef")


def test_a_tf_certificate_is_issued_with_a_key_made_later(app, signed_people):
    """A substitute without a key yet (signing turned on later) gets the t.f. certificate
    with the key."""
    with app.app_context():
        org = get_user(signed_people.handlaggare.username).organisation
        app.config["SIGNING"] = "record-only"
        factories.user(org, "handlaggare", username="petra", full_name="Petra Ersättare")
        add_substitution("petra", "avdelningschef", dt.date(2024, 8, 1), dt.date(2024, 8, 31))
        db.session().commit()
        app.config["SIGNING"] = "pades"
        petra = get_user("petra")
        assert personal.active_key(petra) is None
        personal.ensure_key(petra, PASSWORD)
        db.session().commit()
        kinds = (
            db.session()
            .scalars(
                sa.select(PersonCertificate.kind)
                .where(PersonCertificate.user_key_id == personal.active_key(petra).id)
                .order_by(PersonCertificate.id)
            )
            .all()
        )
        assert kinds == ["role", "acting"]


def test_a_tf_attestation_is_signed_with_the_tf_certificate_and_is_valid_offline(
    app, clock, acting_attested
):
    with app.app_context():
        petra = get_user("petra")
        row = db.session().scalar(sa.select(Attestation).where(Attestation.position == 2))
        assert row.signer_title == "t.f. Stadsdelsdirektör"
        assert row.acting_for_id == get_user("sd-EÅV").id
        acting = db.session().scalar(
            sa.select(PersonCertificate).where(PersonCertificate.kind == "acting")
        )
        assert row.certificate_sha256 == acting.certificate_sha256
        assert row.certificate_sha256 != personal.active_key(petra).certificate_sha256
        result = _verify(acting_attested.pdf, clock, expected_steps=2)
    assert result.verdict == "valid", [c.message for c in result.failed]
    director = result.attestations[1]
    assert (director.signer_name, director.title, director.acting_for) == (
        "Petra Ersättare",
        "t.f. Stadsdelsdirektör",
        "Anders Carstorp",
    )


def test_the_frozen_pdf_seals_the_route_with_the_people_picked(app, clock, acting_attested):
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    with app.app_context():
        submission = db.session().scalar(sa.select(Submission))
        frozen = blobs.store().get(submission.frozen_pdf_sha256)
        jenny, anders, petra = (get_user(u) for u in ("ac-EÅV", "sd-EÅV", "petra"))
        pki = keystore.org_pki(jenny.organisation)
    route = parse_route(PdfFileReader(BytesIO(frozen)).root[ROUTE_KEY].data)
    assert (route.organisation_code, route.dnr, route.version_number) == ("EÅV", "EÅV 2024/1", 1)
    from cryptography.hazmat.primitives import hashes

    assert route.ca_sha256 == pki.ca_cert.fingerprint(hashes.SHA256()).hex()
    assert [(r.field, r.role_code, r.name, r.person) for r in route.rows] == [
        ("attest-steg-1", "avdelningschef", "Jenny Johansson", f"attest:{jenny.person_id}"),
        ("attest-steg-2", "stadsdelsdirektor", "Anders Carstorp", f"attest:{anders.person_id}"),
    ]
    # Petra was registered before the memo was sent: the route names her as substitute.
    assert route.rows[1].substitutes == (f"attest:{petra.person_id}",)


def test_a_three_step_route_verifies(app, clock, three_steps):
    with app.app_context():
        result = _verify(three_steps.pdf, clock, expected_steps=3)
    assert result.verdict == "valid", [c.message for c in result.failed]
    assert [a.title for a in result.attestations] == [
        "Avdelningschef",
        "Ekonomichef",
        "Stadsdelsdirektör",
    ]


# --- The verify page ------------------------------------------------------------------------


def _upload(client, pdf: bytes, name: str = "dokument.pdf"):
    from io import BytesIO

    page = client.get("/verifiera").get_data(as_text=True)
    return client.post(
        "/verifiera",
        data={"csrf_token": csrf_token(page), "pdf": (BytesIO(pdf), name)},
        content_type="multipart/form-data",
    )


def test_another_forvaltnings_memo_is_valid_on_the_page_naming_it(
    app, auth, client, two_organisations, signed_people
):
    auth.login(signed_people.registrator.username)  # EÅV's registrator
    page = Page(_upload(client, two_organisations.pdf))
    assert page.status == 200
    assert "Resultat: Giltig" in page.text and "Ogiltig" not in page.text
    assert "Skarpnäcks stadsdelsförvaltning" in page.text


def test_a_memo_of_an_unknown_ca_is_undecidable_on_the_page(
    app, auth, client, signed_people, clock
):
    from tests.support import forgeries

    clock.at = validation_time()  # after the forgeries' memos were made
    auth.login(signed_people.registrator.username)
    # Another förvaltning's memo (SKV), whose CA this installation (EÅV alone) does not know.
    page = Page(_upload(client, forgeries.second_forvaltning_memo()))
    assert page.status == 200
    assert "Resultat: Kan inte avgöras" in page.text and "Ogiltig" not in page.text


def test_a_tf_attestation_is_valid_on_the_page(app, auth, client, acting_attested):
    auth.login("reg-EÅV")
    page = Page(client.get(f"/v/{acting_attested.code}"))
    assert "Resultat: Giltig" in page.text
    assert "Petra Ersättare" in page.text and "t.f. Stadsdelsdirektör" in page.text


def test_a_file_with_too_many_signatures_is_refused_with_a_422(app, auth, client, signed_people):
    from tests.support import forgeries

    auth.login(signed_people.registrator.username)
    app.config["VERIFY_MAX_SIGNATURES"] = 4  # the genuine memo has five
    response = _upload(client, forgeries.material().genuine.final)
    assert response.status_code == 422
    assert "fler än gränsen 4" in response.get_data(as_text=True)


def test_cli_user_update_and_substitute_end(app, signed_people, runner):
    result = runner.invoke(
        args=["user", "update", signed_people.avdelningschef.username, "--title", "Chef"]
    )
    assert result.exit_code == 0 and "nytt certifikat" in result.output
    result = runner.invoke(
        args=[
            "substitute",
            signed_people.handlaggare.username,
            "--role",
            "avdelningschef",
            "--from",
            "2024-08-01",
            "--to",
            "2024-08-31",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["substitute-end", signed_people.handlaggare.username, "--role", "avdelningschef"]
    )
    assert result.exit_code == 0 and "inte längre t.f." in result.output
    result = runner.invoke(
        args=["substitute-end", signed_people.handlaggare.username, "--role", "avdelningschef"]
    )
    assert result.exit_code == 2
