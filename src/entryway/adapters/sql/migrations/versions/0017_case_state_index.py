"""cases by state across sites, for the metrics' count of open cases

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_support_cases_state", "support_cases", ["state"])


def downgrade() -> None:
    op.drop_index("ix_support_cases_state", table_name="support_cases")
