"""One attested memo as an E-ARK SIP (CSIP 2.1 / SIP 2.1, as FGS Paketstruktur 2.0 profiles
them): pure functions from plain facts to files, no database and no Flask.

The package (a folder named by its OBJID):

    METS.xml                                   the package: agents, metadata, files, structure
    metadata/descriptive/tjansteutlatande.xml  the memo's facts (attest's own schema, below)
    metadata/descriptive/dc.xml                the same in Dublin Core
    metadata/descriptive/erms.xml              the same as an E-ARK CITS ERMS 3 record
    schemas/                                   every schema the XML files use (attest's,
                                               METS, XLink, CSIP/SIP, PREMIS, DC, ERMS)
    metadata/preservation/premis.xml           PREMIS 3: the objects, the people and attest,
                                               the events from the audit log with its hashes
    metadata/preservation/verifieringsrapport.json   the verification at export
    documentation/verifieringsrapport.pdf      the same for people (PDF/A-2b)
    representations/rep1/METS.xml              the representation
    representations/rep1/data/<memo>.pdf       the attested PDF/A (memo, bilagor, signatures)
    representations/rep1/data/bilagor/NN-<name>.pdf   each bilaga as it was attached

Every file is listed in a METS with its SHA-256, size, MIME type and time. The output is
deterministic: the same facts (including the export time) give the same bytes, so a
package can be made again and compared.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from lxml import etree

METS_NS = "http://www.loc.gov/METS/"
XLINK_NS = "http://www.w3.org/1999/xlink"
CSIP_NS = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
SIP_NS = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
PREMIS_NS = "http://www.loc.gov/premis/v3"
DC_NS = "http://purl.org/dc/elements/1.1/"
ERMS_NS = "https://DILCIS.eu/XML/ERMS"
# attest's descriptive schema of a tjänsteutlåtande (documented in docs/arkiv.md).
MEMO_NS = "https://attest.invalid/arkiv/tjansteutlatande/1.0/"

CSIP_PROFILE = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
CONTENT_CATEGORY = "Text"
OTHER_CONTENT_TYPE = "attest-tjansteutlatande"
SOFTWARE = "attest"
PDF = "application/pdf"
# PRONOM: Acrobat PDF/A - Portable Document Format, version 2b.
PDFA2B_PUID = "fmt/476"
SCHEMA_DIR = Path(__file__).with_name("schemas")
# Every schema the package's XML files use, copied into its schemas/ folder (CSIP: the
# package carries its schemas) and named by their xsi:schemaLocation (relative paths).
# Where each comes from and its licence: schemas/README.md.
SCHEMAS = (
    "attest-tjansteutlatande.xsd",
    "mets.xsd",
    "xlink.xsd",
    "DILCISExtensionMETS.xsd",
    "DILCISExtensionSIPMETS.xsd",
    "premis.xsd",
    "dc.xsd",
    "xml.xsd",
    "ERMS.xsd",
)
# Namespace -> its schema file, for xsi:schemaLocation.
SCHEMA_OF = {
    "http://www.loc.gov/METS/": "mets.xsd",
    "http://www.w3.org/1999/xlink": "xlink.xsd",
    "https://DILCIS.eu/XML/METS/CSIPExtensionMETS": "DILCISExtensionMETS.xsd",
    "https://DILCIS.eu/XML/METS/SIPExtensionMETS": "DILCISExtensionSIPMETS.xsd",
    "http://www.loc.gov/premis/v3": "premis.xsd",
    "http://purl.org/dc/elements/1.1/": "dc.xsd",
    "https://DILCIS.eu/XML/ERMS": "ERMS.xsd",
    "https://attest.invalid/arkiv/tjansteutlatande/1.0/": "attest-tjansteutlatande.xsd",
}
LOC_EVENT_TYPES = "https://id.loc.gov/vocabulary/preservation/eventType"
# From a file in metadata/descriptive/ or metadata/preservation/, and from
# representations/rep1/, to the package's schemas/ folder.
METADATA_TO_SCHEMAS = "../../schemas/"

# Namespace prefix per namespace, as the files write them.
# eark-validator 1.1.3 asks every file group for these (CSIP63), not only representations.
_GROUP_TYPE = {
    f"{{{CSIP_NS}}}CONTENTINFORMATIONTYPE": "OTHER",
    f"{{{CSIP_NS}}}OTHERCONTENTINFORMATIONTYPE": OTHER_CONTENT_TYPE,
}

_NSMAP = {
    "mets": METS_NS,
    "xlink": XLINK_NS,
    "csip": CSIP_NS,
    "sip": SIP_NS,
    "xsi": XSI_NS,
}


@dataclass(frozen=True)
class Person:
    """Someone the memo names: the handläggare, an attester (with role and time)."""

    role: str  # "handläggare", "avdelningschef" ...: as the memo names the part
    name: str
    title: str = ""
    person_id: str = ""  # the certificate's stable identifier, when there is one
    at: dt.datetime | None = None  # when they attested


@dataclass(frozen=True)
class Event:
    """One audit log entry about the memo, with the chain's hashes."""

    seq: int
    kind: str  # "sent", "attested", "returned", "withdrawn", "sealed", "verified"
    at: dt.datetime
    detail: str  # Swedish
    actor: str = ""
    outcome: str = ""
    entry_hash: str = ""
    prev_hash: str = ""


