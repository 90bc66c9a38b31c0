"""The verification's comparison with the records: genuine attested PDFs made through the real
workflow match their rows and the audit log; an edited row, a broken chain, a file the
records do not know, each is reported with its reason.
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from attest import blobs, db
from attest.audit.models import AuditEvent
from attest.memos.operations import create_memo
from attest.pdf import render_memo
from attest.users.operations import get_user
from attest.verify.core import Check
from attest.verify.records import (
    check_records,
    compare_with_records,
    verification_code_in,
    verify_with_records,
    with_records,
)
from attest.workflow.models import Attestation, Submission
from attest.workflow.operations import attest_memo, return_memo, submit_memo
from tests.support import factories, tamper
from tests.support.signing import make_attester, reference_doc, run_flow
from tests.support.worlds import attest_one

PASSWORD = factories.PASSWORD


def organisation(code: str = "EÅV"):
    from attest.orgs.operations import get_organisation

    return get_organisation(code)


def records_checks(result) -> list[Check]:
    return [c for c in result.checks if c.code == "records"]


def failed_text(result) -> str:
    return " ".join(c.message for c in result.failed)


# --- A genuine file matches ------------------------------------------------------------------


def test_a_genuine_attested_pdf_matches_every_record(app, attested):
    with app.app_context():
        result, comparison = verify_with_records(attested.pdf, organisation())
        assert result.verdict == "valid", failed_text(result)
        assert comparison.submission.id == attested.submission_id
        assert comparison.found_by == "sha256"
        checks = records_checks(result)
        assert {c.status for c in checks} == {"ok"}
        messages = " ".join(c.message for c in checks)
        assert "EÅV 2024/1" in messages and "version 1" in messages
        assert "Den fastställda versionen i filen är byte för byte" in messages
        assert "Filen har 2 attester, lika många som inskickningens 2 steg" in messages
        assert [c.subject for c in checks if c.subject] == ["attest-steg-1", "attest-steg-2"]
        assert "Granskningsloggens händelser om tjänsteutlåtandet är obrutna" in messages
        # The English text is there for --lang en and the English page.
        assert all(c.message_en and c.message_en != c.message for c in checks)


def test_the_footer_code_is_read_from_the_first_page(app, attested):
    assert verification_code_in(attested.pdf) == attested.code
    assert verification_code_in(b"not a pdf") is None


def test_a_changed_copy_is_found_by_its_footer_code_and_fails_the_frozen_version(app, attested):
    forged = tamper.flip_byte_in_first_revision(attested.pdf)
    with app.app_context():
        result, comparison = verify_with_records(forged, organisation())
        assert comparison.found_by == "code"
        assert comparison.submission.id == attested.submission_id
        assert result.verdict == "invalid"
        assert "intact" in result.failed_codes
        failed = [c.message for c in records_checks(result) if c.status == "failed"]
        assert any(
            "Den fastställda versionen i filen är inte den som registret har" in m for m in failed
        )


def test_without_sha_or_code_the_attesters_certificates_find_the_submission(app, attested):
    forged = tamper.append_bytes()(attested.pdf)  # another SHA-256
    with app.app_context():
        db.session().execute(sa.update(Submission).values(verification_code=None))
        db.session().commit()
        result, comparison = verify_with_records(forged, organisation())
        assert comparison.found_by == "certificates"
        assert comparison.submission.id == attested.submission_id
        assert "nothing_after" in result.failed_codes  # the core's catch; the rows still match
        assert result.verdict == "invalid"


def test_an_intermediate_copy_matches_the_records_of_a_memo_still_being_attested(
    app, signed_people, clock
):
    with app.app_context():
        author = get_user(signed_people.handlaggare.username)
        memo = create_memo(author, factories.content(rubrik="Halvvägs"))
        submit_memo(memo, author)
        attest_memo(memo, get_user(signed_people.avdelningschef.username), password=PASSWORD)
        db.session().commit()
        submission = db.session().scalar(sa.select(Submission))
        pdf = blobs.store().get(submission.current_pdf_sha256)
        result, comparison = verify_with_records(pdf, organisation())
        assert comparison.found_by == "sha256"
        assert result.verdict == "invalid"
        assert "complete" in result.failed_codes  # not (yet) a valid attested document
        assert {c.status for c in records_checks(result)} == {"ok"}
        assert any(
            "attesteras fortfarande: registret har 1 av 2" in c.message
            for c in records_checks(result)
        )


# --- The records catch what the file alone cannot --------------------------------------------


def test_an_attestation_row_edited_in_the_database_is_caught(app, attested):
    with app.app_context():
        db.session().execute(
            sa.update(Attestation)
            .where(Attestation.position == 1)
            .values(certificate_sha256="ab" * 32)
        )
        db.session().commit()
        result, _ = verify_with_records(attested.pdf, organisation())
        assert result.verdict == "invalid"
        offline = [c for c in result.checks if c.code != "records"]
        assert all(c.status != "failed" for c in offline), "the file itself is genuine"
        [failed] = [c for c in records_checks(result) if c.status == "failed"]
        assert failed.subject == "attest-steg-1"
        assert "certifikatets fingeravtryck (SHA-256) är" in failed.message
        assert "abababababababab… i registret" in failed.message


def test_an_attestation_row_with_another_signer_or_time_is_caught(app, attested):
    with app.app_context():
        db.session().execute(
            sa.update(Attestation)
            .where(Attestation.position == 2)
            .values(
                signer_name="Någon Annan",
                timestamp_at=dt.datetime(2024, 8, 20, 12, 0, tzinfo=dt.timezone.utc),
            )
        )
        db.session().commit()
        result, _ = verify_with_records(attested.pdf, organisation())
        [failed] = [c for c in records_checks(result) if c.status == "failed"]
        assert failed.subject == "attest-steg-2"
        assert "namnet är Anders Carstorp i filen men Någon Annan i registret" in failed.message
        assert (
            "tidsstämpeln är" in failed.message and "2024-08-20 14:00 i registret" in failed.message
        )
        assert result.verdict == "invalid"


def test_a_deleted_attestation_row_is_caught(app, attested):
    with app.app_context():
        db.session().execute(sa.delete(Attestation).where(Attestation.position == 2))
        db.session().commit()
        result, _ = verify_with_records(attested.pdf, organisation())
        failed = " ".join(c.message for c in records_checks(result) if c.status == "failed")
        assert "registret har ingen attest för steg 2" in failed
        assert (
            "Filen har 2 attester, men registret har 1 attesterade av inskickningens 2 steg"
            in failed
        )
        assert result.verdict == "invalid"


def _rewrite_event(seq: int, **changes) -> None:
    event = db.session().get(AuditEvent, seq)
    data = {**json.loads(event.data), **changes}
    db.session().execute(
        sa.update(AuditEvent)
        .where(AuditEvent.seq == seq)
        .values(data=json.dumps(data, sort_keys=True, separators=(",", ":")))
    )
    db.session().commit()


def test_a_broken_audit_chain_is_caught(app, attested):
    with app.app_context():
        event = db.session().scalar(
            sa.select(AuditEvent).where(AuditEvent.event == "memo:attestera").limit(1)
        )
        _rewrite_event(event.seq, step=9)
        result, _ = verify_with_records(attested.pdf, organisation())
        assert result.verdict == "invalid"
        failed = [c.message for c in records_checks(result) if c.status == "failed"]
        assert any(m.startswith("Granskningsloggen är bruten vid post ") for m in failed)
        # The rewritten event no longer logs that step's attestation either.
        assert any("granskningsloggen har ingen händelse om attesten" in m for m in failed)


def test_one_memos_check_reads_its_own_part_of_the_chain(app, signed_people, clock):
    """A memo is vouched for by its own events up to the timestamped heads after them: the
    check reads a bounded part of the chain, and a break elsewhere is `attest audit verify`'s
    to find, not this memo's."""
    from attest.attestation.audit_anchor import verify_audit, verify_audit_of

    first = attest_one(app, signed_people, clock, rubrik="Första")
    later = [attest_one(app, signed_people, clock, rubrik=f"Senare {n}") for n in range(3)]
    with app.app_context():
        total = db.session().scalar(sa.select(sa.func.count()).select_from(AuditEvent))
        result, _ = verify_with_records(first.pdf, organisation())
        [audit_check] = [c for c in records_checks(result) if "Granskningsloggen" in c.message]
        checked = int(audit_check.message.split("(")[1].split()[0])
        assert 0 < checked < total / 3  # not the history after it
        own = (
            db.session()
            .scalars(sa.select(AuditEvent.seq).where(AuditEvent.memo_id == later[0].memo_id))
            .all()
        )
        assert own and verify_audit_of(own).ok
        # Another memo's attestation event rewritten: that memo fails, this one still holds.
        [other_attest, *_] = db.session().scalars(
            sa.select(AuditEvent.seq).where(
                AuditEvent.memo_id == later[1].memo_id, AuditEvent.event == "memo:attestera"
            )
        )
        _rewrite_event(other_attest, step=9)
        assert verify_with_records(later[1].pdf, organisation())[0].verdict == "invalid"
        assert verify_with_records(first.pdf, organisation())[0].verdict == "valid"
        assert not verify_audit().ok  # and the whole walk finds it


