"""PAdES signing of frozen memos: fields, certification, attestations, LTA, validation."""

from attest.signing.fields import (
    CLOSING_SEAL_FIELD,
    FieldSpec,
    add_signature_fields,
    fields_for_rows,
    step_field_name,
)
from attest.signing.route import RouteRow, SealedRoute
from attest.signing.sign import (
    ARCHIVE_TIMESTAMP_FIELD,
    CERTIFICATION_FIELD,
    SigningRefused,
    async_certify,
    async_finish_lta,
    async_seal_closing,
    async_sign_field,
    certify,
    finish_lta,
    seal_closing,
    sign_field,
)
from attest.signing.timestamps import (
    HttpTimeStamper,
    InProcessTimeStamper,
    TimeStamper,
    answer_timestamp_request,
    run_sync,
)
from attest.signing.validate import (
    SignatureReport,
    ValidationReport,
    async_validate_pdf,
    validate_pdf,
)

__all__ = [
    "ARCHIVE_TIMESTAMP_FIELD",
    "CERTIFICATION_FIELD",
    "CLOSING_SEAL_FIELD",
    "FieldSpec",
    "HttpTimeStamper",
    "InProcessTimeStamper",
    "RouteRow",
    "SealedRoute",
    "SignatureReport",
    "SigningRefused",
    "TimeStamper",
    "ValidationReport",
    "add_signature_fields",
    "answer_timestamp_request",
    "async_certify",
    "async_finish_lta",
    "async_seal_closing",
    "async_sign_field",
    "async_validate_pdf",
    "certify",
    "fields_for_rows",
    "finish_lta",
    "run_sync",
    "seal_closing",
    "sign_field",
    "step_field_name",
    "validate_pdf",
]