@dataclass(frozen=True)
class Content:
    """A file of the package, with the time it was made."""

    name: str  # file name within its folder
    data: bytes
    created_at: dt.datetime
    mimetype: str = PDF


@dataclass(frozen=True)
class MemoPackage:
    """Everything one SIP says."""

    organisation: str
    organisation_code: str
    board: str  # the nämnd
    dnr: str
    rubrik: str
    underrubrik: str
    meeting_date: dt.date | None
    version_number: int
    submission_number: int
    frozen_at: dt.datetime
    attested_at: dt.datetime
    verification_code: str
    people: tuple[Person, ...]
    events: tuple[Event, ...]
    attested_pdf: Content
    bilagor: tuple[Content, ...]
    verification_json: Content
    verification_pdf: Content
    exported_at: dt.datetime
    software_version: str = ""
    frozen_pdf_sha256: str = ""
    extra_notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def objid(self) -> str:
        """Stable for this attested version: the same memo exported again has the same id."""
        name = (
            f"{self.organisation_code}|{self.dnr}|{self.submission_number}|{self.frozen_pdf_sha256}"
        )
        return f"uuid-{uuid.uuid5(uuid.NAMESPACE_URL, 'attest:' + name)}"


@dataclass(frozen=True)
class WrittenFile:
    path: str  # relative to the package folder, with "/"
    sha256: str
    size: int


# --- helpers -------------------------------------------------------------------------------


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()


def safe_name(text: str, fallback: str = "fil") -> str:
    """A portable file name: ASCII letters, digits, '-', '_' and '.', no leading dot."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_text).strip("-.")
    return (cleaned or fallback)[:120]


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _schema_location(to_schemas: str, *namespaces: str) -> dict[str, str]:
    """xsi:schemaLocation naming the package's own copies, from a file ``to_schemas``
    (a relative path ending in "/") away from the schemas folder."""
    pairs = (f"{ns} {to_schemas}{SCHEMA_OF[ns]}" for ns in namespaces)
    return {_q(XSI_NS, "schemaLocation"): " ".join(pairs)}


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


class _Writer:
    """Writes files under the package folder and remembers their digests."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: dict[str, WrittenFile] = {}

    def write(self, path: str, data: bytes) -> WrittenFile:
        target = self.folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written = WrittenFile(path, hashlib.sha256(data).hexdigest(), len(data))
        self.files[path] = written
        return written


# --- the metadata files --------------------------------------------------------------------


