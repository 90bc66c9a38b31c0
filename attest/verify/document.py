"""The checks of the whole document: the file itself, the certification seal first, every
row signed, the closing seal, the archive timestamp, and nothing after it."""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

from cryptography import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError

from attest.catalogue import N_
from attest.pki.ca import certificate_name
from attest.signing.fields import CLOSING_SEAL_FIELD, STEP_FIELD_PREFIX
from attest.signing.sign import ARCHIVE_TIMESTAMP_FIELD, CERTIFICATION_FIELD
from attest.signing.validate import SignatureReport
from attest.verify.canonical import Fetch, TooLarge, digest
from attest.verify.checks import Verification, issuer_name, who
from attest.verify.facts import Signature, describe, pyca
from attest.verify.report import Joined, Msg, format_time
from attest.verify.result import FAILED, NOT_CHECKED, OK, Findings
from attest.verify.trust import crl_issued_by, issuer_in

__all__ = [
    "ARCHIVE_FIELD",
    "STEP_FIELD",
    "check_archive",
    "check_certification",
    "check_closing_seal",
    "check_complete",
    "check_limits",
    "check_nothing_after",
    "is_seal",
    "open_file",
    "position",
]

STEP_FIELD = re.compile(re.escape(STEP_FIELD_PREFIX) + r"([1-9][0-9]*)$")
ARCHIVE_FIELD = re.compile(re.escape(ARCHIVE_TIMESTAMP_FIELD) + r"(-[2-9]|-[1-9][0-9]+)?$")
# DocMDP P=2: filling in forms and signing; the certification permits nothing more.
FILL_FORMS = 2
SEAL_NAME_PREFIX = "attest systemsigill"
# After the closing seal only validation data and document timestamps may follow.
AFTER_CLOSING = ("NONE", "LTA_UPDATES")
# Reading what changed after the closing seal stops here; beyond it the change is named
# without its details.
CHANGE_BUDGET = 8 * 1024 * 1024
# What a PDF writer (pyHanko's too, with each validation data update) sets on every save:
# the modification date and the producer, in the document information and in XMP.
WRITER_INFO_KEYS = frozenset({"/ModDate", "/Producer"})
WRITER_XMP = re.compile(
    rb"(?:(xmp:ModifyDate|xmp:MetadataDate|pdf:Producer)\s*=\s*\"[^\"]*\""
    rb"|<(xmp:ModifyDate|xmp:MetadataDate|pdf:Producer)>[^<]*</\2>)"
)


def position(field_name: str) -> int:
    match = STEP_FIELD.match(field_name)
    return int(match.group(1)) if match else 0


def is_seal(cert: x509.Certificate | None) -> bool:
    """A system seal certificate: attest's seal name, no person, no titles."""
    from attest.pki.profile import read_person

    if cert is None:
        return False
    person = read_person(cert)
    return (
        person.name.startswith(SEAL_NAME_PREFIX)
        and not person.person
        and not person.titles
        and person.acting is None
    )


# --- The file -------------------------------------------------------------------------------


def _looks_signed(data: bytes) -> bool:
    """A PDF with signatures in it, whatever else is wrong with it."""
    return b"/ByteRange" in data and b"/Contents" in data


def open_file(data: bytes, findings: Findings) -> tuple[PdfFileReader, bytes] | None:
    """The file as a PDF (file_is_pdf, file_intact): the reader and the PDF's own bytes (from
    %PDF on), or None when it cannot be checked further.

    A recognisable signed PDF that is damaged, cut short or has bytes before %PDF is
    invalid, with the reason; only what is not a PDF at all (or encrypted) is unusable.
    Bytes before %PDF are reported and the PDF after them checked as well, so the report
    also says whether what follows is the attested document.
    """
    add = findings.add
    if not data:
        add("file_is_pdf", FAILED, "file_is_pdf.empty")
        return None
    start = data.find(b"%PDF-", 0, 1024)
    if start < 0:
        add("file_is_pdf", FAILED, "file_is_pdf.not_pdf")
        return None
    body = data[start:]
    try:
        reader = PdfFileReader(BytesIO(body), strict=False)
        if reader.encrypted:
            add("file_is_pdf", FAILED, "file_is_pdf.encrypted")
            return None
        reader.root.get("/AcroForm")
        reader.root["/Pages"].get_object()
    except Exception as exc:  # whatever a damaged file makes the parser raise
        if _looks_signed(body):
            add("file_is_pdf", OK, "file_is_pdf.ok")
            add("file_intact", FAILED, "file_intact.damaged", detail=describe(exc))
        else:
            add("file_is_pdf", FAILED, "file_is_pdf.unreadable", detail=describe(exc))
        return None
    add("file_is_pdf", OK, "file_is_pdf.ok")
    if start > 0:
        add("file_intact", FAILED, "file_intact.before", count=start)
    else:
        add("file_intact", OK, "file_intact.ok")
    return reader, body


