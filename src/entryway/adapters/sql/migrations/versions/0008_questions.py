"""verification questions: each account's three chosen questions and hashed answers

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verification_answers",
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("question_id", sa.String(40), nullable=False),
        sa.Column("answer_hash", sa.Text(), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            ondelete="CASCADE",
            name="fk_verification_answers_account_id",
        ),
        sa.PrimaryKeyConstraint("site", "account_id", "position", name="pk_verification_answers"),
    )


def downgrade() -> None:
    op.drop_table("verification_answers")