def memo_xml(package: MemoPackage) -> bytes:
    """The memo's facts in attest's descriptive schema."""
    root = etree.Element(
        _q(MEMO_NS, "tjansteutlatande"),
        _schema_location(METADATA_TO_SCHEMAS, MEMO_NS),
        nsmap={None: MEMO_NS, "xsi": XSI_NS},
    )

    def add(parent: etree._Element, name: str, text: str, **attrs: str) -> etree._Element:
        element = etree.SubElement(parent, _q(MEMO_NS, name), attrs)
        element.text = text
        return element

    add(root, "dnr", package.dnr)
    add(root, "rubrik", package.rubrik)
    if package.underrubrik:
        add(root, "underrubrik", package.underrubrik)
    add(root, "organisation", package.organisation, kod=package.organisation_code)
    add(root, "namnd", package.board)
    if package.meeting_date is not None:
        add(root, "sammantradesdatum", package.meeting_date.isoformat())
    add(root, "version", str(package.version_number))
    add(root, "fastlagd", _utc(package.frozen_at))
    add(root, "attesterad", _utc(package.attested_at))
    add(root, "verifieringskod", package.verification_code)
    people = etree.SubElement(root, _q(MEMO_NS, "personer"))
    for person in package.people:
        attrs = {"roll": person.role}
        if person.person_id:
            attrs["id"] = person.person_id
        element = etree.SubElement(people, _q(MEMO_NS, "person"), attrs)
        add(element, "namn", person.name)
        if person.title:
            add(element, "titel", person.title)
        if person.at is not None:
            add(element, "attesterad", _utc(person.at))
    bilagor = etree.SubElement(root, _q(MEMO_NS, "bilagor"))
    for content in package.bilagor:
        add(bilagor, "bilaga", content.name)
    return _xml(root)


def dc_xml(package: MemoPackage) -> bytes:
    """The memo in simple Dublin Core (title, identifier, creator, contributors, date)."""
    root = etree.Element(
        "metadata", _schema_location(METADATA_TO_SCHEMAS, DC_NS), nsmap={"dc": DC_NS, "xsi": XSI_NS}
    )

    def add(name: str, text: str) -> None:
        etree.SubElement(root, _q(DC_NS, name)).text = text

    add("title", package.rubrik)
    add("identifier", package.dnr)
    add("creator", package.organisation)
    for person in package.people:
        add("contributor", ", ".join(p for p in (person.name, person.title) if p))
    add("date", package.attested_at.astimezone(dt.timezone.utc).date().isoformat())
    add("type", "Tjänsteutlåtande")
    add("format", PDF)
    add("language", "sv")
    add("relation", package.board)
    return _xml(root)


def _erms_datetime(moment: dt.datetime | dt.date) -> str:
    if isinstance(moment, dt.datetime):
        return _utc(moment)
    return f"{moment.isoformat()}T00:00:00"  # a day: ERMS dates are xs:dateTime


