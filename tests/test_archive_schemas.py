"""The archive package carries its schemas: every XML file names them by a relative path
into schemas/ and is valid against them, offline; the CITS ERMS record says what the
archive needs. A package written from plain facts (attest.archive.sip), no database."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from lxml import etree

from attest.archive.sip import (
    ERMS_NS,
    SCHEMAS,
    Content,
    Event,
    MemoPackage,
    Person,
    listed_files,
    write_package,
)
from tests.support import eark, factories

pytestmark = pytest.mark.once  # no database

AT = dt.datetime(2024, 8, 14, 13, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    pdf = factories.pdf_bytes()
    facts = MemoPackage(
        organisation="Enskede-Årsta-Vantörs stadsdelsförvaltning",
        organisation_code="EÅV",
        board="Enskede-Årsta-Vantörs stadsdelsnämnd",
        dnr="EÅV 2024/7",
        rubrik="Läxhjälp i Rågsved <&>",
        underrubrik="Förlängning",
        meeting_date=dt.date(2024, 9, 10),
        version_number=2,
        submission_number=2,
        frozen_at=AT,
        attested_at=AT + dt.timedelta(days=1),
        verification_code="7KQ2-M9XD",
        people=(
            Person("handläggare", "Evelyn Garate Ormazabal"),
            Person("avdelningschef", "Jenny Johansson", "Avdelningschef", "p-1", AT),
            Person(
                "stadsdelsdirektör",
                "Anders Carstorp",
                "Stadsdelsdirektör",
                "p-2",
                AT + dt.timedelta(days=1),
            ),
        ),
        events=(Event(1, "sent", AT, "Skickad för attest", "Evelyn Garate Ormazabal"),),
        attested_pdf=Content("EAV-2024-7.pdf", pdf, AT),
        bilagor=(Content("bilagor/01-slutrapport.pdf", pdf, AT),),
        verification_json=Content("verifieringsrapport.json", b"{}", AT, "application/json"),
        verification_pdf=Content("verifieringsrapport.pdf", pdf, AT),
        exported_at=AT + dt.timedelta(days=2),
        frozen_pdf_sha256="0" * 64,
    )
    return write_package(facts, tmp_path_factory.mktemp("sip"))


@pytest.mark.parametrize("path", eark.XML_FILES)
def test_every_xml_file_is_valid_against_the_schemas_the_package_carries(package, path):
    assert eark.schema_problems(package, path) == []


def test_the_package_carries_every_schema_and_lists_it_in_mets(package):
    assert sorted(p.name for p in (package / "schemas").iterdir()) == sorted(SCHEMAS)
    listed = {path for path, _, _ in listed_files(package)}
    assert {f"schemas/{name}" for name in SCHEMAS} <= listed
    assert eark.checksum_problems(package) == []


def test_the_erms_record_names_the_memo(package):
    erms = etree.parse(str(package / "metadata/descriptive/erms.xml"))
    ns = {"e": ERMS_NS}
    record = erms.find(".//e:record", ns)
    assert record.findtext("e:objectId", namespaces=ns) == "EÅV 2024/7"
    assert record.findtext("e:title", namespaces=ns) == "Läxhjälp i Rågsved <&>"
    assert record.find("e:extraId", ns).text == "7KQ2-M9XD"
    agents = [
        (
            a.get("agentType"),
            a.findtext("e:name", namespaces=ns),
            a.findtext("e:role", namespaces=ns),
        )
        for a in record.iterfind("e:agents/e:agent", ns)
    ]
    assert agents == [
        ("recipient", "Enskede-Årsta-Vantörs stadsdelsnämnd", None),
        ("creator", "Evelyn Garate Ormazabal", "handläggare"),
        ("other_signatory", "Jenny Johansson", "Avdelningschef"),
        ("main_signatory", "Anders Carstorp", "Stadsdelsdirektör"),
    ]
    dates = [(d.get("dateType"), d.text) for d in record.iterfind("e:dates/e:date", ns)]
    assert dates == [
        ("created", "2024-08-14T13:00:00+00:00"),
        ("other_signature", "2024-08-14T13:00:00+00:00"),
        ("main_signature", "2024-08-15T13:00:00+00:00"),
        ("other", "2024-09-10T00:00:00"),
    ]


# --- the schema check catches what it checks ----------------------------------------------


@pytest.mark.parametrize(
    ("path", "old", "new", "says"),
    [
        # an ERMS record without its Dnr (objectId is required)
        ("metadata/descriptive/erms.xml", "<objectId>EÅV 2024/7</objectId>", "", "objectId"),
        # a schema named by its public address: not carried in the package
        (
            "metadata/preservation/premis.xml",
            "../../schemas/premis.xsd",
            "http://www.loc.gov/standards/premis/v3/premis.xsd",
            "outside the package",
        ),
        ("metadata/descriptive/dc.xml", "../../schemas/dc.xsd", "../../schemas/dc2.xsd", "missing"),
        ("metadata/descriptive/dc.xml", "dc:title>", "dc:titel>", "validation root"),
        ("METS.xml", 'CHECKSUMTYPE="SHA-256"', 'CHECKSUMTYPE="SHA-257"', "CHECKSUMTYPE"),
    ],
    ids=["erms-without-dnr", "premis-schema-by-url", "dc-schema-missing", "dc-unknown", "mets"],
)
def test_the_schema_check_catches(package, tmp_path, path, old, new, says):
    copy = tmp_path / package.name
    shutil.copytree(package, copy)
    target = copy / path
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new), encoding="utf-8")
    problems = eark.schema_problems(copy, path)
    assert any(says in problem for problem in problems), problems
