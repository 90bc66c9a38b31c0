"""Imports every model module so that Base.metadata knows all tables (Alembic, tests)."""

from attest.api.models import ApiToken  # noqa: F401
from attest.attestation.models import PersonCertificate, UserKey  # noqa: F401
from attest.audit.models import AuditEvent, AuditHead  # noqa: F401
from attest.auth.ratelimit import AttemptCounter  # noqa: F401
from attest.auth.stash import FormStash  # noqa: F401
from attest.blobs import Blob  # noqa: F401
from attest.memos.models import (  # noqa: F401
    Attachment,
    DnrCounter,
    Memo,
    MemoVersion,
    PreviewPdf,
)
from attest.orgs.models import Organisation  # noqa: F401
from attest.outbox.models import WorkerJob  # noqa: F401
from attest.saml.models import SamlAssertion, SamlRequest  # noqa: F401
from attest.signservice.models import SignServiceRequest  # noqa: F401
from attest.sso.models import ExternalIdentity, StepUp  # noqa: F401
from attest.users.models import Enrolment, LoginSession, Role, User, UserRole  # noqa: F401
from attest.webhooks.models import (  # noqa: F401
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
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
