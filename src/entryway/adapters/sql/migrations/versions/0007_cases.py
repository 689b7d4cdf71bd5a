"""support cases: states, origin, claimed contact, the thread, View your case links

Revision ID: 0007
Revises: 0005 (the lead re-chains it onto the staff migration 0006 at merge)
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FIRST_REPLY_DUE = timedelta(hours=24)  # core.cases.FIRST_REPLY_DUE when this was written


def _case_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["case_id"], ["support_cases.id"], ondelete="CASCADE", name=f"fk_{table}_case_id"
    )


def upgrade() -> None:
    with op.batch_alter_table("support_cases") as batch:
        batch.add_column(sa.Column("origin", sa.String(16), nullable=False, server_default=""))
        batch.add_column(sa.Column("state", sa.String(16), nullable=False, server_default="new"))
        batch.add_column(
            sa.Column("claimed_name", sa.String(100), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("claimed_kind", sa.String(8), nullable=False, server_default=""))
        batch.add_column(sa.Column("claimed_contact", sa.String(320), nullable=True))
        batch.add_column(sa.Column("assigned_to", sa.String(32), nullable=True))
        for name in (
            "first_reply_due",
            "last_customer_at",
            "last_agent_at",
            "solved_at",
            "closed_at",
            "verified_at",
        ):
            batch.add_column(sa.Column(name, sa.DateTime(), nullable=True))
        batch.add_column(
            sa.Column("verify_sends", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("reset_flow", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "case_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("author", sa.String(16), nullable=False),
        sa.Column("staff_id", sa.String(32), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        _case_fk("case_entries"),
        sa.PrimaryKeyConstraint("id", name="pk_case_entries"),
    )
    op.create_index("ix_case_entries_site_case_id_at", "case_entries", ["site", "case_id", "at"])
    op.create_table(
        "case_links",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        _case_fk("case_links"),
        sa.PrimaryKeyConstraint("id_hash", name="pk_case_links"),
    )
    op.create_index("ix_case_links_site_case_id", "case_links", ["site", "case_id"])
    _carry_over_cases()
    op.drop_index("ix_support_cases_site_status_created_at", table_name="support_cases")
    with op.batch_alter_table("support_cases") as batch:
        batch.drop_column("status")
        batch.drop_column("password_passed")
        batch.drop_column("message")
    op.create_index(
        "ix_support_cases_site_state_first_reply_due",
        "support_cases",
        ["site", "state", "first_reply_due"],
    )
    op.create_index("ix_support_cases_site_account_id", "support_cases", ["site", "account_id"])
    op.create_index(
        "ix_support_cases_site_claimed_contact", "support_cases", ["site", "claimed_contact"]
    )


def _carry_over_cases() -> None:
    """Cases opened before this revision were never touched by an agent: they are new, due
    a day after they were opened, and their message becomes the first entry of the thread."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, site, account_id, password_passed, message, status, created_at "
            "FROM support_cases"
        )
    ).mappings()
    for row in list(rows):
        if row["password_passed"]:
            origin = "password_passed"
        elif row["account_id"] is None:
            origin = "signed_out"
        else:
            origin = "signed_in"
        state = "new" if row["status"] == "open" else row["status"]
        created = row["created_at"]
        if isinstance(created, str):  # SQLite hands raw text back to a plain statement
            created = datetime.fromisoformat(created)
        bind.execute(
            sa.text(
                "UPDATE support_cases SET origin = :origin, state = :state, "
                "first_reply_due = :due, last_customer_at = :at WHERE id = :id"
            ),
            {
                "origin": origin,
                "state": state,
                "due": created + FIRST_REPLY_DUE,
                "at": created,
                "id": row["id"],
            },
        )
        bind.execute(
            sa.text(
                "INSERT INTO case_entries (site, case_id, author, staff_id, body, at) "
                "VALUES (:site, :case_id, 'customer', NULL, :body, :at)"
            ),
            {"site": row["site"], "case_id": row["id"], "body": row["message"], "at": created},
        )


def downgrade() -> None:
    op.drop_index("ix_support_cases_site_claimed_contact", table_name="support_cases")
    op.drop_index("ix_support_cases_site_account_id", table_name="support_cases")
    op.drop_index("ix_support_cases_site_state_first_reply_due", table_name="support_cases")
    with op.batch_alter_table("support_cases") as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="open"))
        batch.add_column(
            sa.Column("password_passed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("message", sa.Text(), nullable=False, server_default=""))
    op.execute(
        "UPDATE support_cases SET password_passed = (origin = 'password_passed'), "
        "status = CASE WHEN state IN ('solved', 'closed') THEN state ELSE 'open' END, "
        "message = COALESCE((SELECT e.body FROM case_entries e WHERE e.case_id = "
        "support_cases.id AND e.author = 'customer' ORDER BY e.id LIMIT 1), '')"
    )
    op.drop_index("ix_case_links_site_case_id", table_name="case_links")
    op.drop_table("case_links")
    op.drop_index("ix_case_entries_site_case_id_at", table_name="case_entries")
    op.drop_table("case_entries")
    with op.batch_alter_table("support_cases") as batch:
        for name in (
            "reset_flow",
            "verify_sends",
            "verified_at",
            "closed_at",
            "solved_at",
            "last_agent_at",
            "last_customer_at",
            "first_reply_due",
            "assigned_to",
            "claimed_contact",
            "claimed_kind",
            "claimed_name",
            "state",
            "origin",
        ):
            batch.drop_column(name)
    op.create_index(
        "ix_support_cases_site_status_created_at", "support_cases", ["site", "status", "created_at"]
    )
