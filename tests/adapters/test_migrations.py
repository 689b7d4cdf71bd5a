"""Upgrading a database with data in it: cases of before the Ask us revision (0007) arrive
whole, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from entryway.adapters.sql.database import MIGRATIONS, Database
from tests.conftest import PG_DEFAULT, _pg_schema

OPENED = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def _to(revision: str, down: bool) -> Any:
    def run(conn: Connection) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)

    return run


async def migrate(db: Database, revision: str, *, down: bool = False) -> None:
    """Alembic to ``revision`` on the connection, as Database.upgrade does for head."""
    if db.sync_engine is not None:
        with db.sync_engine.begin() as conn:
            _to(revision, down)(conn)
        return
    assert db.engine is not None
    async with db.engine.begin() as aconn:
        await aconn.run_sync(_to(revision, down))


async def execute(db: Database, statement: str) -> None:
    """One statement that returns no rows (``Database.run_sql`` reads rows back)."""
    if db.sync_engine is not None:
        with db.sync_engine.begin() as conn:
            conn.execute(text(statement))
        return
    assert db.engine is not None
    async with db.engine.begin() as aconn:
        await aconn.execute(text(statement))


@pytest.fixture
async def blank(db_kind: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A database with no tables at all (its own SQLite file, or its own schema)."""
    if db_kind == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'old.db'}")
        yield db
        await db.dispose()
        return
    url = os.environ.get("ENTRYWAY_TEST_PG_URL", PG_DEFAULT)
    schema = f"t_{secrets.token_hex(4)}"
    await _pg_schema(url, schema, create=True)
    db = Database(url, schema=schema)
    yield db
    await db.dispose()
    await _pg_schema(url, schema, create=False)


async def insert_old_case(db: Database, n: int, status: str, account_id: str | None) -> None:
    """A case as revision 0004 to 0006 stored it."""
    at = (
        (OPENED + timedelta(hours=n))
        .replace(tzinfo=None)
        .isoformat(sep=" ", timespec="microseconds")
    )
    passed = "TRUE" if n == 2 else "FALSE"
    account = f"'{account_id}'" if account_id else "NULL"
    await execute(
        db,
        "INSERT INTO support_cases "
        "(id, number, site, account_id, topic, password_passed, message, status, created_at) "
        f"VALUES ('c{n}', '1000000{n}', 'us', {account}, 'locked', {passed}, "
        f"'Message {n}', '{status}', '{at}')",
    )


async def test_old_cases_arrive_whole(blank: Database) -> None:
    db = blank
    await migrate(db, "0006")
    await execute(
        db,
        "INSERT INTO accounts (id, site, name, status, created_at, email, email_verified, "
        "phone_verified, password_hash) VALUES ('a1', 'us', 'Ana', 'active', "
        "'2024-01-01 00:00:00.000000', 'ana@example.com', TRUE, FALSE, 'x')",
    )
    for n, status, account in [
        (0, "open", None),
        (1, "solved", "a1"),
        (2, "closed", "a1"),
        (3, "open", "a1"),
    ]:
        await insert_old_case(db, n, status, account)
    before = datetime.now(UTC).replace(microsecond=0)
    await migrate(db, "head")
    after = datetime.now(UTC) + timedelta(seconds=1)

    rows = await db.run_sql(
        "SELECT id, state, origin, solved_at, closed_at FROM support_cases ORDER BY id"
    )
    got = {r[0]: r[1:] for r in rows}
    assert {k: (v[0], v[1]) for k, v in got.items()} == {
        "c0": ("new", "signed_out"),
        "c1": ("solved", "signed_in"),
        "c2": ("closed", "password_passed"),
        "c3": ("new", "signed_in"),
    }

    def when(value: Any) -> datetime:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.replace(tzinfo=UTC)

    # Solved and closed cases get the upgrade's time: the 7-day sweep closes old solved
    # cases a week after it (solved_at set), and closed ones say when they were closed.
    assert before <= when(got["c1"][2]) <= after and got["c1"][3] is None
    assert before <= when(got["c2"][3]) <= after
    assert got["c0"][2] is None and got["c0"][3] is None
    assert got["c3"][2] is None and got["c3"][3] is None
    entries = await db.run_sql("SELECT case_id, author, body FROM case_entries ORDER BY case_id")
    assert [tuple(e) for e in entries] == [(f"c{n}", "customer", f"Message {n}") for n in range(4)]


@pytest.mark.parametrize(
    "statement", ["UPDATE case_entries SET body = 'changed'", "DELETE FROM case_entries"]
)
async def test_the_case_thread_is_append_only_after_upgrade(
    blank: Database, statement: str
) -> None:
    await migrate(blank, "0006")
    await insert_old_case(blank, 0, "open", None)
    await migrate(blank, "head")
    with pytest.raises(DBAPIError, match="append-only"):
        await execute(blank, statement)
    assert [tuple(r) for r in await blank.run_sql("SELECT body FROM case_entries")] == [
        ("Message 0",)
    ]


async def test_down_to_0006_and_up_again_keeps_the_cases(blank: Database) -> None:
    await migrate(blank, "0006")
    await insert_old_case(blank, 0, "open", None)
    await insert_old_case(blank, 1, "solved", None)
    await migrate(blank, "head")
    await migrate(blank, "0006", down=True)
    rows = await blank.run_sql("SELECT id, status, message FROM support_cases ORDER BY id")
    assert [tuple(r) for r in rows] == [("c0", "open", "Message 0"), ("c1", "solved", "Message 1")]
    await migrate(blank, "head")
    entries = await blank.run_sql("SELECT case_id, body FROM case_entries ORDER BY case_id")
    assert [tuple(e) for e in entries] == [("c0", "Message 0"), ("c1", "Message 1")]


async def test_staff_passkeys_move_out_of_the_customers_tables(blank: Database) -> None:
    """0016: staff passkeys kept in the customers' tables before it (site "_staff") move to
    their own; the customers' stay."""
    db = blank
    await migrate(db, "0015")
    for site, account in (("_staff", "s1"), ("us", "a1")):
        await execute(
            db,
            "INSERT INTO passkeys (site, credential_id, account_id, public_key, sign_count, "
            "name, transports, aaguid, backed_up, created_at) VALUES "
            f"('{site}', 'cred-{account}', '{account}', 'key', 0, 'Key', '[]', '', FALSE, "
            "'2026-12-01 00:00:00.000000')",
        )
        await execute(
            db,
            "INSERT INTO passkey_challenges (id_hash, site, ceremony, challenge, created_at, "
            f"expires_at) VALUES ('h-{account}', '{site}', 'sign_in', 'c', "
            "'2026-12-01 00:00:00.000000', '2026-12-01 00:05:00.000000')",
        )
    await migrate(db, "head")
    assert [tuple(r) for r in await db.run_sql("SELECT site, account_id FROM passkeys")] == [
        ("us", "a1")
    ]
    staff = await db.run_sql("SELECT site, account_id, credential_id FROM staff_passkeys")
    assert [tuple(r) for r in staff] == [("_staff", "s1", "cred-s1")]
    assert [r[0] for r in await db.run_sql("SELECT id_hash FROM passkey_challenges")] == ["h-a1"]
    moved = await db.run_sql("SELECT id_hash FROM staff_passkey_challenges")
    assert [r[0] for r in moved] == ["h-s1"]