def check_limits(data: bytes, reader: PdfFileReader, findings: Findings, limit: int) -> bool:
    """within_limits: no more signatures or revisions than verification takes on.

    Counted before any signature is validated: validating costs grow with both (pyHanko
    compares every revision after each signature), so a file of 80 self-made signatures
    is refused in milliseconds instead of tying up a worker for a minute.
    """
    revisions = reader.xrefs.total_revisions
    signatures = data.count(b"/ByteRange")
    if signatures <= limit:
        try:
            signatures = max(
                signatures, sum(1 for _ in enumerate_sig_fields(reader, filled_status=True))
            )
        except Exception:  # noqa: BLE001 - a damaged form is judged by has_signatures
            pass
    if signatures > limit or revisions > limit:
        findings.add(
            "within_limits",
            FAILED,
            "within_limits.exceeded",
            signatures=signatures,
            revisions=revisions,
            limit=limit,
        )
        return False
    findings.add(
        "within_limits",
        OK,
        "within_limits.ok",
        signatures=signatures,
        revisions=revisions,
        limit=limit,
    )
    return True


# --- The certification seal ----------------------------------------------------------------


def check_certification(v: Verification, facts: dict[str, SignatureReport | None]) -> None:
    add = v.findings.add
    signatures = v.document.signatures
    certifications = [s for s in signatures if s.is_certification]
    seal = next((s for s in signatures if s.field_name == CERTIFICATION_FIELD), None)
    if len(certifications) > 1:
        fields = ", ".join(s.field_name for s in certifications)
        add("certification_first", FAILED, "certification_first.several", fields=fields)
    elif seal is None:
        add("certification_first", FAILED, "certification_first.missing")
    elif signatures[0] is not seal:
        add(
            "certification_first",
            FAILED,
            "certification_first.not_first",
            field=signatures[0].field_name,
        )
    elif not seal.is_certification:
        add("certification_first", FAILED, "certification_first.not_certification")
    elif seal.docmdp_level != FILL_FORMS:
        add(
            "certification_first",
            FAILED,
            "certification_first.permissions",
            permission=f"P={seal.docmdp_level}",
        )
    elif not is_seal(seal.cert):
        add(
            "certification_first",
            FAILED,
            "certification_first.not_seal",
            signer=who(seal.cert, "?"),
        )
    elif v.organisation_ca is None:
        add(
            "certification_first",
            NOT_CHECKED,
            "certification_first.unknown_organisation",
            signer=who(seal.cert, "?"),
            issuer=issuer_name(seal.cert),
        )
        v.findings.undecided = True
    elif (seal_facts := facts.get(CERTIFICATION_FIELD)) is None:
        add("certification_first", NOT_CHECKED, "certification_first.not_validated")
    elif not (seal_facts.trusted and seal_facts.intact and seal_facts.valid):
        add("certification_first", FAILED, "certification_first.untrusted")
    else:
        add(
            "certification_first",
            OK,
            "certification_first.ok",
            signer=who(seal.cert, "?"),
            organisation=v.organisation,
            time=format_time(v.signed_at(seal, seal_facts)),
        )


# --- Every row -------------------------------------------------------------------------------


