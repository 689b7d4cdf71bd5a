"""staff passkeys and their challenges, in tables of their own (staff and customers never
share a table)

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

PASSKEY_COLUMNS = (
    "site", "credential_id", "account_id", "public_key", "sign_count", "name", "transports",
    "aaguid", "backed_up", "created_at", "last_used_at",
)  # fmt: skip
CHALLENGE_COLUMNS = (
    "id_hash", "site", "ceremony", "challenge", "account_id", "created_at", "expires_at",
    "used_at",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "staff_passkeys",
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("credential_id", sa.String(1400), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("transports", sa.JSON(), nullable=False),
        sa.Column("aaguid", sa.String(36), nullable=False, server_default=""),
        sa.Column("backed_up", sa.Boolean(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("site", "credential_id", name="pk_staff_passkeys"),
    )
    op.create_index("ix_staff_passkeys_site_account_id", "staff_passkeys", ["site", "account_id"])
    op.create_table(
        "staff_passkey_challenges",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("ceremony", sa.String(16), nullable=False),
        sa.Column("challenge", sa.String(128), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id_hash", name="pk_staff_passkey_challenges"),
    )
    op.create_index(
        "ix_staff_passkey_challenges_expires_at", "staff_passkey_challenges", ["expires_at"]
    )
    # Staff passkeys written to the customers' tables before this revision move over.
    moves = (
        ("passkeys", "staff_passkeys", PASSKEY_COLUMNS),
        ("passkey_challenges", "staff_passkey_challenges", CHALLENGE_COLUMNS),
    )
    for old, new, columns in moves:
        source = sa.table(old, *(sa.column(c) for c in columns))
        target = sa.table(new, *(sa.column(c) for c in columns))
        staff = source.c.site == "_staff"
        op.execute(target.insert().from_select(list(columns), sa.select(*source.c).where(staff)))
        op.execute(source.delete().where(staff))


def downgrade() -> None:
    op.drop_table("staff_passkey_challenges")
    op.drop_table("staff_passkeys")
