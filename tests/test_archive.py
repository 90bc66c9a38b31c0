"""The archive export: one E-ARK SIP per attested memo (attest archive export), valid for the
E-ARK validator, its checksums in METS catching any changed byte, deterministic, and in
bounded memory however many memos a period has."""

from __future__ import annotations

import filecmp
import json
import tracemalloc
from pathlib import Path

import pytest
from lxml import etree

from attest import db
from attest.archive import operations
from attest.archive.operations import export_period, parse_period
from attest.archive.sip import ERMS_NS, METS_NS, PREMIS_NS, XLINK_NS
from attest.orgs.operations import get_organisation
from tests.support import eark, pdfa

AUGUST = ("--since", "2024-08-01", "--until", "2024-08-31")


def _export(runner, out: Path, *period: str) -> list[Path]:
    result = runner.invoke(
        args=["archive", "export", "--org", "EÅV", *(period or AUGUST), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return [Path(line) for line in result.stdout.splitlines() if line.strip()]


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


@pytest.mark.slow
def test_every_exported_package_is_a_valid_sip(app, runner, three_days, tmp_path):
    packages = _export(runner, tmp_path / "ut")
    assert len(packages) == 3
    reports = eark.validate(packages)
    assert len(reports) == 3
    for report in reports:
        assert report["structure"] == "WellFormed", report
        assert eark.errors(report) == [], report["errors"]
    for folder, attested in zip(packages, three_days):
        assert eark.checksum_problems(folder) == []
        for path in eark.XML_FILES:
            assert eark.schema_problems(folder, path) == []
        data = sorted((folder / "representations/rep1/data").glob("*.pdf"))
        assert [p.read_bytes() for p in data] == [attested.pdf]
        pdfa.assert_pdfa(data[0].read_bytes(), "the attested PDF in the package")
        report_pdf = (folder / "documentation/verifieringsrapport.pdf").read_bytes()
        pdfa.assert_pdfa(report_pdf, "the verification report")
        report = json.loads((folder / "metadata/preservation/verifieringsrapport.json").read_text())
        assert report["verdict"] == "valid"
    # 0, 1 and 2 bilagor, each as it was attached
    assert [
        len(list((p / "representations/rep1/data/bilagor").glob("*.pdf"))) for p in packages
    ] == [0, 1, 2]


@pytest.mark.slow
def test_the_package_says_what_the_archive_needs(app, runner, attested, tmp_path):
    (folder,) = _export(runner, tmp_path / "ut")
    memo = etree.parse(str(folder / "metadata/descriptive/tjansteutlatande.xml")).getroot()
    text = etree.tostring(memo, encoding="unicode")
    for expected in ("EÅV 2024/1", "Idéburet offentligt partnerskap", "stadsdelsnämnd"):
        assert expected in text
    assert "Jenny Johansson" in text and "Anders Carstorp" in text
    premis = etree.parse(str(folder / "metadata/preservation/premis.xml"))
    events = premis.findall(f".//{{{PREMIS_NS}}}event")
    details = [e.findtext(f".//{{{PREMIS_NS}}}eventDetail") for e in events]
    assert [d.split(" ")[0] for d in details] == [
        "Skickad",
        "Attesterad",
        "Attesterad",
        "Attesteringen",
        "Verifierad",
    ]
    with app.app_context():
        from attest.audit.models import AuditEvent

        hashes = {e.entry_hash for e in db.session().query(AuditEvent)}
    notes = [n.text for n in premis.iter(f"{{{PREMIS_NS}}}eventOutcomeDetailNote")]
    assert notes and all(n.split()[0].removeprefix("entry_hash=") in hashes for n in notes)
    mets = etree.parse(str(folder / "METS.xml"))
    files = mets.findall(f".//{{{METS_NS}}}file")
    assert files and all(f.get("CHECKSUMTYPE") == "SHA-256" for f in files)
    # The CITS ERMS record, referenced from a dmdSec, valid against the ERMS schema.
    refs = {
        ref.get(f"{{{XLINK_NS}}}href"): (ref.get("MDTYPE"), ref.get("OTHERMDTYPE"))
        for ref in mets.findall(f".//{{{METS_NS}}}dmdSec/{{{METS_NS}}}mdRef")
    }
    assert refs["metadata/descriptive/erms.xml"] == ("OTHER", "ERMS")
    assert eark.schema_problems(folder, "metadata/descriptive/erms.xml") == []
    erms = etree.parse(str(folder / "metadata/descriptive/erms.xml"))
    ns = {"e": ERMS_NS}
    record = erms.find(".//e:record", ns)
    assert record.findtext("e:objectId", namespaces=ns) == "EÅV 2024/1"
    assert record.findtext("e:title", namespaces=ns) == "Idéburet offentligt partnerskap"
    agents = {
        a.get("agentType"): a.findtext("e:name", namespaces=ns)
        for a in record.iterfind("e:agents/e:agent", ns)
    }
    assert "stadsdelsnämnd" in agents["recipient"]
    assert agents["other_signatory"] == "Jenny Johansson"
    assert agents["main_signatory"] == "Anders Carstorp"
    kinds = [d.get("dateType") for d in record.iterfind("e:dates/e:date", ns)]
    assert kinds[:3] == ["created", "other_signature", "main_signature"]
    assert len(record.findall("e:eSignatures/e:eSignature", ns)) == 2


@pytest.mark.slow
def test_a_changed_byte_in_any_file_is_caught_by_the_checksums(app, runner, attested, tmp_path):
    (folder,) = _export(runner, tmp_path / "ut")
    # Every file but the package's METS.xml, which lists the others (and cannot list itself).
    targets = [p for p in _files(folder) if p != folder / "METS.xml"]
    assert len(targets) >= 9
    for path in targets:
        original = path.read_bytes()
        changed = bytearray(original)
        changed[len(changed) // 2] ^= 0x01
        path.write_bytes(bytes(changed))
        problems = eark.checksum_problems(folder)
        path.write_bytes(original)
        name = path.relative_to(folder).as_posix()
        # (a damaged representation METS also leaves the files it lists unlisted)
        assert problems[0] == f"{name}: checksum or size differs", (name, problems)
    extra = folder / "representations/rep1/data/extra.pdf"
    extra.write_bytes(b"%PDF-1.4")
    assert eark.checksum_problems(folder) == [
        "representations/rep1/data/extra.pdf: not listed in METS"
    ]


@pytest.mark.slow
def test_the_export_is_deterministic_and_keeps_to_the_period(app, runner, three_days, tmp_path):
    first = _export(runner, tmp_path / "a")
    second = _export(runner, tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second):
        names = [p.relative_to(a) for p in _files(a)]
        assert names == [p.relative_to(b) for p in _files(b)]
        _, mismatch, errors = filecmp.cmpfiles(a, b, [str(n) for n in names], shallow=False)
        assert (mismatch, errors) == ([], [])
    only_15th = _export(runner, tmp_path / "c", "--since", "2024-08-15", "--until", "2024-08-15")
    assert [p.name for p in only_15th] == [first[1].name]


def test_a_refused_export_says_why_in_swedish(app, runner, people, tmp_path):
    result = runner.invoke(
        args=["archive", "export", "--org", "XYZ", *AUGUST, "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    result = runner.invoke(
        args=["archive", "export", "--org", "EÅV", "--since", "2024-08-31", "--until",
              "2024-08-01", "--out", str(tmp_path)]
    )  # fmt: skip
    assert result.exit_code == 2 and "slutdatum" in result.output
    result = runner.invoke(
        args=["archive", "export", "--org", "EÅV", "--since", "31/8", "--until",
              "2024-08-01", "--out", str(tmp_path)]
    )  # fmt: skip
    assert result.exit_code == 2 and "ÅÅÅÅ-MM-DD" in result.output


@pytest.mark.slow
def test_exporting_a_hundred_memos_takes_bounded_memory(app, three_days, tmp_path, monkeypatch):
    """The three attested memos over and over: the peak of 99 packages is not much above the
    peak of 3 (the work is one memo at a time). Each memo's verification is made once and
    reused (under tracemalloc a verification takes seconds; what it holds is per memo)."""
    real_ids, real_verification = operations._submission_ids, operations._verification
    verified: dict[int, tuple] = {}

    def verification_once(submission, pdf):
        if submission.id not in verified:
            verified[submission.id] = real_verification(submission, pdf)
        return verified[submission.id]

    monkeypatch.setattr(operations, "_verification", verification_once)

    def peak(count: int) -> int:
        def repeated(organisation, period):
            found = real_ids(organisation, period)
            return [found[i % len(found)] for i in range(count)]

        monkeypatch.setattr(operations, "_submission_ids", repeated)
        with app.app_context():
            org = get_organisation("EÅV")
            period = parse_period("2024-08-01", "2024-08-31")
            tracemalloc.start()
            written = export_period(org, period, tmp_path / f"n{count}")
            _, top = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            db.session().rollback()
        assert len(written) == count
        return top

    peak(3)  # warm up: imports, fonts, caches, the three verifications
    small = peak(3)
    large = peak(99)
    assert large < small * 1.5, (small, large)


# --- the register page's button -------------------------------------------------------------


@pytest.mark.slow
def test_the_register_page_exports_the_period_as_a_zip_of_packages(
    app, client, auth, attested, tmp_path
):
    import io
    import zipfile

    auth.login("reg-EÅV")
    page = client.get("/attesterade").get_data(as_text=True)
    assert "Exportera till arkivet" in page
    response = auth.post(
        "/attesterade/arkiv", {"since": "2024-08-01", "until": "2024-08-31"}, page="/attesterade"
    )
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        archive.extractall(tmp_path / "zip")
    (folder,) = [p for p in (tmp_path / "zip").iterdir() if p.is_dir()]
    assert eark.checksum_problems(folder) == []
    (report,) = eark.validate([folder])
    assert eark.errors(report) == []
    with app.app_context():
        from attest.audit.models import AuditEvent

        events = db.session().query(AuditEvent).filter_by(event=operations.EXPORTED).all()
        assert [json.loads(e.data)["packages"] for e in events] == [1]


def test_the_export_button_is_for_registrators_and_refuses_bad_periods(app, client, auth, people):
    auth.login("hl-EÅV")
    refused = auth.post("/attesterade/arkiv", {"since": "2024-08-01", "until": "2024-08-31"})
    assert refused.status_code == 403
    auth.logout()
    auth.login("reg-EÅV")
    assert client.post("/attesterade/arkiv", data={"since": "2024-08-01"}).status_code == 400
    for data, message in (
        ({"since": "2024-08-31", "until": "2024-08-01"}, "slutdatum"),
        ({"since": "igår", "until": "2024-08-01"}, "ÅÅÅÅ-MM-DD"),
        ({"since": "2024-08-01", "until": "2024-08-31"}, "Inga tjänsteutlåtanden"),
    ):
        response = auth.post("/attesterade/arkiv", data, page="/attesterade", follow_redirects=True)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
