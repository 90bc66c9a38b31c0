"""Bulk verification of a period: every attested memo's stored PDF through the core and the
records, in process or in a pool; the CLI ``attest verify-all``; and 100 genuine memos made
through the real workflow (varied content, 0–5 bilagor, 1–3 step routes) that all verify."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import sqlalchemy as sa

from attest import db
from attest.memos.bilagor import check_pdf
from attest.memos.operations import DraftContent, create_memo
from attest.memos.sections import MEMO_TYPE_TJANSTEUTLATANDE
from attest.orgs.operations import get_organisation
from attest.users.operations import add_role, get_user
from attest.verify.bulk import BulkReport, period_bounds, verify_all
from attest.workflow.models import Attestation
from attest.workflow.operations import attest_memo, return_memo, submit_memo
from attest.workflow.routes import set_route
from tests.support import factories
from tests.support.worlds import attest_one

PASSWORD = factories.PASSWORD


def verdicts(report: BulkReport) -> list[tuple[str, str]]:
    return [(item.dnr, item.verdict) for item in report.items]


def test_the_period_is_whole_days_in_stockholm():
    start, end = period_bounds(dt.date(2024, 8, 15), dt.date(2024, 8, 15))
    assert start == dt.datetime(2024, 8, 14, 22, 0, tzinfo=dt.timezone.utc)
    assert end == dt.datetime(2024, 8, 15, 22, 0, tzinfo=dt.timezone.utc)
    assert period_bounds(dt.date(2024, 1, 1), None)[1] is None


def test_every_memo_attested_in_the_period_is_verified_valid(app, three_days):
    calls = []
    with app.app_context():
        org = get_organisation("EÅV")
        report = verify_all(org, dt.date(2024, 8, 15), progress=lambda *a: calls.append(a))
        assert verdicts(report) == [("EÅV 2024/2", "valid"), ("EÅV 2024/3", "valid")]
        assert calls == [(1, 2), (2, 2)]
        assert report.ok and report.audit_ok and report.valid == report.total == 2
        assert [i.rubrik for i in report.items] == ["Ärende 1", "Ärende 2"]
        only_first = verify_all(org, dt.date(2024, 8, 1), dt.date(2024, 8, 14))
        assert verdicts(only_first) == [("EÅV 2024/1", "valid")]
        assert verify_all(org, dt.date(2025, 1, 1)).total == 0


def test_a_tf_attestation_is_valid_in_bulk(app, acting_attested, runner):
    with app.app_context():
        report = verify_all(get_organisation("EÅV"), dt.date(2024, 1, 1))
        assert verdicts(report) == [("EÅV 2024/1", "valid")], report.not_valid
    result = runner.invoke(args=["verify-all", "--since", "2024-01-01", "--org", "EÅV"])
    assert result.exit_code == 0, result.output


def test_a_three_step_route_is_valid_in_bulk(app, three_steps):
    with app.app_context():
        report = verify_all(get_organisation("EÅV"), dt.date(2024, 1, 1))
        assert verdicts(report) == [("EÅV 2024/1", "valid")], report.not_valid


def test_each_forvaltning_is_verified_with_its_own_ca_in_bulk(app, two_organisations, runner):
    with app.app_context():
        report = verify_all(get_organisation("SKV"), dt.date(2024, 1, 1))
        assert verdicts(report) == [("SKV 2024/1", "valid")], report.not_valid
    result = runner.invoke(args=["verify-all", "--since", "2024-01-01"])
    assert result.exit_code == 0, result.output


def test_a_pool_of_two_gives_the_same_report(app, three_days):
    with app.app_context():
        org = get_organisation("EÅV")
        alone = verify_all(org, dt.date(2024, 1, 1), workers=1)
        pooled = verify_all(org, dt.date(2024, 1, 1), workers=2)
        assert pooled.workers == 2 and alone.workers == 1
        assert (
            verdicts(pooled)
            == verdicts(alone)
            == [
                ("EÅV 2024/1", "valid"),
                ("EÅV 2024/2", "valid"),
                ("EÅV 2024/3", "valid"),
            ]
        )


def test_an_edited_record_is_reported_with_its_reason_and_in_the_csv(app, three_days):
    with app.app_context():
        db.session().execute(
            sa.update(Attestation)
            .where(Attestation.submission_id == three_days[1].submission_id)
            .where(Attestation.position == 2)
            .values(certificate_sha256="ef" * 32)
        )
        db.session().commit()
        report = verify_all(get_organisation("EÅV"), dt.date(2024, 1, 1), workers=2)
    assert verdicts(report) == [
        ("EÅV 2024/1", "valid"),
        ("EÅV 2024/2", "invalid"),
        ("EÅV 2024/3", "valid"),
    ]
    [bad] = report.not_valid
    assert [(c.code, c.subject) for c in bad.problems] == [("records", "attest-steg-2")]
    assert "certifikatets fingeravtryck" in bad.problems[0].message
    rows = report.to_csv().lstrip("\ufeff").splitlines()
    assert len(rows) == 4
    assert rows[2].startswith("EÅV 2024/2;Ärende 1;1;")
    assert (
        ";Ogiltig;Jämförd med register och logg (attest-steg-2);Attesten i attest-steg-2" in rows[2]
    )
    data = report.to_dict()
    assert data["invalid"] == 1 and data["items"][1]["problems"][0]["subject"] == "attest-steg-2"


def test_a_rubrik_cannot_become_a_spreadsheet_formula(app, signed_people, clock):
    attest_one(app, signed_people, clock, rubrik="=HYPERLINK(1)")
    with app.app_context():
        report = verify_all(get_organisation("EÅV"), dt.date(2024, 1, 1))
    assert ";'=HYPERLINK(1);" in report.to_csv()


# --- attest verify-all ----------------------------------------------------------------------


def test_the_cli_prints_the_summary_and_exits_0_when_all_are_valid(app, three_days, runner):
    result = runner.invoke(args=["verify-all", "--since", "2024-08-15", "--org", "EÅV"])
    assert result.exit_code == 0, result.output
    assert "EÅV 2024-08-15 – i dag: 2 av 2 giltiga" in result.output
    result = runner.invoke(args=["verify-all", "--since", "2024-01-01", "--json", "--org", "EÅV"])
    assert result.exit_code == 0
    data = json.loads(result.output[result.output.index("{") :])
    assert data["total"] == 3 and data["valid"] == 3 and data["until"] is None
    with app.app_context():
        from attest.audit.models import AuditEvent

        events = db.session().scalars(
            sa.select(AuditEvent.data).where(AuditEvent.event == "verification:bulk:performed")
        )
        assert [json.loads(e)["source"] for e in events] == ["cli", "cli"]


def test_the_cli_exits_1_and_names_what_is_wrong(app, three_days, runner):
    with app.app_context():
        db.session().execute(
            sa.update(Attestation)
            .where(Attestation.submission_id == three_days[0].submission_id)
            .values(signer_name="Någon Annan")
        )
        db.session().commit()
    result = runner.invoke(args=["verify-all", "--since", "2024-01-01", "--until", "2024-12-31"])
    assert result.exit_code == 1
    assert "EÅV 2024-01-01 – 2024-12-31: 2 av 3 giltiga" in result.output
    assert "EÅV 2024/1 ”Ärende 0”" in result.output and ": Ogiltig" in result.output
    assert "namnet är Jenny Johansson i filen men Någon Annan i registret" in result.output


def test_the_cli_refuses_an_unknown_organisation_and_a_bad_date(app, signed_people, runner):
    result = runner.invoke(args=["verify-all", "--since", "2024-01-01", "--org", "NOPE"])
    assert result.exit_code == 2 and "Okänd organisation: NOPE" in result.output
    assert runner.invoke(args=["verify-all", "--since", "1 januari"]).exit_code == 2


# --- 100 genuine attested PDFs --------------------------------------------------------------

PARAGRAPHS = (
    "Förvaltningen föreslår att nämnden godkänner rapporten.",
    "Samarbetet har pågått sedan 2021 och omfattar fritidsverksamhet för barn och unga i "
    "Enskede, Årsta och Vantör. Föreningen har redovisat verksamheten varje kvartal.",
    "Ärendet har beretts i samverkan med avdelningen för ekonomi och med föreningens styrelse."
    "\n\nSynpunkter har inhämtats från det lokala pensionärsrådet och funktionshinderrådet.",
)
SUBJECTS = ("Föreningsbidrag", "Lokalhyra", "Idéburet partnerskap")
SUBSECTION = "Jämställdhetsanalys och barnrättsperspektiv"
ROUTES = (
    ("avdelningschef",),
    ("avdelningschef", "stadsdelsdirektor"),
    ("avdelningschef", "ekonomichef", "stadsdelsdirektor"),
)


def _content(number: int) -> DraftContent:
    text = PARAGRAPHS[number % 3]
    return DraftContent(
        rubrik=f"Ärende {number}: {SUBJECTS[number % 3]}",
        underrubrik="Svar på remiss" if number % 4 == 0 else "",
        meeting_date=dt.date(2024, 9, 1 + number % 28),  # required before sending
        forslag_till_beslut=f"1. Nämnden godkänner förslaget ({number}).",
        sammanfattning=(text + "\n\n") * (1 + number % 4),
        bakgrund=PARAGRAPHS[(number + 1) % 3] * (number % 3),
        arendet=PARAGRAPHS[(number + 2) % 3],
        synpunkter=PARAGRAPHS[0],
        subsections=(
            [("Jämställdhetsanalys och barnrättsperspektiv", text)] if number % 5 == 0 else []
        ),
    )


BULK_MEMOS = 100
BULK_PARTS = 4  # run side by side by pytest-xdist; each part has every route and bilaga count


@pytest.mark.slow
@pytest.mark.once  # CPU work (signing, verifying) the same on both databases
@pytest.mark.parametrize("part", range(BULK_PARTS))
def test_100_genuine_attested_pdfs_of_varied_memos_and_routes_all_verify(
    app, signed_people, clock, capsys, part
):
    """100 memos in all (BULK_PARTS parts), made through the workflow with every route length
    and 0–5 bilagor, some returned and sent again: every one verifies valid in bulk.
    (How fast bulk verification is, is measured by bench/bench_verify.py.)"""
    size = BULK_MEMOS // BULK_PARTS
    numbers = range(part * size, (part + 1) * size)
    started = time.perf_counter()
    with app.app_context():
        org = get_organisation("EÅV")
        add_role("ekonomichef", "Ekonomichef")
        factories.user(
            org, "ekonomichef", username="ek-EÅV", full_name="Maria Lind", title="Ekonomichef"
        )
        author = get_user(signed_people.handlaggare.username)
        people = {
            "avdelningschef": get_user(signed_people.avdelningschef.username),
            "ekonomichef": get_user("ek-EÅV"),
            "stadsdelsdirektor": get_user(signed_people.stadsdelsdirektor.username),
        }
        bilaga_pdfs = [
            factories.pdf_bytes(pages, f"Bilaga med {pages} sidor") for pages in (1, 2, 3)
        ]
        routes_used, bilagor_used = set(), set()
        for number in numbers:
            route = ROUTES[number % 3]
            set_route(org, MEMO_TYPE_TJANSTEUTLATANDE, route)
            count = number % 6
            uploads = [
                check_pdf(f"bilaga-{number}-{n}.pdf", bilaga_pdfs[(number + n) % 3])
                for n in range(count)
            ]
            memo = create_memo(author, _content(number), uploads)
            submit_memo(memo, author)
            if number % 10 == 9:  # returned once and sent again: a voided submission first
                return_memo(memo, people[route[0]], "Komplettera beslutsförslaget.")
                submit_memo(memo, author)
            for role in route:
                clock.advance(minutes=7)
                attest_memo(memo, people[role], password=PASSWORD)
            db.session().commit()
            routes_used.add(len(route))
            bilagor_used.add(count)
        made = time.perf_counter() - started

        assert routes_used == {1, 2, 3} and bilagor_used == {0, 1, 2, 3, 4, 5}
        checked = time.perf_counter()
        report = verify_all(org, dt.date(2024, 1, 1), workers=2)
        pooled = time.perf_counter() - checked
    assert report.total == size
    assert [i for i in report.items if i.verdict != "valid"] == []
    assert report.ok and report.audit_ok
    with capsys.disabled():
        print(
            f"\nbulk part {part + 1}/{BULK_PARTS}: {size} attested PDFs made through the "
            f"workflow in {made:.1f} s; verified (core + records) in {pooled:.1f} s: "
            f"{report.rate:.1f} PDFs/s with 2 workers"
        )


def test_a_broken_audit_log_is_told_in_the_readers_language(app, three_days, signed_people, auth):
    """The report keeps "post N: <reason>" in Swedish (JSON, CLI); the page says it in the
    reader's language."""
    from attest.audit.models import AuditEvent
    from tests.support.web import choose

    with app.app_context():
        seq = db.session().scalar(sa.select(sa.func.min(AuditEvent.seq)))
        db.session().execute(
            sa.update(AuditEvent).where(AuditEvent.seq == seq).values(data='{"memo":999}')
        )
        db.session().commit()
        report = verify_all(get_organisation("EÅV"), dt.date(2024, 1, 1), workers=1)
    assert report.audit_reason == f"post {seq}: posten har ändrats"
    auth.login(signed_people.registrator.username)
    form = {"since": "2024-01-01", "until": ""}
    text = " ".join(
        auth.post("/verifiera/alla", form, page="/verifiera/alla").get_data(as_text=True).split()
    )
    assert f"post {seq}: posten har ändrats" in text
    choose(auth.client, "en")
    text = " ".join(
        auth.post("/verifiera/alla", form, page="/verifiera/alla").get_data(as_text=True).split()
    )
    assert f"entry {seq}: the entry has been changed" in text, text
