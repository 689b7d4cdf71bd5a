"""flow states for password reset: stages, send times, channels, decoys without an account

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flow_states") as batch:
        batch.alter_column("account_id", existing_type=sa.String(32), nullable=True)
        batch.add_column(sa.Column("stage", sa.String(16), nullable=False, server_default="code"))
        batch.add_column(sa.Column("last_sent_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("channel", sa.String(8), nullable=False, server_default=""))


def downgrade() -> None:
    op.execute("DELETE FROM flow_states WHERE account_id IS NULL")
    with op.batch_alter_table("flow_states") as batch:
        batch.drop_column("channel")
        batch.drop_column("last_sent_at")
        batch.drop_column("stage")
        batch.alter_column("account_id", existing_type=sa.String(32), nullable=False)
