"""the language a recovery was asked in, for the messages to its new contact

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "recoveries",
        sa.Column("requester_locale", sa.String(16), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_column("recoveries", "requester_locale")
