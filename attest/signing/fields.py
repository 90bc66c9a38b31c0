"""Empty signature fields: one per "Attesterat av" row, placed when a version is frozen."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import Iterable, Protocol, Sequence

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigFieldSpec, append_signature_field

STEP_FIELD_PREFIX = "attest-steg-"


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


def add_signature_fields(pdf: bytes, fields: Sequence[FieldSpec]) -> bytes:
    """The PDF with the empty signature fields added in one incremental update."""
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise ValueError("signature field names must be unique")
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
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
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
