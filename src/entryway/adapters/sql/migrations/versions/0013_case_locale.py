"""the language a support case was asked in, for the replies to a signed-out case

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "support_cases", sa.Column("locale", sa.String(16), nullable=False, server_default="")
    )


def downgrade() -> None:
    op.drop_column("support_cases", "locale")
