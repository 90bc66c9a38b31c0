"""The API's request and response bodies (marshmallow); the OpenAPI document is made from
these. Field names are the memo's own (rubrik, sammanfattning, ...), as in the PDF."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import validate

from attest.memos.sections import MAX_SECTION_LENGTH, MAX_TITLE_LENGTH
from attest.workflow.definition import State

# Swedish (or, with Accept-Language: en, English) for what marshmallow says of a field.
_FIELD_ERRORS = {
    "required": _l("Fältet måste anges."),
    "null": _l("Fältet får inte vara null."),
    "invalid": _l("Ogiltigt värde."),
}
_TEXT_ERRORS = {
    **_FIELD_ERRORS,
    "invalid": _l("Ange en text."),
    "invalid_utf8": _l("Ogiltig text."),
}
_INT_ERRORS = {**_FIELD_ERRORS, "invalid": _l("Ange ett heltal."), "too_large": _l("För stort.")}
_DATE_ERRORS = {**_FIELD_ERRORS, "invalid": _l("Ange datumet som ÅÅÅÅ-MM-DD.")}
_DATETIME_ERRORS = {**_FIELD_ERRORS, "invalid": _l("Ange tiden enligt ISO 8601.")}
_LIST_ERRORS = {**_FIELD_ERRORS, "invalid": _l("Ange en lista.")}
_OBJECT_ERRORS = {**_FIELD_ERRORS, "type": _l("Ange ett objekt.")}
MAX_BILAGOR_PER_REQUEST = 20


def _length(maximum: int, minimum: int = 0) -> validate.Length:
    if minimum:
        return validate.Length(min=minimum, max=maximum, error=_l("Mellan {min} och {max} tecken."))
    return validate.Length(max=maximum, error=_l("Högst {max} tecken."))


def text(maximum: int, *, required: bool = False, **kwargs) -> ma.fields.String:
    return ma.fields.String(
        required=required,
        validate=_length(maximum, 1 if required else 0),
        error_messages=_TEXT_ERRORS,
        **kwargs,
    )


class Schema(ma.Schema):
    """Unknown fields are refused, in the request's language."""

    class Meta:
        unknown = ma.RAISE

    error_messages = {
        "unknown": _l("Okänt fält."),
        "type": _l("Ange ett JSON-objekt."),
    }


# --- requests -------------------------------------------------------------------------------


class SubsectionIn(Schema):
    title = text(MAX_TITLE_LENGTH, required=True)
    text = text(MAX_SECTION_LENGTH, load_default="")


class BilagaIn(Schema):
    filename = text(255, required=True, metadata={"example": "slutrapport.pdf"})
    title = text(MAX_TITLE_LENGTH, metadata={"description": "Standard: PDF:ens egen titel."})
    content = ma.fields.String(
        required=True,
        error_messages=_TEXT_ERRORS,
        metadata={"description": "PDF-filen i base64 (RFC 4648).", "format": "byte"},
    )


class _Content(Schema):
    rubrik = text(MAX_TITLE_LENGTH, required=True)
    underrubrik = text(MAX_TITLE_LENGTH, load_default="")
    meeting_date = ma.fields.Date(
        allow_none=True,
        load_default=None,
        error_messages=_DATE_ERRORS,
        metadata={"description": "Sammanträdesdatum."},
    )
    forslag_till_beslut = text(MAX_SECTION_LENGTH, load_default="")
    sammanfattning = text(MAX_SECTION_LENGTH, load_default="")
    bakgrund = text(MAX_SECTION_LENGTH, load_default="")
    arendet = text(MAX_SECTION_LENGTH, load_default="")
    arendets_beredning = text(MAX_SECTION_LENGTH, load_default="")
    synpunkter = text(MAX_SECTION_LENGTH, load_default="")
    subsections = ma.fields.List(
        ma.fields.Nested(SubsectionIn, error_messages=_OBJECT_ERRORS),
        load_default=list,
        validate=validate.Length(max=50, error=_l("Högst {max} delavsnitt.")),
        error_messages=_LIST_ERRORS,
        metadata={"description": "Delavsnitt av Förvaltningens synpunkter och förslag."},
    )
    bilagor = ma.fields.List(
        ma.fields.Nested(BilagaIn, error_messages=_OBJECT_ERRORS),
        load_default=list,
        validate=validate.Length(
            max=MAX_BILAGOR_PER_REQUEST, error=_l("Högst {max} bilagor per begäran.")
        ),
        error_messages=_LIST_ERRORS,
        metadata={"description": "Nya bilagor (PDF), sist i ordningen."},
    )