def check_complete(
    v: Verification, expected_steps: int | None, route_fields: tuple[str, ...] | None
) -> bool:
    rows = sorted(
        (position(name), name, filled)
        for name, filled in v.document.field_names
        if STEP_FIELD.match(name)
    )
    problems: list[tuple[str, str, dict[str, Any]]] = []
    if not rows:
        problems.append(("complete.no_rows", "", {}))
    count = len(rows)
    names = [n for _, n, _ in rows]
    if rows and [p for p, _, _ in rows] != list(range(1, count + 1)):
        problems.append(("complete.gap", "", {"fields": ", ".join(names)}))
    if route_fields is not None and rows and tuple(names) != route_fields:
        problems.append(
            (
                "complete.route_mismatch",
                "",
                {"fields": ", ".join(names), "route": ", ".join(route_fields)},
            )
        )
    missing = [name for _, name, filled in rows if not filled]
    if missing:
        problems.append(
            (
                "complete.missing",
                "",
                {"missing": ", ".join(missing), "signed": count - len(missing), "count": count},
            )
        )
    if expected_steps is not None and rows and count != expected_steps:
        problems.append(("complete.expected", "", {"count": count, "expected": expected_steps}))
    if problems:
        v.findings.add_joined("complete", problems)
        return False
    v.findings.add("complete", OK, "complete.ok", count=count)
    return True


# --- The closing seal ------------------------------------------------------------------------


def check_closing_seal(
    v: Verification, facts: dict[str, SignatureReport | None], sealed_route: bool
) -> Signature | None:
    """closing_seal: the organisation's seal signed after the last row, and after it only
    validation data and document timestamps. The closing seal's signature, if it passed."""
    add = v.findings.add
    if not sealed_route:
        add("closing_seal", NOT_CHECKED, "closing_seal.older_format")
        return None
    signatures = v.document.signatures
    closing = v.document.signature(CLOSING_SEAL_FIELD)
    steps = v.attestation_signatures()
    if closing is None:
        add("closing_seal", FAILED, "closing_seal.missing")
        return None
    if not closing.is_approval:
        add("closing_seal", FAILED, "closing_seal.not_approval")
        return None
    late = [
        s for s in steps if (s.revision, s.covered_end) > (closing.revision, closing.covered_end)
    ]
    if late:
        add("closing_seal", FAILED, "closing_seal.before_last", last=late[-1].field_name)
        return None
    after = signatures[signatures.index(closing) + 1 :]
    other = [
        s for s in after if not (s.is_document_timestamp and ARCHIVE_FIELD.match(s.field_name))
    ]
    if other:
        add("closing_seal", FAILED, "closing_seal.signed_after", field=other[0].field_name)
        return None
    closing_facts = facts.get(CLOSING_SEAL_FIELD)
    try:
        changes = describe_changes(v.document.reader, closing.revision)
    except Exception as exc:  # what cannot be read after the seal is not what was sealed
        detail = describe(exc)
        changes = [Msg.of(N_("ändringar som inte kan läsas ({detail})"), detail=detail)]
    level = closing_facts.modification_level if closing_facts is not None else None
    if changes or (closing_facts is not None and level not in AFTER_CLOSING):
        if not changes:
            from attest.verify.report import MODIFICATION_LEVELS

            named = MODIFICATION_LEVELS.get(level or "")
            changes = [Msg.of(named) if named else (level or "?")]
        add(
            "closing_seal",
            FAILED,
            "closing_seal.changed_after",
            changes=Joined(tuple(changes)),
        )
        return None
    if v.organisation_ca is None:
        add("closing_seal", NOT_CHECKED, "closing_seal.unknown_organisation")
        return closing
    if (
        not is_seal(closing.cert)
        or closing.cert is None
        or issuer_in(closing.cert, v.trust) != v.organisation_ca
    ):
        add("closing_seal", FAILED, "closing_seal.not_seal", signer=who(closing.cert, "?"))
        return None
    if closing_facts is None:
        add("closing_seal", NOT_CHECKED, "closing_seal.not_validated")
        return None
    if not (closing_facts.intact and closing_facts.valid and closing_facts.trusted):
        add("closing_seal", FAILED, "closing_seal.untrusted")
        return None
    add(
        "closing_seal",
        OK,
        "closing_seal.ok",
        signer=who(closing.cert, "?"),
        time=format_time(v.signed_at(closing, closing_facts)),
    )
    return closing


