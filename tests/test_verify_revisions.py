"""attest's strict update shapes (attest.verify.revisions) give pyHanko's answer, faster,
and never a more lenient one: on every genuine memo, on every forgery of the corpus, and on
incremental updates between the rows that only the difference analysis catches."""

from __future__ import annotations

from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, ModificationLevel
from pyhanko.sign.diff_analysis.policy_api import SuspiciousModification

from attest.verify.checks import ALLOWED_MODIFICATIONS
from attest.verify.core import verify_pdf
from attest.verify.revisions import ATTEST_DIFF_POLICY, explain_revision
from tests.support import forgeries, tamper
from tests.support.forgeries import CASES, GENUINE
from tests.support.signing import validation_time

pytestmark = pytest.mark.once  # uses no database: the SQLite pass runs it


def answers(pdf: bytes, policy) -> list[object]:
    """Each signature's difference analysis under policy: the level and the fields filled,
    or that it was suspicious. A fresh reader each time: nothing is shared between them."""
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    out: list[object] = []
    for embedded in reader.embedded_signatures:
        embedded.compute_integrity_info(diff_policy=policy)
        result = embedded.diff_result
        if result is None or isinstance(result, SuspiciousModification):
            out.append(("suspicious", embedded.field_name))
        else:
            level = result.modification_level.name
            out.append((level, embedded.field_name, frozenset(result.changed_form_fields)))
    return out


def explained(pdf: bytes) -> list[bool]:
    """For each revision after the certification seal's: is it one of attest's shapes?"""
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    first = reader.embedded_signatures[0].signed_revision
    return [
        explain_revision(reader, revision) is not None
        for revision in range(first + 1, reader.xrefs.total_revisions)
    ]


@pytest.mark.parametrize("name", list(GENUINE))
def test_a_genuine_memo_is_explained_with_pyhanko_s_answer(name) -> None:
    pdf = forgeries.genuine(name)
    assert all(explained(pdf)), name
    assert answers(pdf, ATTEST_DIFF_POLICY) == answers(pdf, DEFAULT_DIFF_POLICY)


@pytest.mark.parametrize("name", list(CASES), ids=list(CASES))
def test_every_forgery_gets_pyhanko_s_answer(name) -> None:
    pdf = forgeries.forgery(name)
    try:
        expected = answers(pdf, DEFAULT_DIFF_POLICY)
    except Exception:  # not a PDF, encrypted, damaged: nothing to compare
        return
    assert answers(pdf, ATTEST_DIFF_POLICY) == expected


BETWEEN_THE_ROWS = {
    "page-content-redefined": tamper.shadow_page_content(0, "Beslut: avslag."),
    "text-drawn-on-a-page": tamper.add_text_to_page(0, "Beslut: avslag."),
    "annotation-added": tamper.add_annotation(0, "Godkänt av alla.", "/Text"),
    "font-redefined": tamper.redefine_font(0),
    "another-field-given-a-value": tamper.copy_field_value("attest-steg-1", "attest-steg-2"),
    "signed-row-redrawn": tamper.redraw_appearance("attest-steg-1", "Anders Carstorp"),
    "page-added": tamper.add_page(),
}


@pytest.mark.parametrize("name", list(BETWEEN_THE_ROWS))
def test_an_update_between_the_rows_is_not_explained_and_pyhanko_catches_it(name) -> None:
    m = forgeries.material()
    after_first_row = m.genuine.stages[0]
    forged = BETWEEN_THE_ROWS[name](after_first_row)
    assert all(explained(after_first_row))
    assert explained(forged)[-1] is False, name
    ours, theirs = answers(forged, ATTEST_DIFF_POLICY), answers(forged, DEFAULT_DIFF_POLICY)
    assert ours == theirs
    # The analysis of a signature before the update refuses it (or names a level beyond
    # filling in forms), and so does the verifier.
    assert any(a[0] == "suspicious" or a[0] not in ALLOWED_MODIFICATIONS for a in ours), name
    result = verify_pdf(forged, trust=[m.pki.ca_cert], now=validation_time())
    assert "changes_allowed" in {c.code for c in result.failed}, name


def test_the_level_names_are_pyhanko_s() -> None:
    assert {"NONE", "LTA_UPDATES", "FORM_FILLING"} <= {level.name for level in ModificationLevel}


def test_a_new_object_an_earlier_revision_referred_to_is_not_explained() -> None:
    """A forger's earlier revision may point at an object number not yet defined, and a later
    one define it: each number written as a reference before a revision counts."""
    from pyhanko.pdf_utils import generic

    from attest.verify.revisions import _referenced_before, _written_references

    pdf = forgeries.material().genuine.final
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    last = reader.xrefs.total_revisions - 1
    fresh = {
        ref
        for ref in reader.xrefs.explicit_refs_in_revision(last)
        if reader.xrefs.get_historical_ref(ref, last - 1) is None
    }
    assert fresh and not _referenced_before(reader, last, fresh)
    # The catalog (referred to by every trailer) as if it were new in the last revision.
    catalog = reader.trailer.raw_get("/Root").reference
    assert _referenced_before(reader, last, {generic.Reference(catalog.idnum, 0)})
    # Whitespace as pyHanko's parser reads it between the tokens of a reference.
    odd = BytesIO(b"%PDF-1.7\n<< /A 12\x0b0\n\rR /B 7 0 obj >>")
    assert [number for _, number in _written_references(_Fake(odd))] == [12]


class _Fake:
    def __init__(self, stream: BytesIO) -> None:
        self.stream = stream


def test_a_new_appearance_that_refers_to_a_page_is_not_explained() -> None:
    """The shape of a row's signature is explained; the same with the new appearance naming
    a page (which would make the page reachable from the appearance) is not."""
    after_first_row = forgeries.material().genuine.stages[0]

    def last_explained(pdf: bytes) -> bool:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        return explain_revision(reader, reader.xrefs.total_revisions - 1) is not None

    assert last_explained(tamper.fill_field_by_hand("attest-steg-2")(after_first_row))
    naming_a_page = tamper.fill_field_by_hand("attest-steg-2", True)(after_first_row)
    assert not last_explained(naming_a_page)
