"""remembered browsers for two-step verification; support cases

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "remembered_browsers",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("public_id", sa.String(32), nullable=False),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("user_agent", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            ondelete="CASCADE",
            name="fk_remembered_browsers_account_id",
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_remembered_browsers"),
        sa.UniqueConstraint("public_id", name="uq_remembered_browsers_public_id"),
    )
    op.create_index(
        "ix_remembered_browsers_site_account_id", "remembered_browsers", ["site", "account_id"]
    )
    op.create_table(
        "support_cases",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=True),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("password_passed", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], ondelete="CASCADE", name="fk_support_cases_account_id"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_support_cases"),
        sa.UniqueConstraint("number", name="uq_support_cases_number"),
    )
    op.create_index(
        "ix_support_cases_site_status_created_at", "support_cases", ["site", "status", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_support_cases_site_status_created_at", table_name="support_cases")
    op.drop_table("support_cases")
    op.drop_index("ix_remembered_browsers_site_account_id", table_name="remembered_browsers")
    op.drop_table("remembered_browsers")
