"""memo types with their required sections; organisation settings

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

Memo types per organisation (title, required sections; the route stays in ``routes``, keyed
by the type's code), and the organisation's letterhead lines, public base URL and Dnr
source. Every organisation gets its Tjänsteutlåtande type, requiring Förvaltningens förslag
till beslut and Sammanträdesdatum.
"""
import sqlalchemy as sa
from alembic import op

import attest.db


revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "memo_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("required", sa.String(length=300), nullable=False),
        sa.Column("created_at", attest.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", attest.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("length(code) > 0", name=op.f("ck_memo_types_code_not_empty")),
        sa.CheckConstraint("length(title) > 0", name=op.f("ck_memo_types_title_not_empty")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_memo_types_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memo_types")),
        sa.UniqueConstraint(
            "organisation_id", "code", name=op.f("uq_memo_types_organisation_id_code")
        ),
        sa.UniqueConstraint(
            "organisation_id", "title", name=op.f("uq_memo_types_organisation_id_title")
        ),
    )
    with op.batch_alter_table("memo_types", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_memo_types_organisation_id"), ["organisation_id"], unique=False
        )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("letterhead", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column("public_base_url", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("dnr_source", sa.String(length=10), server_default="attest", nullable=False)
        )
    # Each organisation's memos so far are tjänsteutlåtanden; from now on they need a
    # förslag till beslut and a sammanträdesdatum to be sent.
    op.execute(
        "INSERT INTO memo_types (organisation_id, code, title, required, created_at)"
        " SELECT id, 'tjansteutlatande', 'Tjänsteutlåtande',"
        " 'forslag_till_beslut,meeting_date', CURRENT_TIMESTAMP FROM organisations"
    )


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("dnr_source")
        batch_op.drop_column("public_base_url")
        batch_op.drop_column("letterhead")
    with op.batch_alter_table("memo_types", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memo_types_organisation_id"))
    op.drop_table("memo_types")