class _View:
    """A revision as describe_changes reads it: its trailer, and every reference read through
    one function (fetch), including those inside the objects it returns."""

    def __init__(self, resolver: HistoricalResolver, fetch: Fetch) -> None:
        self.resolver = resolver  # pyHanko's own walks (the form's fields) read through it
        self.trailer = resolver.trailer_view
        self.fetch = fetch

    def __call__(self, ref: generic.Reference) -> Any:
        return self.fetch(ref)

    def value(self, obj: Any) -> Any:
        return self.fetch(obj.reference) if isinstance(obj, generic.IndirectObject) else obj

    def entry(self, d: generic.DictionaryObject, key: str) -> Any:
        return self.value(d.raw_get(key)) if key in d else None

    @property
    def root(self) -> generic.DictionaryObject:
        root = self.entry(self.trailer, "/Root")
        if not isinstance(root, generic.DictionaryObject):
            raise ValueError("the catalog is not a dictionary")
        return root

    def digest(self, obj: Any) -> str | None:
        if obj is None:
            return None
        try:
            return digest(obj, CHANGE_BUDGET, fetch=self.fetch)[0]
        except TooLarge:
            return "too-large"


def _views(reader: PdfFileReader, base: int, last: int) -> tuple[_View, _View, set[Any]]:
    """The base revision and the last, and the references the revisions after base wrote.

    An object no later revision wrote or freed is the same in both: it is read once, from
    the reader's own cache, instead of a copy per revision. The last revision is what the
    reader reads anyway.
    """
    written: set[Any] = set()
    freed: set[Any] = set()
    for revision in range(base + 1, last + 1):
        resolver = reader.get_historical_resolver(revision)
        written |= set(resolver.explicit_refs_in_revision())
        freed |= set(resolver.refs_freed_in_revision())
    moved = written | freed
    old_resolver = reader.get_historical_resolver(base)

    def old_fetch(ref: generic.Reference) -> Any:
        return old_resolver(ref) if ref in moved else reader.get_object(ref)

    new = _View(reader.get_historical_resolver(last), reader.get_object)
    return _View(old_resolver, old_fetch), new, written


