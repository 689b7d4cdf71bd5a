"""account recoveries: the identity check's evidence on its flow, recoveries, and the hold
on contact changes after one completes

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps the meaning it had when it was written.
LIVE = "state IN ('ready', 'requested', 'review', 'waiting')"


def upgrade() -> None:
    op.add_column("accounts", sa.Column("contacts_fixed_until", sa.DateTime(), nullable=True))
    op.add_column(
        "flow_states", sa.Column("detail", sa.JSON(), nullable=False, server_default="{}")
    )
    op.create_table(
        "recoveries",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("new_kind", sa.String(8), nullable=False),
        sa.Column("new_contact", sa.String(320), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("questions_right", sa.Boolean(), nullable=False),
        sa.Column("order_number", sa.String(64), nullable=False, server_default=""),
        sa.Column("order_total", sa.String(24), nullable=False, server_default=""),
        sa.Column("two_step", sa.Boolean(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("waiting_since", sa.DateTime(), nullable=True),
        sa.Column("wait_until", sa.DateTime(), nullable=True),
        sa.Column("notices_sent", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("case_id", sa.String(32), nullable=True),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("requester_ip", sa.String(64), nullable=False, server_default=""),
        sa.Column("requester_agent", sa.String(300), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], ondelete="CASCADE", name="fk_recoveries_account_id"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_recoveries"),
    )
    op.create_index("ix_recoveries_state_created_at", "recoveries", ["state", "created_at"])
    op.create_index("ix_recoveries_site_case_id", "recoveries", ["site", "case_id"])
    op.create_index(
        "uq_recoveries_live",
        "recoveries",
        ["site", "account_id"],
        unique=True,
        sqlite_where=sa.text(LIVE),
        postgresql_where=sa.text(LIVE),
    )


def downgrade() -> None:
    op.drop_table("recoveries")
    op.drop_column("flow_states", "detail")
    op.drop_column("accounts", "contacts_fixed_until")
