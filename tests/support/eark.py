"""The E-ARK validator (eark-validator 1.1.3) on exported packages, and attest's own check
of a package's METS checksums (the validator does not check them).

The validator runs in its own venv (.venv-eark, ``make eark-deps``): it pins lxml 5.1.0,
which pyHanko's lxml (5.4 or later) excludes. tests/support/eark_offline.py runs it
offline and prints one JSON line per package.
"""

from __future__ import annotations

import hashlib
import json
import subprocess  # nosec B404: the validator, a fixed command
from pathlib import Path

from lxml import etree

from attest.archive.sip import listed_files

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv-eark" / "bin" / "python"
SCRIPT = Path(__file__).with_name("eark_offline.py")
# eark-validator 1.1.3's SIP14 asks for a NOTETYPE attribute without namespace on the
# creator's note, which the METS schema forbids (CSIP's is csip:NOTETYPE, as written).
ACCEPTED = ("SIP14",)

# Every XML file of a package, each valid against the schemas the package carries.
XML_FILES = (
    "METS.xml",
    "representations/rep1/METS.xml",
    "metadata/descriptive/tjansteutlatande.xml",
    "metadata/descriptive/dc.xml",
    "metadata/descriptive/erms.xml",
    "metadata/preservation/premis.xml",
)


def validate(packages: list[Path]) -> list[dict]:
    """The validator's report of each package: structure status, errors, warnings."""
    if not PYTHON.exists():
        raise AssertionError(f"{PYTHON} is missing: run `make eark-deps`")
    run = subprocess.run(  # nosec B603
        [str(PYTHON), str(SCRIPT), *map(str, packages)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if run.returncode != 0:
        raise AssertionError(f"eark-validator failed:\n{run.stderr[-3000:]}")
    return [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]


def errors(report: dict) -> list[str]:
    """The errors that make a package invalid, less the ACCEPTED rules."""
    return [e for e in report["errors"] if e.split(":", 1)[0] not in ACCEPTED]


def checksum_problems(folder: Path) -> list[str]:
    """Every file of the package that is missing, unlisted, or not as its METS says."""
    problems = []
    listed = {path: (sha, size) for path, sha, size in listed_files(folder)}
    for path, (sha, size) in sorted(listed.items()):
        target = folder / path
        if not target.is_file():
            problems.append(f"{path}: missing")
            continue
        data = target.read_bytes()
        if len(data) != size or hashlib.sha256(data).hexdigest() != sha:
            problems.append(f"{path}: checksum or size differs")
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {
        "METS.xml"
    }
    for path in sorted(on_disk - set(listed)):
        problems.append(f"{path}: not listed in METS")
    return problems


# The one schema location not inside the package: mets.xsd (as the Library of Congress
# publishes it, unchanged) imports XLink from here; the package carries that file too.
_XLINK_URL = "http://www.loc.gov/standards/xlink/xlink.xsd"
_XSI_LOCATION = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"


class _PackageSchemas(etree.Resolver):
    def __init__(self, schemas: Path) -> None:
        super().__init__()
        self.schemas = schemas

    def resolve(self, url, public_id, context):  # type: ignore[override]
        if url == _XLINK_URL:
            return self.resolve_filename(str(self.schemas / "xlink.xsd"), context)
        return None


def schema_problems(folder: Path, path: str) -> list[str]:
    """Why the package's XML file ``path`` is not valid against the schemas its
    xsi:schemaLocation names, each of which must be a file of the package (offline: the
    network is never asked); [] when it is valid."""
    target = folder / path
    root = etree.parse(str(target)).getroot()
    pairs = root.get(_XSI_LOCATION, "").split()
    if not pairs or len(pairs) % 2:
        return [f"{path}: no xsi:schemaLocation pairs"]
    problems = []
    imports = []
    for namespace, location in zip(pairs[::2], pairs[1::2]):
        schema = (target.parent / location).resolve()
        if "://" in location or not schema.is_relative_to(folder.resolve()):
            problems.append(f"{path}: {namespace} at {location}, outside the package")
        elif not schema.is_file():
            problems.append(f"{path}: {namespace} at {location}, missing")
        else:
            imports.append(
                f'<xs:import namespace="{namespace}" schemaLocation="{schema.as_uri()}"/>'
            )
    if problems:
        return problems
    driver = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        + "".join(imports)
        + "</xs:schema>"
    )
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_PackageSchemas(folder / "schemas"))
    schema = etree.XMLSchema(etree.fromstring(driver.encode(), parser, base_url=target.as_uri()))
    # Simple Dublin Core has no root element of its own: each element is checked.
    documents = list(root) if etree.QName(root).namespace is None else [root]
    for document in documents:
        if not schema.validate(etree.ElementTree(document)):
            problems += [f"{path}:{e.line}: {e.message}" for e in schema.error_log]
    return problems
