"""What each incremental update of an attest document may change: a strict, fast check that
pyHanko's generic difference analysis is asked only when it does not hold.

pyHanko's analysis (``StandardDiffPolicy``) compares each signature's revision with every
later one and walks every object of the signed revision to find all the paths to each
object a later one overrides: about half of a verification. attest knows the few shapes of
update its documents have after the certification seal:

- a row's (or the closing seal's) signature: its empty signature field gets a value (a new
  signature dictionary) and an appearance (a new form XObject and what it draws with); the
  document information and the XMP metadata get a new date and producer;
- validation data and an archive timestamp: the catalog gets a DSS, the form and one page
  an invisible document timestamp field.

``AttestDiffPolicy.review_file`` explains every revision after the signed one as one of
these, comparing each object the revision writes with its earlier value key by key; new
objects must be reachable from what it approved and must not have been referred to before.
Anything else, however harmless, goes to pyHanko's own analysis, which then decides as it
always did. The fast answer is only given where pyHanko's would be the same: it is never
more lenient (tests/test_verify_revisions.py compares the two on genuine memos and forgeries).

Where it is narrower than pyHanko's machinery, by design: an object a revision overrides is
accepted by its kind (catalog, information, form, page, an empty signature field) and its
keys, without a walk of every path to it in the earlier revision. The earlier revisions are
the one the seal certified (made by attest: each field is listed once in the form and once
on its page) and revisions this check explained, which add only new objects; none of them
can make a field or page reachable from elsewhere. New objects, by contrast, are checked
against every reference written before them, so an earlier revision cannot have pointed at
a number a later one fills in. Object streams, xref streams, freed objects, generations
other than 0 and more than one signature per revision all go to pyHanko.
"""

from __future__ import annotations

from typing import Any, Iterable

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffPolicy, DiffResult
from pyhanko.sign.diff_analysis import ModificationLevel as Level
from pyhanko.sign.diff_analysis.policy_api import SuspiciousModification
from pyhanko.sign.diff_analysis.rules.form_field_rules import DSSCompareRule, is_field_visible
from pyhanko.sign.diff_analysis.rules.metadata_rules import MetadataUpdateRule

__all__ = ["ATTEST_DIFF_POLICY", "AttestDiffPolicy", "explain_revision"]

# What a writer sets in the document information on every save.
WRITER_INFO_KEYS = frozenset({"/ModDate", "/Producer"})
TRAILER_KEYS = frozenset({"/Root", "/Info", "/Size", "/Prev", "/ID"})
FILLED_FIELD_KEYS = frozenset({"/V", "/AP"})


class Unexplained(Exception):
    """The revision is not one of attest's shapes: pyHanko's analysis decides."""


class _Revision:
    """One revision (new) against the one before it (old): what it writes, and what of
    that is explained so far."""

    def __init__(self, reader: PdfFileReader, revision: int) -> None:
        self.reader = reader
        self.revision = revision
        self.old = reader.get_historical_resolver(revision - 1)
        self.new = reader.get_historical_resolver(revision)
        xrefs = reader.xrefs
        self.written = set(self.new.explicit_refs_in_revision())
        self.overridden = {
            ref for ref in self.written if xrefs.get_historical_ref(ref, revision - 1) is not None
        }
        self.fresh = self.written - self.overridden
        self.explained: set[generic.Reference] = set()
        self.roots: list[generic.PdfObject] = []  # approved new structures: their new objects
        self.level = Level.LTA_UPDATES
        self.filled: set[str] = set()

    def approve(self, ref: generic.Reference) -> None:
        self.explained.add(ref)


def _raw(d: generic.DictionaryObject, key: str) -> Any:
    return d.raw_get(key) if key in d else None


def _ref(value: Any) -> generic.Reference | None:
    return value.reference if isinstance(value, generic.IndirectObject) else None


def _same_except(
    old: generic.DictionaryObject, new: generic.DictionaryObject, allowed: Iterable[str]
) -> set[str]:
    """The keys (among allowed) whose raw values differ; Unexplained for any other key."""
    allowed = set(allowed)
    changed = set()
    for key in set(old.keys()) | set(new.keys()):
        if _raw(old, key) != _raw(new, key):
            if key not in allowed:
                raise Unexplained(f"{key} changed")
            changed.add(key)
    return changed


