"""A memo's signatures as pure functions: freeze a rendered memo, sign one row, close it.

No Flask and no database: the workflow's PAdES hooks (attest.attestation.hooks) call these
with the organisation's keys and clock, and so do the tests and benchmarks, so that what
they sign is made exactly as the product makes it.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from typing import Sequence

from cryptography import x509

from attest.pdf import RenderedMemo, render_row_appearance
from attest.pdf.memo import ROW_NAME_COL_WIDTH
from attest.pki import OrgPki, PrivateKey
from attest.signing import (
    TimeStamper,
    add_signature_fields,
    certify,
    fields_for_rows,
    finish_lta,
    sign_field,
)


class NoSuchField(LookupError):
    """The PDF has no signature field of that name."""


def freeze(
    rendered: RenderedMemo, pki: OrgPki, timestamper: TimeStamper, now: dt.datetime
) -> bytes:
    """An empty signature field on every row, then the system seal's certification."""
    with_fields = add_signature_fields(rendered.pdf, fields_for_rows(rendered.rows))
    return certify(
        with_fields,
        signer_key=pki.seal_key,
        signer_cert=pki.seal_cert,
        chain=pki.chain,
        timestamper=timestamper,
        now=now,
    )


def field_rect(pdf: bytes, field_name: str) -> tuple[float, float, float, float]:
    """The signature field's rectangle (x1, y1, x2, y2), normalised; NoSuchField if absent."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(BytesIO(pdf))
    for name, _value, ref in enumerate_sig_fields(reader):
        if name == field_name:
            x1, y1, x2, y2 = (float(v) for v in ref.get_object()["/Rect"])
            return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)
    raise NoSuchField(field_name)


def sign_row(
    pdf: bytes,
    *,
    field_name: str,
    signer_key: PrivateKey,
    signer_cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    name_title: str,
    date_text: str,
    timestamper: TimeStamper,
    reason: str,
    location: str,
    now: dt.datetime,
) -> bytes:
    """One attestation: the row's field signed, the row ("Namn, Titel" and date) its appearance."""
    x1, y1, x2, y2 = field_rect(pdf, field_name)
    appearance = render_row_appearance(x2 - x1, y2 - y1, name_title, date_text, ROW_NAME_COL_WIDTH)
    return sign_field(
        pdf,
        field_name=field_name,
        signer_key=signer_key,
        signer_cert=signer_cert,
        chain=chain,
        appearance_pdf=appearance,
        timestamper=timestamper,
        reason=reason,
        location=location,
        now=now,
    )


def close(
    pdf: bytes,
    pki: OrgPki,
    timestamper: TimeStamper,
    crls: Sequence[x509.CertificateRevocationList],
    now: dt.datetime,
) -> bytes:
    """The attested memo archived: validation data and a document timestamp (B-LTA)."""
    return finish_lta(pdf, timestamper=timestamper, ca_cert=pki.ca_cert, crls=crls, now=now)