def erms_xml(package: MemoPackage) -> bytes:
    """The memo as one record in E-ARK CITS ERMS 3 (the Dnr, rubrik, nämnd, dates, the
    handläggare and the attesters with their signatures), for archives that read ERMS."""
    root = etree.Element(
        _q(ERMS_NS, "erms"),
        _schema_location(METADATA_TO_SCHEMAS, ERMS_NS),
        nsmap={None: ERMS_NS, "xsi": XSI_NS},
    )

    def sub(parent: etree._Element, name: str, text: str | None = None, **attrs: str):
        element = etree.SubElement(parent, _q(ERMS_NS, name), attrs)
        if text is not None:
            element.text = text
        return element

    def agent(parent: etree._Element, kind: str, name: str, **fields: str) -> None:
        element = sub(parent, "agent", agentType=kind)
        sub(element, "name", name)
        if fields.get("organisation"):
            sub(element, "organisation", fields["organisation"])
        if fields.get("id_number"):
            sub(element, "idNumber", fields["id_number"], idNumberType="certifikatets person-id")
        if fields.get("role"):
            sub(element, "role", fields["role"])

    control = sub(root, "control")
    sub(control, "identification", package.objid, identificationType="OBJID")
    maintenance = sub(control, "maintenanceInformation")
    sub(maintenance, "maintenanceStatus", value="new")
    agency = sub(maintenance, "maintenanceAgency")
    # The code as attest knows the organisation (its Dnr prefix); an archive may agree
    # another in the submission agreement.
    sub(agency, "agencyCode", package.organisation_code, type="attest-organisationskod")
    sub(agency, "agencyName", package.organisation)
    event = sub(sub(maintenance, "maintenanceHistory"), "maintenanceEvent")
    sub(event, "eventType", value="created")
    sub(event, "eventDateTime", _utc(package.exported_at))
    agent(event, "creator", SOFTWARE, role="programvara som skapade paketet")

    record = sub(
        sub(root, "records"),
        "record",
        systemIdentifier=package.objid,
        recordType="Tjänsteutlåtande",
        recordPhysicalOrDigital="digital",
    )
    sub(record, "objectId", package.dnr)
    sub(record, "extraId", package.verification_code, extraIdType="verifieringskod")
    sub(record, "title", package.rubrik)
    if package.underrubrik:
        sub(record, "otherTitle", package.underrubrik, titleType="underrubrik")
    agents = sub(record, "agents")
    agent(agents, "recipient", package.board, organisation=package.organisation)
    attesters = [person for person in package.people if person.at is not None]
    for person in package.people:
        if person.at is None:
            kind = "creator"
        else:
            kind = "main_signatory" if person is attesters[-1] else "other_signatory"
        role = person.title or person.role  # the certificate's title, as the row shows it
        agent(
            agents,
            kind,
            person.name,
            organisation=package.organisation,
            id_number=person.person_id,
            role=role,
        )
    dates = sub(record, "dates")
    sub(dates, "date", _erms_datetime(package.frozen_at), dateType="created")
    for person in attesters:
        kind = "main_signature" if person is attesters[-1] else "other_signature"
        assert person.at is not None
        sub(dates, "date", _erms_datetime(person.at), dateType=kind)
    if package.meeting_date is not None:
        sub(
            dates,
            "date",
            _erms_datetime(package.meeting_date),
            dateType="other",
            otherDateType="sammanträdesdatum",
        )
    notes = sub(record, "notes")
    for content in package.bilagor:
        sub(notes, "note", content.name, noteType="bilaga")
    signatures = sub(record, "eSignatures")
    for _person in attesters:
        # Each attestation is a PAdES signature in the PDF, verified when the package was made.
        sub(
            signatures,
            "eSignature",
            present="true",
            dateeSignatureIsVerified=_utc(package.exported_at),
        )
    return _xml(root)


_EVENT_TYPES = {  # kind -> (PREMIS eventType, from the LoC vocabulary or not)
    "sent": ("creation", True),
    "attested": ("digital signature generation", True),
    "sealed": ("digital signature generation", True),
    "verified": ("validation", True),
    "returned": ("returnerad", False),
    "withdrawn": ("återkallad", False),
}


