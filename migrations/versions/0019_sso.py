"""sign-in through the organisation's identity provider: linked accounts, step-ups, the
signing PIN, and the step-up an attestation followed

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

import attest.db

revision = "0019"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "external_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("created_at", attest.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", attest.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "length(subject) > 0", name=op.f("ck_external_identities_subject_not_empty")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_external_identities_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_identities")),
        sa.UniqueConstraint(
            "provider", "subject", name=op.f("uq_external_identities_provider_subject")
        ),
        sa.UniqueConstraint("user_id", "provider", name=op.f("uq_external_identities_user_id_provider")),
    )
    with op.batch_alter_table("external_identities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_external_identities_user_id"), ["user_id"], unique=False
        )
    op.create_table(
        "sso_step_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("login_session_hash", sa.String(length=64), nullable=False),
        sa.Column("memo_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=300), nullable=False),
        sa.Column("started_at", attest.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", attest.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("auth_time", attest.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("context", sa.String(length=300), nullable=True),
        sa.Column("used_at", attest.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["memo_id"], ["memos.id"], name=op.f("fk_sso_step_ups_memo_id_memos"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sso_step_ups_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_step_ups")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sso_step_ups_token_hash")),
    )
    with op.batch_alter_table("sso_step_ups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sso_step_ups_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("employee_number", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("signing_pin_at", attest.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("uq_users_employee_number", ["employee_number"], unique=True)
    with op.batch_alter_table("attestations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sso_provider", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("sso_subject", sa.String(length=300), nullable=True))
        batch_op.add_column(
            sa.Column("sso_auth_time", attest.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("sso_context", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attestations", schema=None) as batch_op:
        batch_op.drop_column("sso_context")
        batch_op.drop_column("sso_auth_time")
        batch_op.drop_column("sso_subject")
        batch_op.drop_column("sso_provider")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("uq_users_employee_number")
        batch_op.drop_column("signing_pin_at")
        batch_op.drop_column("employee_number")
    op.drop_table("sso_step_ups")
    op.drop_table("external_identities")
