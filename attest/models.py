"""Imports every model module so that Base.metadata knows all tables (Alembic, tests)."""

from attest.attestation.models import PersonCertificate, UserKey  # noqa: F401
from attest.audit.models import AuditEvent, AuditHead  # noqa: F401
from attest.blobs import Blob  # noqa: F401
from attest.memos.models import Attachment, DnrCounter, Memo, MemoVersion  # noqa: F401
from attest.orgs.models import Organisation  # noqa: F401
from attest.users.models import LoginSession, Role, User, UserRole  # noqa: F401
from attest.workflow.models import (  # noqa: F401
    Attestation,
    HistoryEntry,
    OutboxMail,
    RouteDefinition,
    RouteDefinitionStep,
    Submission,
    SubmissionStep,
    Substitution,
)
