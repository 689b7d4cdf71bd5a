"""lockout: locks, emailed links, recognised devices, the time of a counter's last hit

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _account_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"], ["accounts.id"], ondelete="CASCADE", name=f"fk_{table}_account_id"
    )


def upgrade() -> None:
    with op.batch_alter_table("failure_counters") as batch:
        batch.add_column(sa.Column("last_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("flow_states") as batch:
        batch.add_column(sa.Column("note", sa.String(32), nullable=False, server_default=""))
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("suspect_since", sa.DateTime(), nullable=True))
    op.create_table(
        "locks",
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=True),
        sa.Column("reason", sa.String(24), nullable=False),
        sa.Column("locked_at", sa.DateTime(), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.Column("strikes", sa.Integer(), nullable=False, server_default="1"),
        _account_fk("locks"),
        sa.PrimaryKeyConstraint("site", "key_hash", name="pk_locks"),
    )
    op.create_index("ix_locks_site_account_id", "locks", ["site", "account_id"])
    op.create_table(
        "links",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(24), nullable=False),
        sa.Column("reason", sa.String(24), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        _account_fk("links"),
        sa.PrimaryKeyConstraint("id_hash", name="pk_links"),
    )
    op.create_index("ix_links_site_account_id_purpose", "links", ["site", "account_id", "purpose"])
    op.create_table(
        "known_devices",
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("device_hash", sa.String(64), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        _account_fk("known_devices"),
        sa.PrimaryKeyConstraint("site", "account_id", "device_hash", name="pk_known_devices"),
    )


def downgrade() -> None:
    op.drop_table("known_devices")
    op.drop_index("ix_links_site_account_id_purpose", table_name="links")
    op.drop_table("links")
    op.drop_index("ix_locks_site_account_id", table_name="locks")
    op.drop_table("locks")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("suspect_since")
    with op.batch_alter_table("flow_states") as batch:
        batch.drop_column("note")
    with op.batch_alter_table("failure_counters") as batch:
        batch.drop_column("last_at")
