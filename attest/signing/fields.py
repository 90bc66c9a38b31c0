"""Empty signature fields: one per "Attesterat av" row, placed when a version is frozen,
and the invisible field of the closing seal, in the revision that also seals the route."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import Iterable, Protocol, Sequence

from pyhanko.pdf_utils import generic
from pyhanko.sign.fields import SigFieldSpec, append_signature_field

from attest.signing.archival import ArchivalPdfWriter
from attest.signing.route import ROUTE_KEY, SealedRoute, route_json

STEP_FIELD_PREFIX = "attest-steg-"
# Signed by the organisation's system seal once the last row is attested.
CLOSING_SEAL_FIELD = "attest-slutsigill"


@dataclass(frozen=True)
class FieldSpec:
    """An empty signature field: its name, 0-based page and rectangle (x1, y1, x2, y2) in points."""

    name: str
    page_index: int
    box: tuple[float, float, float, float]


class RowLike(Protocol):
    """What fields_for_rows needs from attest.pdf.RowRect (read-only, as it is frozen)."""

    @property
    def step_index(self) -> int: ...
    @property
    def page_index(self) -> int: ...
    @property
    def x1(self) -> float: ...
    @property
    def y1(self) -> float: ...
    @property
    def x2(self) -> float: ...
    @property
    def y2(self) -> float: ...


def step_field_name(step_index: int) -> str:
    """The signature field of a route step (0-based index): attest-steg-1, attest-steg-2, ..."""
    return f"{STEP_FIELD_PREFIX}{step_index + 1}"


def fields_for_rows(rows: Iterable[RowLike]) -> tuple[FieldSpec, ...]:
    """One field per attestation row, covering the whole row."""
    return tuple(
        FieldSpec(step_field_name(r.step_index), r.page_index, (r.x1, r.y1, r.x2, r.y2))
        for r in rows
    )


def add_signature_fields(
    pdf: bytes, fields: Sequence[FieldSpec], *, route: SealedRoute | None = None
) -> bytes:
    """The PDF with the empty signature fields added in one incremental update.

    With a route: the same update also writes it into the catalog (``/AttestRoute``) and
    adds the closing seal's invisible empty field.
    """
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise ValueError("signature field names must be unique")
    if route is not None and [row.field for row in route.rows] != names:
        raise ValueError("the route names the rows' fields, in order")
    # A PDF/A memo's metadata stays as it was: the certification right after dates it.
    writer = ArchivalPdfWriter(BytesIO(pdf), modified_at=None)
    for field in fields:
        append_signature_field(
            writer,
            SigFieldSpec(
                sig_field_name=field.name,
                on_page=field.page_index,
                # pyHanko types the box as ints, but writes any number into /Rect.
                box=field.box,  # type: ignore[arg-type]
            ),
        )
    if route is not None:
        # Uncompressed: anyone can read the route with a text editor, as the seal covers it.
        stream = generic.StreamObject(stream_data=route_json(route))
        writer.root[generic.pdf_name(ROUTE_KEY)] = writer.add_object(stream)
        writer.update_root()
        append_signature_field(writer, SigFieldSpec(sig_field_name=CLOSING_SEAL_FIELD))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
