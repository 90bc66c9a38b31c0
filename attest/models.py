"""Imports every model module so that Base.metadata knows all tables (Alembic, tests)."""
from attest.audit.models import AuditEvent, AuditHead  # noqa: F401
from attest.orgs.models import Organisation  # noqa: F401
from attest.users.models import LoginSession, Role, User, UserRole  # noqa: F401
