"""Run the E-ARK validator (eark-validator 1.1.3) on packages, offline; print one JSON line.

Run with the validator's own interpreter (``make eark-deps`` makes .venv-eark: the
validator pins lxml 5.1.0, pyHanko needs 5.4 or later, so they cannot share a venv):

    .venv-eark/bin/python tests/support/eark_offline.py PACKAGE...

At import the validator fetches four CSIP vocabularies from earkcsip.dilcis.eu to build
its vocabulary tests (it reads only the text of each <Term>). Tests run without network,
so those four answer from the terms below, copied from the vocabularies of CSIP 2.1
(DILCISBoard/E-ARK-CSIP, schema/): the values a package may use, nothing else changed.

Prints, for each package: {"package", "structure", "errors": [...], "warnings": [...]}
where each message is "RULE_ID: message" and errors are what makes a package invalid.
Not imported by the tests (it runs in the other venv): tests/support/eark.py calls it.
"""

from __future__ import annotations

import io
import json
import sys
import urllib.request

VOCABULARIES = {
    "CSIPVocabularyContentCategory.xml": (
        "Textual works – Print",
        "Textual works – Digital",
        "Textual works – Electronic Serials",
        "Datasets",
        "Databases",
        "Email",
        "Collection",
        "Event",
        "Image",
        "Text",
        "Mixed",
        "Other",
    ),
    "CSIPVocabularyContentInformationType.xml": (
        "ERMS",
        "SIARD1",
        "SIARD2",
        "SIARDDK",
        "GeoData",
        "citscarchival_v1_0",
        "citserms_v2_1",
        "citspremis_v1_0",
        "citssiard_v1_0",
        "MIXED",
        "OTHER",
    ),
    "CSIPVocabularyOAISPackageType.xml": ("SIP", "AIP", "DIP", "AIU", "AIC"),
    "CSIPVocabularyStatus.xml": ("CURRENT", "SUPERSEDED"),
}


def _offline(url, *args, **kwargs):
    name = str(url).rsplit("/", 1)[-1]
    if name not in VOCABULARIES:
        raise OSError(f"offline: no local copy of {url}")
    return io.BytesIO("".join(f"<Term>{t}</Term>\n" for t in VOCABULARIES[name]).encode())


def main(paths: list[str]) -> int:
    urllib.request.urlopen = _offline  # before the validator imports it
    from pathlib import Path

    from eark_validator.packages import PackageValidator

    for path in paths:
        report = PackageValidator(Path(path)).validation_report
        errors, warnings = [], []
        for result in report.structure.messages:
            (errors if result.severity.value == "Error" else warnings).append(
                f"{result.rule_id}: {result.message}"
            )
        for results in (report.metadata.schema_results, report.metadata.schematron_results):
            for result in results.messages:
                target = errors if result.severity.value == "Error" else warnings
                target.append(f"{result.rule_id}: {result.message} ({result.location})")
        print(
            json.dumps(
                {
                    "package": path,
                    "structure": report.structure.status.value,
                    "errors": errors,
                    "warnings": warnings,
                },
                ensure_ascii=False,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
