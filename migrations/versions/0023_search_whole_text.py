"""the text search reads every text of a memo, not only rubrik, underrubrik and sammanfattning

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# As attest.memos.models.SEARCHED_TEXT was before and after this revision.
BEFORE = "lower((((rubrik || '\n') || underrubrik) || '\n') || sammanfattning)"
COLUMNS = (
    "rubrik",
    "underrubrik",
    "forslag_till_beslut",
    "sammanfattning",
    "bakgrund",
    "arendet",
    "arendets_beredning",
    "synpunkter",
    "subsections_json",
)


def _after() -> str:
    text = COLUMNS[0]
    for column in COLUMNS[1:]:
        text = f"(({text} || '\n') || {column})"
    return f"lower({text[1:-1]})"


def _index(expression: str) -> None:
    op.create_index(
        "ix_memo_versions_search",
        "memo_versions",
        [sa.text(f"({expression}) gin_trgm_ops")],
        postgresql_using="gin",
    )


def upgrade() -> None:
    # SQLite has no such index: it reads the versions (attest.workflow.worklists._matching).
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_memo_versions_search", table_name="memo_versions")
        _index(_after())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_memo_versions_search", table_name="memo_versions")
        _index(BEFORE)