def describe_changes(reader: PdfFileReader, base_revision: int) -> list[Msg | str]:
    """What the revisions after base changed besides validation data and document
    timestamps: the document information, the XMP metadata, the catalog, pages, their
    annotations, the form's fields. Each as words for the report."""
    last = reader.xrefs.total_revisions - 1
    if last <= base_revision:
        return []
    old, new, changed_refs = _views(reader, base_revision, last)
    changes: list[Msg | str] = []

    old_info = _info(old)
    new_info = _info(new)
    differing = [
        k
        for k in sorted(set(old_info) | set(new_info))
        if k not in WRITER_INFO_KEYS
        and old.digest(old_info.raw_get(k) if k in old_info else None)
        != new.digest(new_info.raw_get(k) if k in new_info else None)
    ]
    if differing:
        names = ", ".join(differing)
        changes.append(Msg.of(N_("dokumentinformationen ({names})"), names=names))

    old_root, new_root = old.root, new.root
    if _xmp(old) != _xmp(new):
        changes.append(Msg.of(N_("XMP-metadata (/Metadata)")))
    allowed_root = {"/DSS", "/AcroForm", "/Metadata", "/Pages", "/Extensions", "/Version"}
    catalog = sorted(
        key
        for key in set(old_root.keys()) | set(new_root.keys())
        if key not in allowed_root
        and old.digest(old_root.raw_get(key) if key in old_root else None)
        != new.digest(new_root.raw_get(key) if key in new_root else None)
    )
    if catalog:
        names = ", ".join(catalog)
        changes.append(Msg.of(N_("dokumentkatalogen ({names})"), names=names))

    old_pages = _pages(old)
    new_pages = _pages(new)
    if len(old_pages) != len(new_pages):
        changes.append(
            Msg.of(
                N_("antalet sidor ({before} → {after})"),
                before=len(old_pages),
                after=len(new_pages),
            )
        )
    for number, (old_ref, new_ref) in enumerate(zip(old_pages, new_pages), start=1):
        old_page, new_page = old(old_ref), new(new_ref)
        if (
            new_ref in changed_refs
            or old_ref != new_ref
            or _contents_changed(new_page, changed_refs)
        ):
            before = old.digest(_without(old_page, "/Annots"))
            after = new.digest(_without(new_page, "/Annots"))
            if before != after:
                changes.append(Msg.of(N_("sidan {number}"), number=number))
        old_annots, new_annots = _annotations(old, old_page), _annotations(new, new_page)
        added = new_annots - old_annots
        kinds = sorted(
            {
                str(new(ref).get("/Subtype", "/Annot"))
                for ref in added
                if not _is_timestamp_widget(new(ref))
            }
        )
        removed = old_annots - new_annots
        edited = sorted(
            {
                str(new(ref).get("/Subtype", "/Annot"))
                for ref in old_annots & new_annots
                if ref in changed_refs and not _is_timestamp_widget(new(ref))
            }
        )
        if kinds or removed or edited:
            what = ", ".join(kinds + edited) or "/Annot"
            changes.append(
                Msg.of(N_("anteckningar på sidan {number} ({what})"), number=number, what=what)
            )

    old_fields = {name for name, _, _ in enumerate_sig_fields(old.resolver, filled_status=None)}
    new_fields = {name for name, _, _ in enumerate_sig_fields(new.resolver, filled_status=None)}
    extra = sorted(n for n in new_fields - old_fields if not ARCHIVE_FIELD.match(n))
    gone = sorted(old_fields - new_fields)
    if extra or gone:
        names = ", ".join(extra + gone)
        changes.append(Msg.of(N_("formulärfälten ({names})"), names=names))
    return changes


def _info(view: _View) -> generic.DictionaryObject:
    info = view.entry(view.trailer, "/Info")
    return info if isinstance(info, generic.DictionaryObject) else generic.DictionaryObject()


def _xmp(view: _View) -> bytes | None:
    """The XMP metadata without what every PDF writer updates on saving (dates, producer)."""
    stream = view.entry(view.root, "/Metadata")
    if not isinstance(stream, generic.StreamObject):
        return None
    if len(stream.encoded_data) > CHANGE_BUDGET:
        return b"too-large"
    return WRITER_XMP.sub(b"", stream.data)


def _pages(view: _View) -> list[Any]:
    """Every page's reference, in order (the page tree walked, bounded)."""
    out: list[Any] = []
    stack = [view.root.raw_get("/Pages")]
    seen: set[Any] = set()
    while stack and len(out) < 100_000:
        node_ref = stack.pop()
        if not isinstance(node_ref, generic.IndirectObject) or node_ref.reference in seen:
            continue
        seen.add(node_ref.reference)
        node = view(node_ref.reference)
        if not isinstance(node, generic.DictionaryObject):
            raise ValueError("a node of the page tree is not a dictionary")
        if view.entry(node, "/Type") == "/Pages":
            kids = view.entry(node, "/Kids")
            stack.extend(reversed(list(kids if isinstance(kids, generic.ArrayObject) else ())))
        else:
            out.append(node_ref.reference)
    return out


def _without(page: generic.DictionaryObject, key: str) -> generic.DictionaryObject:
    copy = generic.DictionaryObject({k: page.raw_get(k) for k in page.keys() if k != key})
    copy.pop("/Parent", None)
    return copy


def _contents_changed(page: generic.DictionaryObject, changed: set[Any]) -> bool:
    contents = page.raw_get("/Contents") if "/Contents" in page else None
    refs = contents if isinstance(contents, generic.ArrayObject) else [contents]
    return any(isinstance(r, generic.IndirectObject) and r.reference in changed for r in refs)


def _annotations(view: _View, page: generic.DictionaryObject) -> set[Any]:
    annots = view.entry(page, "/Annots")
    if not isinstance(annots, generic.ArrayObject):
        return set()
    return {a.reference for a in annots if isinstance(a, generic.IndirectObject)}