def test_a_truncated_chain_fails_every_memos_check(app, attested):
    with app.app_context():
        last = db.session().scalar(sa.select(sa.func.max(AuditEvent.seq)))
        db.session().execute(sa.delete(AuditEvent).where(AuditEvent.seq == last))
        db.session().commit()
        result, _ = verify_with_records(attested.pdf, organisation())
        failed = [c.message for c in records_checks(result) if c.status == "failed"]
        assert any("kedjan är kortare" in m for m in failed), failed


def test_a_pdf_the_records_do_not_know_is_not_checked_and_keeps_the_files_verdict(
    app, attested, cached_pki, clock
):
    """Signed with certificates of the organisation's CA, but never through attest's workflow."""
    attesters = tuple(
        make_attester(cached_pki, name, title)
        for name, title in (
            ("Jenny Johansson", "Avdelningschef"),
            ("Anders Carstorp", "Stadsdelsdirektör"),
        )
    )
    foreign = run_flow(cached_pki, attesters, render_memo(reference_doc())).final
    clock.at = dt.datetime(2024, 8, 23, 8, 0, tzinfo=dt.timezone.utc)  # after it was archived
    with app.app_context():
        result, comparison = verify_with_records(foreign, organisation())
        assert comparison.submission is None
        assert result.verdict == "valid", failed_text(result)
        [records] = records_checks(result)
        assert records.status == "not_checked"
        assert records.message.startswith(
            "Inte kontrollerat: dokumentet finns inte i attests register för "
            "Enskede-Årsta-Vantörs stadsdelsförvaltning"
        )