def premis_xml(package: MemoPackage, files: Sequence[WrittenFile]) -> bytes:
    """PREMIS 3: each content file as an object with its fixity, the events of the audit
    log with their chain hashes, and the agents (people, the organisation, attest)."""
    root = etree.Element(
        _q(PREMIS_NS, "premis"),
        {"version": "3.0", **_schema_location(METADATA_TO_SCHEMAS, PREMIS_NS)},
        nsmap={"premis": PREMIS_NS, "xsi": XSI_NS},
    )

    def sub(parent: etree._Element, name: str, text: str | None = None, **attrs: str):
        element = etree.SubElement(parent, _q(PREMIS_NS, name), attrs)
        if text is not None:
            element.text = text
        return element

    for written in files:
        obj = sub(root, "object", **{_q(XSI_NS, "type"): "premis:file"})
        identifier = sub(obj, "objectIdentifier")
        sub(identifier, "objectIdentifierType", "filepath")
        sub(identifier, "objectIdentifierValue", written.path)
        characteristics = sub(obj, "objectCharacteristics")
        fixity = sub(characteristics, "fixity")
        sub(fixity, "messageDigestAlgorithm", "SHA-256")
        sub(fixity, "messageDigest", written.sha256)
        sub(characteristics, "size", str(written.size))
        if written.path.endswith(".pdf"):
            fmt = sub(characteristics, "format")
            designation = sub(fmt, "formatDesignation")
            sub(designation, "formatName", "PDF/A-2b" if "bilagor/" not in written.path else "PDF")
            if "bilagor/" not in written.path:
                registry = sub(fmt, "formatRegistry")
                sub(registry, "formatRegistryName", "PRONOM")
                sub(registry, "formatRegistryKey", PDFA2B_PUID)

    agents: dict[str, str] = {}

    def agent_id(name: str) -> str:
        return agents.setdefault(name, f"agent-{len(agents) + 1}")

    for event in package.events:
        element = sub(root, "event")
        identifier = sub(element, "eventIdentifier")
        sub(identifier, "eventIdentifierType", "attest-granskningslogg")
        sub(identifier, "eventIdentifierValue", str(event.seq))
        kind, loc = _EVENT_TYPES.get(event.kind, (event.kind, False))
        attrs = {"authority": "eventType", "authorityURI": LOC_EVENT_TYPES} if loc else {}
        sub(element, "eventType", kind, **attrs)
        sub(element, "eventDateTime", _utc(event.at))
        sub(sub(element, "eventDetailInformation"), "eventDetail", event.detail)
        outcome = sub(element, "eventOutcomeInformation")
        sub(outcome, "eventOutcome", event.outcome or "ok")
        if event.entry_hash:
            note = f"entry_hash={event.entry_hash} prev_hash={event.prev_hash}"
            sub(sub(outcome, "eventOutcomeDetail"), "eventOutcomeDetailNote", note)
        if event.actor:
            linking = sub(element, "linkingAgentIdentifier")
            sub(linking, "linkingAgentIdentifierType", "local")
            sub(linking, "linkingAgentIdentifierValue", agent_id(event.actor))
        target = sub(element, "linkingObjectIdentifier")
        sub(target, "linkingObjectIdentifierType", "filepath")
        sub(target, "linkingObjectIdentifierValue", _data_path(package.attested_pdf.name))
    for name, identifier_value in sorted(agents.items(), key=lambda item: item[1]):
        agent = sub(root, "agent")
        identifier = sub(agent, "agentIdentifier")
        sub(identifier, "agentIdentifierType", "local")
        sub(identifier, "agentIdentifierValue", identifier_value)
        sub(agent, "agentName", name)
        sub(agent, "agentType", "person")
    return _xml(root)


def _data_path(name: str) -> str:
    return f"representations/rep1/data/{name}"


# --- METS ----------------------------------------------------------------------------------


def _mets_root(objid: str, label: str, *, representation: bool) -> etree._Element:
    return etree.Element(
        _q(METS_NS, "mets"),
        {
            "OBJID": objid,
            "LABEL": label,
            "TYPE": CONTENT_CATEGORY,
            _q(CSIP_NS, "CONTENTINFORMATIONTYPE"): "OTHER",
            _q(CSIP_NS, "OTHERCONTENTINFORMATIONTYPE"): OTHER_CONTENT_TYPE,
            "PROFILE": CSIP_PROFILE,
            **_schema_location(
                "../../schemas/" if representation else "schemas/",
                METS_NS,
                XLINK_NS,
                CSIP_NS,
                SIP_NS,
            ),
        },
        nsmap=_NSMAP,
    )


