"""support cases: states, origin, claimed contact, the thread, View your case links

Revision ID: 0007
Revises: 0005 (the lead re-chains it onto the staff migration 0006 at merge)
"""

from datetime import UTC, datetime, timedelta
from typing import Any

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
    first_entries = _carry_over_cases()
    op.drop_index("ix_support_cases_site_status_created_at", table_name="support_cases")
    with op.batch_alter_table("support_cases") as batch:
        batch.drop_column("status")
        batch.drop_column("password_passed")
        batch.drop_column("message")
        # A deleted account (an unverified one, delete_unverified) leaves its cases and their
        # append-only threads in place, unlinked: a cascade would have to delete the thread.
        batch.drop_constraint("fk_support_cases_account_id", type_="foreignkey")
        batch.create_foreign_key(
            "fk_support_cases_account_id", "accounts", ["account_id"], ["id"], ondelete="SET NULL"
        )
    op.create_index(
        "ix_support_cases_site_state_first_reply_due",
        "support_cases",
        ["site", "state", "first_reply_due"],
    )
    op.create_index("ix_support_cases_site_account_id", "support_cases", ["site", "account_id"])
    op.create_index(
        "ix_support_cases_site_claimed_contact", "support_cases", ["site", "claimed_contact"]
    )
    # Only now: on SQLite the batch above rebuilds support_cases, and dropping the old table
    # (foreign keys on) deletes its rows first, which would cascade to tables referencing it.
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
    for entry in first_entries:
        op.get_bind().execute(
            sa.text(
                "INSERT INTO case_entries (site, case_id, author, staff_id, body, at) "
                "VALUES (:site, :case_id, 'customer', NULL, :body, :at)"
            ),
            entry,
        )
    _entries_append_only()


def _entries_append_only() -> None:
    """A case's thread is a record, like the audit logs: the database refuses to change or
    delete an entry, whatever code asks (0001 and 0006 do the same for the audit logs)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION case_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'case_entries is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER case_entries_append_only BEFORE UPDATE OR DELETE ON case_entries "
            "FOR EACH ROW EXECUTE FUNCTION case_entries_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER case_entries_no_{event.lower()} BEFORE {event} ON case_entries "
                "BEGIN SELECT RAISE(ABORT, 'case_entries is append-only'); END"
            )


def _carry_over_cases() -> list[dict[str, Any]]:
    """Cases opened before this revision were never touched by an agent: they are new, due
    a day after they were opened. Returns each one's message, the first entry of its thread.

    Solved and closed cases had no time of it: they get this upgrade's time. So the 7-day
    sweep closes old solved cases (and ends their links) a week from now, and never sooner
    than the week to reply that a case solved today gets."""
    bind = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)  # naive UTC, as the columns keep it
    rows = bind.execute(
        sa.text(
            "SELECT id, site, account_id, password_passed, message, status, created_at "
            "FROM support_cases"
        )
    ).mappings()
    entries = []
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
                "first_reply_due = :due, last_customer_at = :at, "
                "solved_at = :solved, closed_at = :closed WHERE id = :id"
            ),
            {
                "origin": origin,
                "state": state,
                "due": created + FIRST_REPLY_DUE,
                "at": created,
                "solved": now if state == "solved" else None,
                "closed": now if state == "closed" else None,
                "id": row["id"],
            },
        )
        entries.append(
            {"site": row["site"], "case_id": row["id"], "body": row["message"], "at": created}
        )
    return entries


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER case_entries_append_only ON case_entries")
        op.execute("DROP FUNCTION case_entries_append_only()")
    op.drop_index("ix_support_cases_site_claimed_contact", table_name="support_cases")
    op.drop_index("ix_support_cases_site_account_id", table_name="support_cases")
    op.drop_index("ix_support_cases_site_state_first_reply_due", table_name="support_cases")
    # Plain ALTER TABLE ADD COLUMN, never a batch: on SQLite a batch may rebuild the table,
    # and dropping the old one would cascade to the thread read just below.
    op.add_column(
        "support_cases", sa.Column("status", sa.String(16), nullable=False, server_default="open")
    )
    op.add_column(
        "support_cases",
        sa.Column("password_passed", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "support_cases", sa.Column("message", sa.Text(), nullable=False, server_default="")
    )
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
        batch.drop_constraint("fk_support_cases_account_id", type_="foreignkey")
        batch.create_foreign_key(
            "fk_support_cases_account_id", "accounts", ["account_id"], ["id"], ondelete="CASCADE"
        )
    op.create_index(
        "ix_support_cases_site_status_created_at", "support_cases", ["site", "status", "created_at"]
    )
