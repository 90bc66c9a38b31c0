"""SAML sign-in: outstanding AuthnRequests and the assertions already taken

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02

An AuthnRequest's ID is kept until it is answered (or expires): the IdP's response must
name one (InResponseTo). An assertion's ID is kept until its NotOnOrAfter: a replay is
refused by the primary key, on every worker.
"""

import sqlalchemy as sa
from alembic import op

import attest.db

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saml_requests",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("created_at", attest.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", attest.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", attest.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("authenticated_at", attest.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("context", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("employee_number", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_saml_requests_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saml_requests")),
    )
    with op.batch_alter_table("saml_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_saml_requests_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "saml_assertions",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("expires_at", attest.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saml_assertions")),
    )
    with op.batch_alter_table("saml_assertions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_saml_assertions_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("saml_assertions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saml_assertions_expires_at"))
    op.drop_table("saml_assertions")
    with op.batch_alter_table("saml_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saml_requests_expires_at"))
    op.drop_table("saml_requests")
