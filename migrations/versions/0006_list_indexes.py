"""indexes for the register and worklists; the current assignee beside the current step

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("current_assignee_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_submissions_current_assignee_id_users"),
            "users",
            ["current_assignee_id"],
            ["id"],
        )
        batch_op.create_index(
            "ix_submissions_waiting", ["current_assignee_id", "step_waiting_since"], unique=False
        )
    # Submissions under way get their current step's person.
    op.execute(
        "UPDATE submissions SET current_assignee_id = ("
        " SELECT assignee_id FROM submission_steps"
        " WHERE submission_steps.submission_id = submissions.id"
        " AND submission_steps.position = submissions.current_position)"
        " WHERE current_position IS NOT NULL"
    )
    with op.batch_alter_table("memos", schema=None) as batch_op:
        batch_op.create_index(
            "ix_memos_register", ["organisation_id", "state", "updated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("memos", schema=None) as batch_op:
        batch_op.drop_index("ix_memos_register")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_submissions_waiting")
        batch_op.drop_constraint(
            batch_op.f("fk_submissions_current_assignee_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("current_assignee_id")
