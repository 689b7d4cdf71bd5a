"""staff: staff accounts, console sessions, enrolment links, locks, TOTP steps, audit

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _staff_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["staff_id"], ["staff.id"], ondelete="CASCADE", name=f"fk_{table}_staff_id"
    )


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(100), nullable=False, server_default=""),
        sa.Column("roles", sa.String(100), nullable=False),
        sa.Column("sites", sa.String(200), nullable=False),
        sa.Column("all_sites", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("totp_sealed", sa.Text(), nullable=True),
        sa.Column("totp_confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("enrolled_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_staff"),
        sa.UniqueConstraint("email", name="uq_staff_email"),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.String(32), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("idle_deadline", sa.DateTime(), nullable=False),
        sa.Column("absolute_deadline", sa.DateTime(), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(300), nullable=False),
        _staff_fk("staff_sessions"),
        sa.PrimaryKeyConstraint("id_hash", name="pk_staff_sessions"),
    )
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"])
    op.create_table(
        "staff_links",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        _staff_fk("staff_links"),
        sa.PrimaryKeyConstraint("id_hash", name="pk_staff_links"),
    )
    op.create_index("ix_staff_links_staff_id", "staff_links", ["staff_id"])
    op.create_table(
        "staff_failures",
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key_hash", "window_start", name="pk_staff_failures"),
    )
    op.create_table(
        "staff_locks",
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.String(32), nullable=True),
        sa.Column("locked_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(24), nullable=False),
        _staff_fk("staff_locks"),
        sa.PrimaryKeyConstraint("key_hash", name="pk_staff_locks"),
    )
    op.create_index("ix_staff_locks_staff_id", "staff_locks", ["staff_id"])
    op.create_table(
        "staff_totp_steps",
        sa.Column("staff_id", sa.String(32), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("used_at", sa.DateTime(), nullable=False),
        _staff_fk("staff_totp_steps"),
        sa.PrimaryKeyConstraint("staff_id", "step", name="pk_staff_totp_steps"),
    )
    op.create_table(
        "staff_audit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
            autoincrement=True,
        ),
        sa.Column("actor_id", sa.String(32), nullable=True),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("target_id", sa.String(32), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_staff_audit"),
    )
    op.create_index("ix_staff_audit_at", "staff_audit", ["at"])
    op.create_index("ix_staff_audit_target_id_at", "staff_audit", ["target_id", "at"])
    _append_only()


def _append_only() -> None:
    """The staff audit log refuses UPDATE and DELETE in the database, like the customers'."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION staff_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'staff_audit is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER staff_audit_append_only BEFORE UPDATE OR DELETE ON staff_audit "
            "FOR EACH ROW EXECUTE FUNCTION staff_audit_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER staff_audit_no_{event.lower()} BEFORE {event} ON staff_audit "
                "BEGIN SELECT RAISE(ABORT, 'staff_audit is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER staff_audit_append_only ON staff_audit")
        op.execute("DROP FUNCTION staff_audit_append_only()")
    op.drop_index("ix_staff_audit_target_id_at", table_name="staff_audit")
    op.drop_index("ix_staff_audit_at", table_name="staff_audit")
    op.drop_table("staff_audit")
    op.drop_table("staff_totp_steps")
    op.drop_index("ix_staff_locks_staff_id", table_name="staff_locks")
    op.drop_table("staff_locks")
    op.drop_table("staff_failures")
    op.drop_index("ix_staff_links_staff_id", table_name="staff_links")
    op.drop_table("staff_links")
    op.drop_index("ix_staff_sessions_staff_id", table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_table("staff")
