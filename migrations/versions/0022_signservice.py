"""signing through the Swedish signature service

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-02

Per person: how they sign ("key", their own software key, or "signservice", the Sweden
Connect signature service) and the identifier the service's identity provider asserts for
them (e.g. a personnummer). Per request sent to the service: what was prepared, so that
the response can only complete that one signature, once.
"""
import sqlalchemy as sa
from alembic import op

import attest.db


revision = "0022"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("signing_method", sa.String(length=20), nullable=False, server_default="key")
        )
        batch.add_column(
            sa.Column("signservice_id", sa.String(length=64), nullable=False, server_default="")
        )
        batch.create_check_constraint(
            "signing_method_known", "signing_method IN ('key', 'signservice')"
        )
    op.create_table(
        "signservice_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("memo_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("pdf_sha256_before", sa.String(length=64), nullable=False),
        sa.Column("prepared_pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("document_digest", sa.LargeBinary(), nullable=False),
        sa.Column("reserved_start", sa.Integer(), nullable=False),
        sa.Column("reserved_end", sa.Integer(), nullable=False),
        sa.Column("signed_attributes", sa.LargeBinary(), nullable=False),
        sa.Column("signing_time", attest.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", attest.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("response", sa.LargeBinary(), nullable=True),
        sa.Column("answered_at", attest.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_signservice_requests_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["memo_id"], ["memos.id"], name=op.f("fk_signservice_requests_memo_id_memos")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_signservice_requests_submission_id_submissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signservice_requests")),
    )
    op.create_index(
        "uq_signservice_requests_request_id", "signservice_requests", ["request_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_signservice_requests_request_id", table_name="signservice_requests")
    op.drop_table("signservice_requests")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("signing_method_known", type_="check")
        batch.drop_column("signservice_id")
        batch.drop_column("signing_method")
