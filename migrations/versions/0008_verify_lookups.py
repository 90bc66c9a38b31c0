"""indexes for the verify page's lookups by digest and certificate

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index("ix_submissions_current_pdf", ["current_pdf_sha256"], unique=False)
        batch_op.create_index("ix_submissions_frozen_pdf", ["frozen_pdf_sha256"], unique=False)
    with op.batch_alter_table("attestations", schema=None) as batch_op:
        batch_op.create_index("ix_attestations_pdf_after", ["pdf_sha256_after"], unique=False)
        batch_op.create_index("ix_attestations_certificate", ["certificate_sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attestations", schema=None) as batch_op:
        batch_op.drop_index("ix_attestations_certificate")
        batch_op.drop_index("ix_attestations_pdf_after")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_submissions_frozen_pdf")
        batch_op.drop_index("ix_submissions_current_pdf")