def _header(root: etree._Element, package: MemoPackage) -> None:
    header = etree.SubElement(
        root,
        _q(METS_NS, "metsHdr"),
        {
            "CREATEDATE": _utc(package.exported_at),
            "LASTMODDATE": _utc(package.exported_at),
            "RECORDSTATUS": "NEW",
            _q(CSIP_NS, "OAISPACKAGETYPE"): "SIP",
        },
    )
    archivist = etree.SubElement(
        header, _q(METS_NS, "agent"), {"ROLE": "ARCHIVIST", "TYPE": "ORGANIZATION"}
    )
    etree.SubElement(archivist, _q(METS_NS, "name")).text = package.organisation
    code = etree.SubElement(
        archivist, _q(METS_NS, "note"), {_q(CSIP_NS, "NOTETYPE"): "IDENTIFICATIONCODE"}
    )
    code.text = package.organisation_code
    # CSIP: the software that made the package is the (one) CREATOR agent.
    software = etree.SubElement(
        header,
        _q(METS_NS, "agent"),
        {"ROLE": "CREATOR", "TYPE": "OTHER", "OTHERTYPE": "SOFTWARE"},
    )
    etree.SubElement(software, _q(METS_NS, "name")).text = SOFTWARE
    version = etree.SubElement(
        software, _q(METS_NS, "note"), {_q(CSIP_NS, "NOTETYPE"): "SOFTWARE VERSION"}
    )
    version.text = package.software_version or "0"
    submitter = etree.SubElement(
        header,
        _q(METS_NS, "agent"),
        {"ROLE": "OTHER", "OTHERROLE": "SUBMITTER", "TYPE": "ORGANIZATION"},
    )
    etree.SubElement(submitter, _q(METS_NS, "name")).text = package.organisation


def _file(
    group: etree._Element,
    written: WrittenFile,
    *,
    file_id: str,
    mimetype: str,
    created: dt.datetime,
    href: str | None = None,
) -> None:
    element = etree.SubElement(
        group,
        _q(METS_NS, "file"),
        {
            "ID": file_id,
            "MIMETYPE": mimetype,
            "SIZE": str(written.size),
            "CREATED": _utc(created),
            "CHECKSUM": written.sha256,
            "CHECKSUMTYPE": "SHA-256",
        },
    )
    etree.SubElement(
        element,
        _q(METS_NS, "FLocat"),
        {
            "LOCTYPE": "URL",
            _q(XLINK_NS, "type"): "simple",
            _q(XLINK_NS, "href"): href or written.path,
        },
    )


def _md_ref(
    parent: etree._Element,
    tag: str,
    written: WrittenFile,
    *,
    md_id: str,
    mdtype: str,
    created: dt.datetime,
    mimetype: str,
    other: str = "",
) -> None:
    section = etree.SubElement(
        parent, _q(METS_NS, tag), {"ID": md_id, "CREATED": _utc(created), "STATUS": "CURRENT"}
    )
    attrs = {
        "LOCTYPE": "URL",
        _q(XLINK_NS, "type"): "simple",
        _q(XLINK_NS, "href"): written.path,
        "MDTYPE": mdtype,
        "MIMETYPE": mimetype,
        "SIZE": str(written.size),
        "CREATED": _utc(created),
        "CHECKSUM": written.sha256,
        "CHECKSUMTYPE": "SHA-256",
    }
    if other:
        attrs["OTHERMDTYPE"] = other
    etree.SubElement(section, _q(METS_NS, "mdRef"), attrs)


def representation_mets(package: MemoPackage, data_files: Sequence[WrittenFile]) -> bytes:
    """rep1's METS: its data files (paths relative to the representation's folder)."""
    root = _mets_root(f"{package.objid}-rep1", f"{package.dnr} rep1", representation=True)
    _header(root, package)
    file_sec = etree.SubElement(root, _q(METS_NS, "fileSec"), {"ID": "filesec-rep1"})
    group = etree.SubElement(
        file_sec, _q(METS_NS, "fileGrp"), {"ID": "grp-data", "USE": "Data", **_GROUP_TYPE}
    )
    created = {c.name: c.created_at for c in (package.attested_pdf, *package.bilagor)}
    ids = []
    for number, written in enumerate(data_files, 1):
        relative = written.path.removeprefix("representations/rep1/")
        file_id = f"file-data-{number}"
        ids.append(file_id)
        name = relative.removeprefix("data/")
        _file(
            group,
            written,
            file_id=file_id,
            mimetype=PDF,
            created=created.get(name, package.attested_at),
            href=relative,
        )
    struct_map = etree.SubElement(
        root,
        _q(METS_NS, "structMap"),
        {"ID": "structmap-rep1", "TYPE": "PHYSICAL", "LABEL": "CSIP"},
    )
    top = etree.SubElement(
        struct_map, _q(METS_NS, "div"), {"ID": "div-rep1", "LABEL": f"{package.objid}-rep1"}
    )
    data = etree.SubElement(top, _q(METS_NS, "div"), {"ID": "div-rep1-data", "LABEL": "Data"})
    for file_id in ids:
        etree.SubElement(data, _q(METS_NS, "fptr"), {"FILEID": file_id})
    return _xml(root)


