"""indexes that read each list's page in its own order; a trigram index for the register search

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# As attest.memos.models.SEARCHED_TEXT was when this was written.
SEARCHED_TEXT = "lower((((rubrik || '\n') || underrubrik) || '\n') || sammanfattning)"


def upgrade() -> None:
    # Each index ends with the list's tie-breaker (id), so a page is one index range read
    # in order, without a sort, however many rows the list has. The worklist's has the
    # status too: with it the planner reads the range in order and stops after the page,
    # instead of joining all of a person's waiting memos and sorting them.
    with op.batch_alter_table("memos", schema=None) as batch_op:
        batch_op.drop_index("ix_memos_register")
        batch_op.create_index(
            "ix_memos_register", ["organisation_id", "state", "updated_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_memos_author_updated", ["author_id", "updated_at", "id"], unique=False
        )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_submissions_waiting")
        batch_op.create_index(
            "ix_submissions_waiting",
            ["current_assignee_id", "status", "step_waiting_since", "id"],
            unique=False,
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_organisation_newest", ["organisation_id", "id"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        # The register's text search (attest.memos.models.SEARCHED_TEXT, LIKE '%word%'):
        # trigrams find the versions with the word instead of a scan of all of them.
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner creates it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_memo_versions_search",
            "memo_versions",
            [sa.text(f"({SEARCHED_TEXT}) gin_trgm_ops")],
            postgresql_using="gin",
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The extension stays: dropping it could take other objects of the database along.
        op.drop_index("ix_memo_versions_search", table_name="memo_versions")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_organisation_newest")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_submissions_waiting")
        batch_op.create_index(
            "ix_submissions_waiting", ["current_assignee_id", "step_waiting_since"], unique=False
        )
    with op.batch_alter_table("memos", schema=None) as batch_op:
        batch_op.drop_index("ix_memos_author_updated")
        batch_op.drop_index("ix_memos_register")
        batch_op.create_index(
            "ix_memos_register", ["organisation_id", "state", "updated_at"], unique=False
        )
