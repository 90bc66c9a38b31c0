"""audit events: the memo each is about, indexed

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A memo's verification reads its own events (attest.verify.records) by this index
    # instead of scanning every event's JSON.
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("memo_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_audit_events_memo_id", ["memo_id"], unique=False)
    events = sa.table(
        "audit_events",
        sa.column("seq", sa.Integer),
        sa.column("data", sa.Text),
        sa.column("memo_id", sa.Integer),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(events.c.seq, events.c.data).where(events.c.data.like('%"memo":%'))
    ).all()
    for seq, data in rows:
        try:
            memo = json.loads(data).get("memo")
        except ValueError:
            continue
        if isinstance(memo, int):
            connection.execute(events.update().where(events.c.seq == seq).values(memo_id=memo))


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_memo_id")
        batch_op.drop_column("memo_id")
