"""two-step verification: factors, used TOTP steps, backup codes; auth time on sessions

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("two_step", sa.Boolean(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("preferred_factor", sa.String(32), nullable=True))
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("auth_at", sa.DateTime(), nullable=True))
    op.create_table(
        "second_factors",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("label", sa.String(60), nullable=False),
        sa.Column("secret_sealed", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], ondelete="CASCADE", name="fk_second_factors_account_id"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_second_factors"),
    )
    op.create_index("ix_second_factors_site_account_id", "second_factors", ["site", "account_id"])
    op.create_table(
        "totp_steps",
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("step", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], ondelete="CASCADE", name="fk_totp_steps_account_id"
        ),
        sa.PrimaryKeyConstraint("site", "account_id", "step", name="pk_totp_steps"),
    )
    op.create_table(
        "backup_codes",
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], ondelete="CASCADE", name="fk_backup_codes_account_id"
        ),
        sa.PrimaryKeyConstraint("site", "account_id", "code_hash", name="pk_backup_codes"),
    )


def downgrade() -> None:
    op.drop_table("backup_codes")
    op.drop_table("totp_steps")
    op.drop_index("ix_second_factors_site_account_id", table_name="second_factors")
    op.drop_table("second_factors")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("auth_at")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("preferred_factor")
        batch.drop_column("two_step")