def _appended(old: Any, new: Any) -> list[generic.Reference]:
    """New references appended to a direct array; Unexplained for any other change."""
    old_items = list(old) if isinstance(old, generic.ArrayObject) else None
    if old_items is None or not isinstance(new, generic.ArrayObject):
        raise Unexplained("not a direct array")
    items = list(new)
    if items[: len(old_items)] != old_items:
        raise Unexplained("an array's earlier entries changed")
    added = [_ref(item) for item in items[len(old_items) :]]
    if any(ref is None for ref in added):
        raise Unexplained("a direct object appended")
    return [ref for ref in added if ref is not None]


def _is_signature_widget(d: Any) -> bool:
    return (
        isinstance(d, generic.DictionaryObject)
        and d.get("/FT") == "/Sig"
        and d.get("/Subtype") == "/Widget"
        and "/Kids" not in d
        and "/Parent" not in d
    )


def _check_trailer(r: _Revision) -> None:
    old, new = r.old.trailer_view, r.new.trailer_view
    if set(new.keys()) - TRAILER_KEYS:
        raise Unexplained("trailer keys")
    for key in ("/Root", "/Info"):
        if _raw(old, key) != _raw(new, key):
            raise Unexplained(f"trailer {key}")


def _check_catalog(r: _Revision, root_ref: generic.Reference) -> None:
    old, new = r.old(root_ref), r.new(root_ref)
    if _same_except(old, new, ("/DSS",)):
        r.level = max(r.level, Level.LTA_UPDATES)
    r.approve(root_ref)


def _check_info(r: _Revision, info_ref: generic.Reference) -> None:
    _same_except(r.old(info_ref), r.new(info_ref), WRITER_INFO_KEYS)
    r.approve(info_ref)


def _check_acroform(r: _Revision, form_ref: generic.Reference) -> list[generic.Reference]:
    old, new = r.old(form_ref), r.new(form_ref)
    changed = _same_except(old, new, ("/Fields",))
    r.approve(form_ref)
    return _appended(_raw(old, "/Fields"), _raw(new, "/Fields")) if "/Fields" in changed else []


def _check_page(r: _Revision, page_ref: generic.Reference) -> list[generic.Reference]:
    old, new = r.old(page_ref), r.new(page_ref)
    if old.get("/Type") != "/Page":
        raise Unexplained("not a page")
    changed = _same_except(old, new, ("/Annots",))
    r.approve(page_ref)
    return _appended(_raw(old, "/Annots"), _raw(new, "/Annots")) if changed else []


def _check_filled_field(r: _Revision, field_ref: generic.Reference) -> None:
    """An empty signature field of an earlier revision gets its value and appearance."""
    old, new = r.old(field_ref), r.new(field_ref)
    if r.filled:
        raise Unexplained("more than one signature in one revision")
    if not _is_signature_widget(old) or "/V" in old or not _is_signature_widget(new):
        raise Unexplained("not an empty signature field filled")
    _same_except(old, new, FILLED_FIELD_KEYS)
    value = _ref(_raw(new, "/V"))
    if value is None or value not in r.fresh or r.new(value).get("/Type") != "/Sig":
        raise Unexplained("the field's value is not a new signature")
    r.roots.append(_raw(new, "/V"))
    if _raw(old, "/AP") != _raw(new, "/AP"):
        appearance = new["/AP"]
        if not isinstance(_raw(new, "/AP"), generic.DictionaryObject) or set(appearance.keys()) != {
            "/N"
        }:
            raise Unexplained("the appearance is not one new normal appearance")
        normal = _ref(appearance.raw_get("/N"))
        if normal is None or normal not in r.fresh:
            raise Unexplained("the appearance is not a new object")
        r.roots.append(appearance.raw_get("/N"))
    r.level = Level.FORM_FILLING  # pyHanko's level for any signature field filled in
    r.filled.add(str(new.get("/T")))
    r.approve(field_ref)


def _check_new_timestamp_field(
    r: _Revision, field_ref: generic.Reference, pages: set[generic.Reference]
) -> None:
    """A new, invisible field holding a document timestamp, on a page that lists it."""
    field = r.new(field_ref)
    if field_ref not in r.fresh or not _is_signature_widget(field) or is_field_visible(field):
        raise Unexplained("not a new invisible signature field")
    value = _ref(_raw(field, "/V"))
    if value is None or value not in r.fresh or r.new(value).get("/Type") != "/DocTimeStamp":
        raise Unexplained("the new field holds no new document timestamp")
    if _ref(_raw(field, "/P")) not in pages or "/AP" in field:
        raise Unexplained("the new field's page or appearance")
    r.roots.append(_raw(field, "/V"))
    r.approve(field_ref)