def _is_timestamp_widget(annot: Any) -> bool:
    """A document timestamp's invisible widget: what an archive renewal adds to a page."""
    if not isinstance(annot, generic.DictionaryObject) or annot.get("/Subtype") != "/Widget":
        return False
    value = annot["/V"] if "/V" in annot else None
    return (
        annot.get("/FT") == "/Sig"
        and isinstance(value, generic.DictionaryObject)
        and value.get("/Type") == "/DocTimeStamp"
    )


# --- The archive ---------------------------------------------------------------------------


def check_archive(v: Verification, closing: Signature | None) -> None:
    add = v.findings.add
    signatures = v.document.signatures
    stamps = [s for s in signatures if s.is_document_timestamp]
    steps = v.attestation_signatures()
    if not stamps:
        add("archive_timestamp", FAILED, "archive_timestamp.missing")
        return
    last = signatures[-1]
    if not last.is_document_timestamp or not ARCHIVE_FIELD.match(last.field_name):
        if steps and stamps[-1].revision < steps[-1].revision:
            add(
                "archive_timestamp",
                FAILED,
                "archive_timestamp.before_last",
                field=stamps[-1].field_name,
                last=steps[-1].field_name,
            )
        else:
            add(
                "archive_timestamp",
                FAILED,
                "archive_timestamp.wrong_field",
                field=last.field_name,
            )
        return
    if closing is not None and stamps[0].revision < closing.revision:
        add(
            "archive_timestamp",
            FAILED,
            "archive_timestamp.before_closing",
            field=stamps[0].field_name,
        )
        return
    try:
        dss = DocumentSecurityStore.read_dss(v.document.reader)
        dss_certs = {pyca(c) for c in dss.load_certs()}
    except NoDSSFoundError:
        add("archive_timestamp", FAILED, "archive_timestamp.no_dss")
        return
    except Exception as exc:  # a damaged DSS is as good as none
        add(
            "archive_timestamp",
            FAILED,
            "archive_timestamp.dss_incomplete",
            missing=describe(exc),
        )
        return
    missing: list[Msg] = []
    needed = {s.cert for s in signatures if s.cert is not None}
    needed |= {s.token.tsa_cert for s in signatures if s.token and s.token.tsa_cert}
    absent = [c for c in needed if c not in dss_certs]
    if absent:
        names = ", ".join(sorted(certificate_name(c)[0] for c in absent))
        missing.append(Msg.of(N_("certifikat för {names}"), names=names))
    if v.organisation_ca is None:
        add("archive_timestamp", NOT_CHECKED, "archive_timestamp.unknown_organisation")
        return
    roots = (v.organisation_ca,)
    if not any(root in dss_certs for root in roots):
        missing.append(Msg.of(N_("organisationens CA-certifikat")))
    if not any(crl_issued_by(crl, root) for crl in v.document.embedded_crls for root in roots):
        missing.append(Msg.of(N_("en spärrlista från organisationens CA")))
    if missing:
        add(
            "archive_timestamp",
            FAILED,
            "archive_timestamp.dss_incomplete",
            missing=Joined(tuple(missing), ", "),
        )
        return
    facts = v.report.get(last.field_name)
    at = facts.timestamp_time if facts is not None else None
    add(
        "archive_timestamp",
        OK,
        "archive_timestamp.ok",
        field=last.field_name,
        time=format_time(at or (last.token.gen_time if last.token else None)),
    )


def check_nothing_after(v: Verification) -> None:
    last = v.document.signatures[-1]
    extra = len(v.data) - last.covered_end
    if extra == 0:
        v.findings.add("nothing_after", OK, "nothing_after.ok")
        return
    revisions = max(v.document.reader.xrefs.total_revisions - 1 - last.revision, 0)
    if revisions:
        trailing = Msg.of(N_("{count} ny(a) revision(er)"), count=revisions)
    else:
        trailing = Msg.of(N_("byte utan ny revision"))
    v.findings.add(
        "nothing_after",
        FAILED,
        "nothing_after.trailing",
        field=last.field_name,
        count=abs(extra),
        revisions=trailing,
    )