class DraftCreate(_Content):
    author = text(
        80,
        required=True,
        metadata={"description": "Handläggarens användarnamn; utkastet blir hennes."},
    )


class DraftUpdate(_Content):
    lock_version = ma.fields.Integer(
        required=True,
        strict=True,
        error_messages=_INT_ERRORS,
        metadata={"description": "lock_version som utkastet hade när du läste det."},
    )
    remove_bilagor = ma.fields.List(
        ma.fields.Integer(strict=True, error_messages=_INT_ERRORS),
        load_default=list,
        validate=validate.Length(max=200),
        error_messages=_LIST_ERRORS,
        metadata={"description": "Id:n för bilagor som ska tas bort."},
    )


class DnrIn(Schema):
    diarium_dnr = ma.fields.String(
        required=True,
        allow_none=True,
        validate=_length(40, 1),
        error_messages=_TEXT_ERRORS,
        metadata={"description": "Diariets Dnr, t.ex. EÅV 2024/1234; null tar bort det."},
    )
    lock_version = ma.fields.Integer(required=True, strict=True, error_messages=_INT_ERRORS)


class ListArgs(Schema):
    state = ma.fields.String(
        validate=validate.OneOf([s.value for s in State], error=_l("Okänt tillstånd.")),
        error_messages=_TEXT_ERRORS,
    )
    author = text(80, metadata={"description": "Handläggarens användarnamn."})
    dnr = text(60, metadata={"description": "attests Dnr (EÅV 2024/12) eller diariets."})
    updated_since = ma.fields.AwareDateTime(
        default_timezone=None,
        error_messages={**_DATETIME_ERRORS, "naive": _l("Ange tiden med tidszon.")},
        metadata={"description": "Bara de som ändrats efter den här tiden (ISO 8601)."},
    )
    cursor = text(100, metadata={"description": "next_cursor från föregående sida."})
    limit = ma.fields.Integer(
        load_default=25,
        validate=validate.Range(min=1, max=100, error=_l("Mellan {min} och {max}.")),
        error_messages=_INT_ERRORS,
    )


# --- responses ------------------------------------------------------------------------------


class Person(ma.Schema):
    username = ma.fields.String()
    full_name = ma.fields.String()


class BilagaOut(ma.Schema):
    id = ma.fields.Integer()
    position = ma.fields.Integer()
    title = ma.fields.String()
    filename = ma.fields.String()
    size = ma.fields.Integer(metadata={"description": "Byte."})
    page_count = ma.fields.Integer()
    sha256 = ma.fields.String(attribute="blob_sha256")


class SubsectionOut(ma.Schema):
    title = ma.fields.String()
    text = ma.fields.String()


class Links(ma.Schema):
    self = ma.fields.String()
    state = ma.fields.String()
    route = ma.fields.String()
    history = ma.fields.String()
    frozen_pdf = ma.fields.String(allow_none=True)
    attested_pdf = ma.fields.String(allow_none=True)
    verification = ma.fields.String(allow_none=True)


class MemoSummary(ma.Schema):
    id = ma.fields.Integer()
    dnr = ma.fields.String(metadata={"description": "attests diarienummer."})
    diarium_dnr = ma.fields.String(allow_none=True)
    state = ma.fields.String(
        metadata={"description": "utkast, attest, attesterad eller raderad (ett raderat utkast)."}
    )
    state_title = ma.fields.String(metadata={"description": "Utkast, Hos avdelningschef, ..."})
    lock_version = ma.fields.Integer()
    rubrik = ma.fields.String()
    author = ma.fields.Nested(Person)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class MemoOut(MemoSummary):
    version = ma.fields.Integer(metadata={"description": "Senaste versionens nummer."})
    underrubrik = ma.fields.String()
    meeting_date = ma.fields.Date(allow_none=True)
    forslag_till_beslut = ma.fields.String()
    sammanfattning = ma.fields.String()
    bakgrund = ma.fields.String()
    arendet = ma.fields.String()
    arendets_beredning = ma.fields.String()
    synpunkter = ma.fields.String()
    subsections = ma.fields.List(ma.fields.Nested(SubsectionOut))
    bilagor = ma.fields.List(ma.fields.Nested(BilagaOut))
    links = ma.fields.Nested(Links)


class MemoPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MemoSummary))
    next_cursor = ma.fields.String(
        allow_none=True, metadata={"description": "Nästa sida: ?cursor=...; null sist."}
    )


class SubmissionOut(ma.Schema):
    number = ma.fields.Integer(metadata={"description": "Vilken sändning (1, 2, ...)."})
    version = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "active, voided eller attested."})
    current_step = ma.fields.Integer(allow_none=True)
    waiting_since = ma.fields.DateTime(allow_none=True)
    frozen_pdf_sha256 = ma.fields.String()
    current_pdf_sha256 = ma.fields.String()
    verification_code = ma.fields.String(allow_none=True)


class StateOut(ma.Schema):
    state = ma.fields.String()
    state_title = ma.fields.String()
    lock_version = ma.fields.Integer()
    submission = ma.fields.Nested(SubmissionOut, allow_none=True)


class AttestationOut(ma.Schema):
    signer = ma.fields.Nested(Person)
    name = ma.fields.String()
    title = ma.fields.String()
    attested_at = ma.fields.DateTime()
    timestamp_at = ma.fields.DateTime(allow_none=True)
    certificate_sha256 = ma.fields.String(allow_none=True)


class RouteStepOut(ma.Schema):
    position = ma.fields.Integer()
    role = ma.fields.String()
    role_title = ma.fields.String()
    assignee = ma.fields.Nested(Person, allow_none=True)
    current = ma.fields.Boolean()
    attestation = ma.fields.Nested(AttestationOut, allow_none=True)


class RouteOut(ma.Schema):
    planned = ma.fields.Boolean(
        metadata={"description": "true för ett utkast: rutten som gäller om det skickas nu."}
    )
    steps = ma.fields.List(ma.fields.Nested(RouteStepOut))


class HistoryOut(ma.Schema):
    action = ma.fields.String(metadata={"description": "skicka, attestera, returnera, aterkalla."})
    action_title = ma.fields.String()
    from_state = ma.fields.String()
    to_state = ma.fields.String()
    actor = ma.fields.Nested(Person)
    acting_for = ma.fields.Nested(Person, allow_none=True)
    created_at = ma.fields.DateTime()
    comment = ma.fields.String()
    version = ma.fields.Integer()
    step = ma.fields.Integer(allow_none=True)


class HistoryPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(HistoryOut))


class CheckOut(ma.Schema):
    code = ma.fields.String()
    status = ma.fields.String(metadata={"description": "ok, failed eller not_checked."})
    message = ma.fields.String()
    message_en = ma.fields.String()
    subject = ma.fields.String()


class VerifiedAttestation(ma.Schema):
    position = ma.fields.Integer()
    field_name = ma.fields.String()
    signer_name = ma.fields.String()
    title = ma.fields.String()
    organisation = ma.fields.String()
    signing_time = ma.fields.String(allow_none=True)
    timestamp_time = ma.fields.String(allow_none=True)
    certificate_sha256 = ma.fields.String()


class VerdictTitle(ma.Schema):
    sv = ma.fields.String()
    en = ma.fields.String()


class VerificationOut(ma.Schema):
    """What ``attest verify --json`` says of the PDF, and the comparison with the records."""

    verdict = ma.fields.String(metadata={"description": "valid, invalid eller undecidable."})
    verdict_title = ma.fields.Nested(VerdictTitle)
    attestations = ma.fields.List(ma.fields.Nested(VerifiedAttestation))
    checks = ma.fields.List(ma.fields.Nested(CheckOut))
    file_sha256 = ma.fields.String()
    file_size = ma.fields.Integer()
    verified_at = ma.fields.String()