def _referenced_before(reader: PdfFileReader, revision: int, fresh: set[Any]) -> bool:
    """Whether any object of the revisions before this one refers to one of the fresh refs.

    Without object streams every reference is written out as "N G R" in the file's bytes:
    those before this revision's end are every use (and perhaps some in stream data, which
    only sends the revision to pyHanko). With object streams, every object of those
    revisions is read instead.
    """
    xrefs = reader.xrefs
    if any(xrefs.object_streams_used_in(r) for r in range(revision)):
        found: set[generic.Reference] = set()
        for earlier in range(revision):
            resolver = reader.get_historical_resolver(earlier)
            found |= _references_in(resolver.trailer_view)
            for ref in resolver.explicit_refs_in_revision():
                found |= _references_in(resolver(ref))
        return bool(found & fresh)
    end = xrefs.get_xref_container_info(revision - 1).end_location
    numbers = {ref.idnum for ref in fresh}
    return any(at < end and number in numbers for at, number in _written_references(reader))


# What pyHanko's parser reads as a reference is "N G R" with whitespace between (its pattern
# uses \s); this set has that whitespace and PDF's NUL besides.
_WHITESPACE = frozenset(b"\x00\t\n\x0b\x0c\r ")


def _written_references(reader: PdfFileReader) -> list[tuple[int, int]]:
    """(offset, object number) of every "N G R" in the file's bytes, found once per file.

    A search for the byte R and a look back over its tokens: a regular expression over
    the whole file takes ten times as long. Stream data that happens to look like a
    reference is found too; that only sends a revision to pyHanko's analysis.
    """
    found: list[tuple[int, int]] | None = reader.__dict__.get("_attest_references")
    if found is not None:
        return found
    stream = reader.stream
    position = stream.tell()
    stream.seek(0)
    data = stream.read()
    stream.seek(position)
    found = []
    space = _WHITESPACE
    at = data.find(b"R", 1)
    while at >= 0:
        a = at
        while a > 0 and data[a - 1] in space:
            a -= 1
        b = a
        while b > 0 and 48 <= data[b - 1] <= 57:
            b -= 1
        c = b
        while c > 0 and data[c - 1] in space:
            c -= 1
        d = c
        while d > 0 and 48 <= data[d - 1] <= 57:
            d -= 1
        if at > a > b > c > d:
            found.append((at, int(data[d:c])))
        at = data.find(b"R", at + 1)
    reader.__dict__["_attest_references"] = found
    return found


def _references_in(obj: Any) -> set[generic.Reference]:
    out: set[generic.Reference] = set()
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, generic.IndirectObject):
            out.add(item.reference)
        elif isinstance(item, generic.DictionaryObject):  # a stream's dictionary too
            stack.extend(item.raw_get(k) for k in item.keys())
        elif isinstance(item, generic.ArrayObject):
            stack.extend(item)
    return out


