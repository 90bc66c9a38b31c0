"""person identifiers; every personal certificate (role and t.f.) of a key

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

import uuid

import sqlalchemy as sa
from alembic import op

import attest.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Each person gets a stable identifier, made once and never reused: certificates and the
    # route sealed into each frozen PDF name it.
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Never batch mode on users here: SQLite's copy-and-move drops the table, and with
        # foreign keys on, dropping it deletes every row that cascades from a user (keys,
        # roles, sessions). ADD COLUMN ... NOT NULL needs a default; the unique index holds.
        op.execute("ALTER TABLE users ADD COLUMN person_id VARCHAR(36) NOT NULL DEFAULT ''")
    else:
        op.add_column("users", sa.Column("person_id", sa.String(length=36), nullable=True))
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("person_id", sa.String))
    for (user_id,) in connection.execute(sa.select(users.c.id).order_by(users.c.id)).all():
        connection.execute(
            users.update().where(users.c.id == user_id).values(person_id=str(uuid.uuid4()))
        )
    if not sqlite:
        op.alter_column("users", "person_id", existing_type=sa.String(length=36), nullable=False)
    op.create_index("uq_users_person_id", "users", ["person_id"], unique=True)

    # A plain ADD COLUMN (no table copy, see above).
    op.add_column(
        "substitutions", sa.Column("ended_at", attest.db.UTCDateTime(timezone=True), nullable=True)
    )

    op.create_table(
        "person_certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_key_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("substitution_id", sa.Integer(), nullable=True),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("certificate_sha256", sa.String(length=64), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("not_before", attest.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("not_after", attest.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", attest.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", attest.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.String(length=40), nullable=False),
        sa.CheckConstraint(
            "(kind = 'acting') = (substitution_id IS NOT NULL)",
            name=op.f("ck_person_certificates_acting_has_substitution"),
        ),
        sa.CheckConstraint(
            "kind IN ('role', 'acting')", name=op.f("ck_person_certificates_kind_known")
        ),
        sa.CheckConstraint(
            "length(certificate_sha256) = 64", name=op.f("ck_person_certificates_fingerprint")
        ),
        sa.ForeignKeyConstraint(
            ["substitution_id"],
            ["substitutions.id"],
            name=op.f("fk_person_certificates_substitution_id_substitutions"),
        ),
        sa.ForeignKeyConstraint(
            ["user_key_id"],
            ["user_keys.id"],
            name=op.f("fk_person_certificates_user_key_id_user_keys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_certificates")),
        sa.UniqueConstraint(
            "certificate_sha256", name=op.f("uq_person_certificates_certificate_sha256")
        ),
    )
    with op.batch_alter_table("person_certificates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_person_certificates_substitution_id"), ["substitution_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_person_certificates_user_key_id"), ["user_key_id"], unique=False
        )
    # Every key's certificate so far becomes its first role certificate; a revoked key's is
    # revoked with it (the CRL is read from this table from now on).
    op.execute(
        "INSERT INTO person_certificates (user_key_id, kind, substitution_id, certificate_pem, "
        "certificate_sha256, serial, not_before, not_after, created_at, revoked_at, "
        "revocation_reason) "
        "SELECT id, 'role', NULL, certificate_pem, certificate_sha256, serial, not_before, "
        "not_after, created_at, revoked_at, "
        "CASE WHEN revoked_at IS NULL THEN '' ELSE 'key revoked' END FROM user_keys"
    )


def downgrade() -> None:
    with op.batch_alter_table("person_certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_certificates_user_key_id"))
        batch_op.drop_index(batch_op.f("ix_person_certificates_substitution_id"))
    op.drop_table("person_certificates")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE substitutions DROP COLUMN ended_at")
    else:
        op.drop_column("substitutions", "ended_at")
    op.drop_index("uq_users_person_id", table_name="users")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE users DROP COLUMN person_id")  # SQLite 3.35+, no table copy
    else:
        op.drop_column("users", "person_id")