def package_mets(
    package: MemoPackage,
    *,
    descriptive: Sequence[tuple[WrittenFile, str, str]],  # (file, MDTYPE, OTHERMDTYPE)
    preservation: Sequence[tuple[WrittenFile, str, str, str]],  # (+ MIME type)
    documentation: Sequence[WrittenFile],
    schemas: Sequence[WrittenFile],
    representation: WrittenFile,
) -> bytes:
    """The package's METS: metadata sections, the file section, the structural map."""
    root = _mets_root(package.objid, f"{package.dnr} {package.rubrik}", representation=False)
    _header(root, package)
    dmd_ids = []
    for number, (written, mdtype, other) in enumerate(descriptive, 1):
        dmd_ids.append(f"dmd-{number}")
        _md_ref(
            root,
            "dmdSec",
            written,
            md_id=f"dmd-{number}",
            mdtype=mdtype,
            created=package.exported_at,
            mimetype="text/xml",
            other=other,
        )
    amd = etree.SubElement(root, _q(METS_NS, "amdSec"), {"ID": "amd-1"})
    amd_ids = []
    for number, (written, mdtype, other, mimetype) in enumerate(preservation, 1):
        amd_ids.append(f"digiprov-{number}")
        _md_ref(
            amd,
            "digiprovMD",
            written,
            md_id=f"digiprov-{number}",
            mdtype=mdtype,
            created=package.exported_at,
            mimetype=mimetype,
            other=other,
        )
    file_sec = etree.SubElement(root, _q(METS_NS, "fileSec"), {"ID": "filesec-1"})
    doc_group = etree.SubElement(
        file_sec,
        _q(METS_NS, "fileGrp"),
        {"ID": "grp-documentation", "USE": "Documentation", **_GROUP_TYPE},
    )
    for number, written in enumerate(documentation, 1):
        _file(
            doc_group,
            written,
            file_id=f"file-doc-{number}",
            mimetype=PDF,
            created=package.exported_at,
        )
    schema_group = etree.SubElement(
        file_sec, _q(METS_NS, "fileGrp"), {"ID": "grp-schemas", "USE": "Schemas", **_GROUP_TYPE}
    )
    for number, written in enumerate(schemas, 1):
        _file(
            schema_group,
            written,
            file_id=f"file-schema-{number}",
            mimetype="text/xml",
            created=package.exported_at,
        )
    rep_group = etree.SubElement(
        file_sec,
        _q(METS_NS, "fileGrp"),
        {
            "ID": "grp-rep1",
            "USE": "Representations/rep1",
            "ADMID": " ".join(amd_ids),
            **_GROUP_TYPE,
        },
    )
    _file(
        rep_group,
        representation,
        file_id="file-rep1-mets",
        mimetype="text/xml",
        created=package.exported_at,
    )
    struct_map = etree.SubElement(
        root,
        _q(METS_NS, "structMap"),
        {"ID": "structmap-1", "TYPE": "PHYSICAL", "LABEL": "CSIP"},
    )
    top = etree.SubElement(
        struct_map, _q(METS_NS, "div"), {"ID": "div-package", "LABEL": package.objid}
    )
    etree.SubElement(
        top,
        _q(METS_NS, "div"),
        {
            "ID": "div-metadata",
            "LABEL": "Metadata",
            "DMDID": " ".join(dmd_ids),
            "ADMID": " ".join(amd_ids),
        },
    )
    documentation_div = etree.SubElement(
        top, _q(METS_NS, "div"), {"ID": "div-documentation", "LABEL": "Documentation"}
    )
    for number in range(1, len(documentation) + 1):
        etree.SubElement(documentation_div, _q(METS_NS, "fptr"), {"FILEID": f"file-doc-{number}"})
    schemas_div = etree.SubElement(
        top, _q(METS_NS, "div"), {"ID": "div-schemas", "LABEL": "Schemas"}
    )
    for number in range(1, len(schemas) + 1):
        etree.SubElement(schemas_div, _q(METS_NS, "fptr"), {"FILEID": f"file-schema-{number}"})
    representations = etree.SubElement(
        top, _q(METS_NS, "div"), {"ID": "div-representations", "LABEL": "Representations"}
    )
    etree.SubElement(representations, _q(METS_NS, "fptr"), {"FILEID": "file-rep1-mets"})
    rep_div = etree.SubElement(
        representations,
        _q(METS_NS, "div"),
        {"ID": "div-rep1", "LABEL": "Representations/rep1"},
    )
    etree.SubElement(
        rep_div,
        _q(METS_NS, "mptr"),
        {
            _q(XLINK_NS, "type"): "simple",
            _q(XLINK_NS, "href"): representation.path,
            _q(XLINK_NS, "title"): "grp-rep1",
            "LOCTYPE": "URL",
        },
    )
    return _xml(root)


