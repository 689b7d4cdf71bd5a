"""accounts.closed_at: Close your account, erased by housekeeping after the grace period

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("closed_at", sa.DateTime(), nullable=True))
    op.create_index("ix_accounts_closed_at", "accounts", ["closed_at"])


def downgrade() -> None:
    op.drop_index("ix_accounts_closed_at", table_name="accounts")
    op.drop_column("accounts", "closed_at")
