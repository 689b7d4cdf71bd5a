"""suspensions and warnings with their statement of reasons, appeals, the account's latest
suspension, and admin API tokens of staff

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OPEN = "state = 'open'"


def upgrade() -> None:
    op.add_column("accounts", sa.Column("suspension_id", sa.String(32), nullable=True))
    op.add_column("accounts", sa.Column("suspended_until", sa.DateTime(), nullable=True))
    op.create_table(
        "suspensions",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("measure", sa.String(16), nullable=False),
        sa.Column("reason_code", sa.String(40), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("automated", sa.Boolean(), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("acted_by", sa.String(40), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=True),
        sa.Column("appeal_until", sa.DateTime(), nullable=True),
        sa.Column("lifted_at", sa.DateTime(), nullable=True),
        sa.Column("lifted_by", sa.String(40), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], ondelete="CASCADE", name="fk_suspensions_account_id"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_suspensions"),
    )
    op.create_index(
        "ix_suspensions_site_account_id_starts_at",
        "suspensions",
        ["site", "account_id", "starts_at"],
    )
    op.create_table(
        "appeals",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("suspension_id", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(
            ["suspension_id"],
            ["suspensions.id"],
            ondelete="CASCADE",
            name="fk_appeals_suspension_id",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_appeals"),
        sa.UniqueConstraint("suspension_id", "number", name="uq_appeals_suspension_id_number"),
    )
    op.create_index("ix_appeals_site_case_id", "appeals", ["site", "case_id"])
    op.create_index(
        "uq_appeals_open",
        "appeals",
        ["suspension_id"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )
    op.create_table(
        "staff_tokens",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("staff_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name="fk_staff_tokens_staff_id"),
        sa.PrimaryKeyConstraint("id", name="pk_staff_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_staff_tokens_token_hash"),
    )
    op.create_index("ix_staff_tokens_staff_id", "staff_tokens", ["staff_id"])


def downgrade() -> None:
    op.drop_table("staff_tokens")
    op.drop_table("appeals")
    op.drop_table("suspensions")
    op.drop_column("accounts", "suspended_until")
    op.drop_column("accounts", "suspension_id")