# --- the package ---------------------------------------------------------------------------


def write_package(package: MemoPackage, parent: Path) -> Path:
    """Write the SIP into ``parent``/<OBJID>/ and return that folder."""
    folder = parent / package.objid
    writer = _Writer(folder)
    data_files = [writer.write(_data_path(package.attested_pdf.name), package.attested_pdf.data)]
    for content in package.bilagor:
        data_files.append(writer.write(_data_path(content.name), content.data))
    representation = writer.write(
        "representations/rep1/METS.xml", representation_mets(package, data_files)
    )
    memo = writer.write("metadata/descriptive/tjansteutlatande.xml", memo_xml(package))
    dc = writer.write("metadata/descriptive/dc.xml", dc_xml(package))
    erms = writer.write("metadata/descriptive/erms.xml", erms_xml(package))
    report_json = writer.write(
        f"metadata/preservation/{package.verification_json.name}", package.verification_json.data
    )
    report_pdf = writer.write(
        f"documentation/{package.verification_pdf.name}", package.verification_pdf.data
    )
    premis = writer.write(
        "metadata/preservation/premis.xml",
        premis_xml(package, [*data_files, report_pdf]),
    )
    schemas = [
        writer.write(f"schemas/{name}", (SCHEMA_DIR / name).read_bytes()) for name in SCHEMAS
    ]
    mets = package_mets(
        package,
        descriptive=[
            (memo, "OTHER", "attest-tjansteutlatande"),
            (dc, "DC", ""),
            (erms, "OTHER", "ERMS"),
        ],
        preservation=[
            (premis, "PREMIS", "", "text/xml"),
            (report_json, "OTHER", "attest-verifieringsrapport", "application/json"),
        ],
        documentation=[report_pdf],
        schemas=schemas,
        representation=representation,
    )
    writer.write("METS.xml", mets)
    return folder


def listed_files(folder: Path) -> Iterable[tuple[str, str, int]]:
    """(path, SHA-256, size) of every file the package's METS files list, relative to the
    package folder: what a check of the checksums reads."""
    seen: list[tuple[str, str, int]] = []

    def read(mets_path: Path, base: str) -> None:
        try:
            tree = etree.parse(str(mets_path))
        except (OSError, etree.XMLSyntaxError):
            return  # a damaged representation METS: the package's METS lists its checksum
        for element in tree.iter(_q(METS_NS, "file"), _q(METS_NS, "mdRef")):
            if element.tag == _q(METS_NS, "file"):
                location = element.find(_q(METS_NS, "FLocat"))
                assert location is not None
                href = location.get(_q(XLINK_NS, "href"), "")
            else:
                href = element.get(_q(XLINK_NS, "href"), "")
            seen.append((base + href, element.get("CHECKSUM", ""), int(element.get("SIZE", "-1"))))

    read(folder / "METS.xml", "")
    read(folder / "representations/rep1/METS.xml", "representations/rep1/")
    return seen
