"""sole control of the signing key, and sign-in that holds under attack: attempt counters

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

import attest.db

revision = "0012"
down_revision = "0010"
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


def downgrade() -> None:
    op.drop_table("attempt_counters")
