"""an account's preferred language, and the HTML part of an email

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("locale", sa.String(16), nullable=False, server_default=""))
    op.add_column("messages", sa.Column("html", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("messages", "html")
    op.drop_column("accounts", "locale")
