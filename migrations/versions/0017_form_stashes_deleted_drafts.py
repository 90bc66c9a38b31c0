"""form stashes; deleted drafts; who handled a memo

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-02

A form posted after its login session ended is kept (encrypted, for an hour) until its
author logs in again: ``form_stashes``, one row per person at most. A draft its author
deletes keeps its row in the state ``raderad`` (its Dnr is never given again). "Hanterade
av mig" reads the history by actor and action.
"""

import sqlalchemy as sa
from alembic import op

import attest.db

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None

STATES_BEFORE = "state IN ('utkast', 'attest', 'attesterad')"
STATES_AFTER = "state IN ('utkast', 'attest', 'attesterad', 'raderad')"


def upgrade() -> None:
    op.create_table(
        "form_stashes",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("page", sa.String(length=500), nullable=False),
        sa.Column("action", sa.String(length=500), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", attest.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_form_stashes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_form_stashes")),
        sa.UniqueConstraint("user_id", name=op.f("uq_form_stashes_user_id")),
    )
    with op.batch_alter_table("form_stashes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_form_stashes_created_at"), ["created_at"], unique=False
        )
    with op.batch_alter_table("memos", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_memos_state_known"), type_="check")
        batch_op.create_check_constraint("state_known", STATES_AFTER)
    with op.batch_alter_table("memo_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_memo_history_actor_action", ["actor_id", "action", "memo_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("memo_history", schema=None) as batch_op:
        batch_op.drop_index("ix_memo_history_actor_action")
    op.execute("UPDATE memos SET state = 'utkast' WHERE state = 'raderad'")
    with op.batch_alter_table("memos", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_memos_state_known"), type_="check")
        batch_op.create_check_constraint("state_known", STATES_BEFORE)
    with op.batch_alter_table("form_stashes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_stashes_created_at"))
    op.drop_table("form_stashes")