def _explain(reader: PdfFileReader, revision: int) -> tuple[Level, frozenset[str]]:
    r = _Revision(reader, revision)
    xrefs = reader.xrefs
    if (
        xrefs.hybrid_xrefs_present
        or r.new.refs_freed_in_revision()
        or r.new.object_streams_used()
        or any(ref.generation != 0 for ref in r.written)
    ):
        raise Unexplained("xref structure")
    _check_trailer(r)
    trailer = r.new.trailer_view
    root_ref = _ref(trailer.raw_get("/Root"))
    info_ref = _ref(_raw(trailer, "/Info"))
    if root_ref is None:
        raise Unexplained("no catalog")
    old_root, new_root = r.old(root_ref), r.new(root_ref)
    form_ref = _ref(_raw(new_root, "/AcroForm"))
    metadata_ref = _ref(_raw(new_root, "/Metadata"))
    dss_changed = _raw(old_root, "/DSS") != _raw(new_root, "/DSS") or (
        _ref(_raw(new_root, "/DSS")) in r.written
    )

    new_fields: list[generic.Reference] = []
    new_annots: list[generic.Reference] = []
    pages: set[generic.Reference] = set()
    for ref in sorted(r.overridden, key=lambda x: x.idnum):
        if ref == root_ref:
            _check_catalog(r, ref)
        elif ref == info_ref:
            _check_info(r, ref)
        elif ref == form_ref:
            new_fields += _check_acroform(r, ref)
        elif ref == metadata_ref or ref == _ref(_raw(new_root, "/DSS")):
            pass  # pyHanko's own rules below
        elif _is_signature_widget(r.old(ref)):
            _check_filled_field(r, ref)
        else:
            new_annots += _check_page(r, ref)
            pages.add(ref)
    if sorted(new_fields, key=lambda x: x.idnum) != sorted(new_annots, key=lambda x: x.idnum):
        raise Unexplained("new fields and new widgets differ")
    if len(new_fields) > 1 or (new_fields and r.filled):
        raise Unexplained("more than one signature in one revision")
    for ref in new_fields:
        _check_new_timestamp_field(r, ref, pages)

    try:  # the rules pyHanko applies to the metadata and the DSS, as they are
        if metadata_ref in r.written:
            r.explained |= {u.updated_ref for u in MetadataUpdateRule().apply(r.old, r.new)}
        if dss_changed:
            r.explained |= {u.updated_ref for u in DSSCompareRule().apply(r.old, r.new)}
    except SuspiciousModification as exc:
        raise Unexplained(str(exc)) from exc
    if r.overridden - r.explained:
        raise Unexplained("an overridden object not explained")

    # New objects: only what the approved structures reach, never referred to before.
    for root in r.roots:
        r.explained |= r.new.collect_dependencies(root, since_revision=revision)
    if r.fresh - r.explained:
        raise Unexplained("new objects nothing approved refers to")
    # ... and they refer to no earlier signature field, nor to a page but as a new
    # timestamp field's own page: no field or page becomes reachable from elsewhere.
    for ref in r.fresh:
        obj = r.new(ref)
        for target in _references_in(obj) - r.fresh:
            earlier = r.old(target)
            if _is_signature_widget(earlier) or (
                isinstance(earlier, generic.DictionaryObject)
                and earlier.get("/Type") == "/Page"
                and not (ref in new_fields and _ref(_raw(obj, "/P")) == target)
            ):
                raise Unexplained("a new object refers to an earlier field or page")
    if r.fresh and _referenced_before(reader, revision, r.fresh):
        raise Unexplained("a new object an earlier revision referred to")
    return r.level, frozenset(r.filled)


def explain_revision(reader: PdfFileReader, revision: int) -> tuple[Level, frozenset[str]] | None:
    """The level of a revision's changes if it is one of attest's shapes, else None.
    Remembered on the revision's resolver: the answer depends on the file alone."""
    resolver: HistoricalResolver = reader.get_historical_resolver(revision)
    cache = resolver.__dict__
    if "_attest_explained" not in cache:
        try:
            cache["_attest_explained"] = _explain(reader, revision)
        except Unexplained:
            cache["_attest_explained"] = None
        except Exception:  # noqa: BLE001 - whatever a damaged file raises: pyHanko decides
            cache["_attest_explained"] = None
    explained: tuple[Level, frozenset[str]] | None = cache["_attest_explained"]
    return explained


class AttestDiffPolicy(DiffPolicy):
    """attest's update shapes, checked strictly; pyHanko's default analysis otherwise."""

    def apply(self, old: Any, new: Any, field_mdp_spec: Any = None, doc_mdp: Any = None) -> Any:
        return DEFAULT_DIFF_POLICY.apply(old, new, field_mdp_spec, doc_mdp)

    def review_file(
        self,
        reader: PdfFileReader,
        base_revision: Any,
        field_mdp_spec: Any = None,
        doc_mdp: Any = None,
    ) -> DiffResult | SuspiciousModification:
        if isinstance(base_revision, int) and field_mdp_spec is None:
            level, filled = Level.NONE, set[str]()
            for revision in range(base_revision + 1, reader.xrefs.total_revisions):
                explained = explain_revision(reader, revision)
                if explained is None:
                    break
                level = max(level, explained[0])
                filled |= explained[1]
            else:
                return DiffResult(level, filled)
        return DEFAULT_DIFF_POLICY.review_file(reader, base_revision, field_mdp_spec, doc_mdp)


ATTEST_DIFF_POLICY = AttestDiffPolicy()