def test_another_organisations_file_is_not_looked_up_in_its_records(app, attested):
    with app.app_context():
        other = factories.organisation("SÖS", name="Södermalms stadsdelsförvaltning")
        result = verify_with_records(attested.pdf, organisation())[0]
        checks = check_records(attested.pdf, result, organisation=other)
        assert [c.status for c in checks] == ["not_checked"]
        assert "Södermalms stadsdelsförvaltning" in checks[0].message


def test_a_voided_submission_contradicts_an_attested_looking_copy(app, signed_people, clock):
    with app.app_context():
        author = get_user(signed_people.handlaggare.username)
        memo = create_memo(author, factories.content(rubrik="Returneras"))
        submit_memo(memo, author)
        attest_memo(memo, get_user(signed_people.avdelningschef.username), password=PASSWORD)
        db.session().commit()
        submission = db.session().scalar(sa.select(Submission))
        pdf = blobs.store().get(submission.current_pdf_sha256)
        return_memo(memo, get_user(signed_people.stadsdelsdirektor.username), "Komplettera.")
        db.session().commit()
        result, _ = verify_with_records(pdf, organisation())
        failed = [c.message for c in records_checks(result) if c.status == "failed"]
        assert any("inskickningen avbröts" in m for m in failed)


def test_an_unreadable_file_is_not_compared(app, attested):
    with app.app_context():
        result, comparison = verify_with_records(b"hello", organisation())
        assert result.unusable and comparison.submission is None
        [records] = records_checks(result)
        assert records.status == "not_checked"
        assert "kunde inte läsas som PDF" in records.message


def test_with_records_makes_a_valid_file_invalid_only_when_a_record_fails(app, attested):
    with app.app_context():
        from attest.verify.records import organisation_trust

        trust, crls = organisation_trust(organisation())
        from attest import clock as app_clock
        from attest.verify import verify_pdf

        offline = verify_pdf(attested.pdf, trust=trust, crls=crls, now=app_clock.now())
        assert offline.verdict == "valid"
        assert [c.status for c in records_checks(offline)] == ["not_checked"]
        comparison = compare_with_records(attested.pdf, offline)
        merged = with_records(offline, comparison.checks)
        assert merged.verdict == "valid"
        assert len(records_checks(merged)) == len(comparison.checks) > 1
        failing = Check("records", "failed", "Stämmer inte.", "Does not match.")
        assert with_records(offline, [failing]).verdict == "invalid"
        unknown = Check("records", "not_checked", "Okänd.", "Unknown.")
        assert with_records(offline, [unknown]).verdict == "valid"
