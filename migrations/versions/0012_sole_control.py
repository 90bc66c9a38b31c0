"""sole control of the signing key, and sign-in that holds under attack: attempt counters,
enrolment links, passwords set by an administrator told apart, stored preview PDFs, what
intake removed from a bilaga

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

import attest.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # attest.auth.ratelimit: one row per counter, taken under its row lock before a
    # password is tried.
    op.create_table(
        "attempt_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_started_at", attest.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_attempt_counters")),
    )

    # attest.users: a person without a password (invited, or reset) until they choose one;
    # own_password tells theirs from one an administrator set (existing passwords were
    # all set on the command line: the administrator's).
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("password_hash", existing_type=sa.String(length=255), nullable=True)
        batch_op.add_column(
            sa.Column("own_password", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", attest.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", attest.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", attest.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("replaced_at", attest.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_enrolments_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_enrolments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolments")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_enrolments_token_hash")),
    )
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enrolments_user_id"), ["user_id"], unique=False)

    # attest.memos.rendering: a draft version's preview, rendered once.
    op.create_table(
        "preview_pdfs",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", attest.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pdf_sha256"], ["blobs.sha256"], name=op.f("fk_preview_pdfs_pdf_sha256_blobs")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_preview_pdfs")),
    )

    # attest.pdf.inert: what was taken out of a bilaga at intake.
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_column("removed")
    op.drop_table("preview_pdfs")
    op.drop_table("enrolments")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("own_password")
        batch_op.alter_column("password_hash", existing_type=sa.String(length=255), nullable=False)
    op.drop_table("attempt_counters")
