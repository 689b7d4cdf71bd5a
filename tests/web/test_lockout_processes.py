"""SECURITY.md 7 across processes: two real servers on one database share one failure limit.

Two ``python -m entryway demo`` processes on different ports use the same database (a
SQLite file, or with ``--db=postgresql`` a PostgreSQL database made for this test) and the
same secret key, so both count one account's failures under the same keyed counter. A burst
of wrong passwords split across both, with the right password in the middle, must lock the
account with no more than the limit's worth of passwords checked, and the right one must not
get through.

Only 127.0.0.1 is contacted (with each site's Host header). Without a way to start a local
server the test skips, except when ``CI`` is set: then it fails, so a broken image is noticed.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from entryway.adapters.sql.database import Database
from entryway.core.events import AuditAction
from entryway.flows.demo import DEMO_PASSWORD
from tests.conftest import SECRET
from tests.web.servers import Server, server_database, start_server, stop_server

LIMIT = 5
WRONG = 50
IDENTIFIER = "jane@example.com"  # a verified demo account on the US site
SITE = "us"


@pytest.fixture
def shared_database(db_kind: str, tmp_path: Path) -> Iterator[str]:
    """One database for both servers."""
    with server_database(db_kind, tmp_path) as url:
        yield url


@pytest.fixture
def servers(shared_database: str, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """Two demo processes on the one database, with one secret key and a lock at 5.

    The first migrates and seeds the demo accounts; the second starts once the first is up,
    so the two never race to create the schema (seeding is idempotent)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENTRYWAY_")}
    env.update(
        ENTRYWAY_DATABASE_URL=shared_database,
        ENTRYWAY_SECRET_KEY=SECRET,
        ENTRYWAY_LOCK_AFTER_FAILURES=str(LIMIT),
        ENTRYWAY_DELAY_AFTER_FAILURES="100",  # keep the progressive delay out of the way
        ENTRYWAY_LOG_LEVEL="warning",
    )
    started: list[Server] = []
    try:
        started.append(start_server("A", tmp_path / "a", env))
        started.append(start_server("B", tmp_path / "b", env))
        yield started[0], started[1]
    finally:
        for server in started:
            stop_server(server.process)


@dataclass(frozen=True)
class Answer:
    index: int
    server: str
    right_password: bool
    status: int
    body: dict[str, Any]

    @property
    def code(self) -> str:
        error = self.body.get("error")
        return str(error.get("code")) if isinstance(error, dict) else ""

    def __str__(self) -> str:
        kind = "right" if self.right_password else "wrong"
        return f"#{self.index} {kind}@{self.server}: {self.status} {self.code or self.body}"


async def _sign_in(
    client: httpx.AsyncClient, server: Server, index: int, password: str, start: asyncio.Event
) -> Answer:
    await start.wait()
    response = await client.post(
        "/api/v1/sign-in", json={"identifier": IDENTIFIER, "password": password}
    )
    try:
        body = response.json()
    except ValueError:
        body = {"raw": response.text[:300]}
    return Answer(
        index=index,
        server=server.name,
        right_password=password == DEMO_PASSWORD,
        status=response.status_code,
        body=body if isinstance(body, dict) else {"raw": body},
    )


async def _audit_counts(url: str) -> dict[str, int]:
    db = Database(url)
    try:
        rows = await db.run_sql("SELECT action, COUNT(*) FROM audit_log GROUP BY action")
    finally:
        await db.dispose()
    return {str(action): int(count) for action, count in rows}


async def _timeline(url: str) -> str:
    """The audit rows the burst left, in order: which attempts were checked, when the lock
    fell, and any sign-in that got through."""
    db = Database(url)
    try:
        rows = await db.run_sql("SELECT at, action FROM audit_log ORDER BY at, id")
    finally:
        await db.dispose()
    created = AuditAction.ACCOUNT_CREATED.value
    return "\n".join(f"  {at} {action}" for at, action in rows if action != created)


async def test_security_07_two_server_processes_share_one_limit(
    servers: tuple[Server, Server], shared_database: str
) -> None:
    """50 parallel wrong guesses split across two processes against a limit of 5 lock the
    account once, check at most 5 passwords, and a right guess inside the burst does not
    get through; afterwards both processes refuse the right password."""
    limits = httpx.Limits(max_connections=2 * WRONG, max_keepalive_connections=2 * WRONG)
    clients = {
        server.name: httpx.AsyncClient(
            base_url=server.base_url,
            headers={"Host": server.host},
            timeout=60.0,
            limits=limits,
            trust_env=False,  # no proxy: only 127.0.0.1
        )
        for server in servers
    }
    try:
        # Open the connections first, so the burst arrives together rather than behind
        # connection set-up.
        await asyncio.gather(
            *(clients[s.name].get("/healthz") for s in servers for _ in range(WRONG // 2 + 1))
        )
        passwords = [f"wrong-guess-{i:02d}" for i in range(WRONG)]
        middle = WRONG // 2
        passwords.insert(middle, DEMO_PASSWORD)  # the right one, in the middle of the burst
        start = asyncio.Event()
        tasks = []
        for index, password in enumerate(passwords):
            server = servers[index % 2]
            tasks.append(
                asyncio.create_task(_sign_in(clients[server.name], server, index, password, start))
            )
        await asyncio.sleep(0)  # every task is waiting at the start line
        started_at = time.monotonic()
        start.set()
        answers = await asyncio.gather(*tasks)
        burst_seconds = time.monotonic() - started_at

        # Everything but the expected refusals, for failure messages.
        report = "\n".join(str(a) for a in answers if a.code != "account_locked")
        summary: dict[tuple[str, int, str], int] = {}
        for a in answers:
            key = (a.server, a.status, a.code or str(a.body.get("next", "")))
            summary[key] = summary.get(key, 0) + 1
        context = (
            f"burst took {burst_seconds:.2f}s; answers by (server, status, code): {summary}\n"
            f"audit timeline:\n{await _timeline(shared_database)}"
        )

        right = answers[middle]
        assert right.right_password
        # The right password inside the burst gets no session, from either process.
        assert not any("session_token" in a.body for a in answers), f"{context}\n{report}"
        assert (right.status == 423 and right.code == "account_locked") or (
            right.status == 200 and right.body.get("next") == "confirm"
        ), f"the right password inside the burst was answered {right}\n{context}"

        wrong = [a for a in answers if not a.right_password]
        failed = [a for a in wrong if a.status == 401 and a.code == "sign_in_failed"]
        locked = [a for a in wrong if a.status == 423 and a.code == "account_locked"]
        other = [a for a in wrong if a not in failed and a not in locked]
        assert not other, f"unexpected answers:\n{chr(10).join(map(str, other))}\n{context}"
        assert len(failed) <= LIMIT, f"{len(failed)} answered sign_in_failed\n{context}\n{report}"
        assert len(failed) + len(locked) == WRONG

        # Every wrong password that was hashed left one sign_in.failed audit row: at most the
        # limit's worth were checked, across both processes. And the account locked once.
        audit = await _audit_counts(shared_database)
        checked = audit.get(AuditAction.SIGN_IN_FAILED.value, 0)
        assert checked <= LIMIT, f"{checked} wrong passwords were checked\n{audit}\n{context}"
        assert audit.get(AuditAction.ACCOUNT_LOCKED.value, 0) == 1, f"{audit}\n{context}"

        # Afterwards the account is locked on both processes, right password or not.
        for server in servers:
            after = await _sign_in(clients[server.name], server, -1, DEMO_PASSWORD, start)
            assert after.status == 423 and after.code == "account_locked", str(after)
        assert (await _audit_counts(shared_database)).get(
            AuditAction.SIGN_IN_FAILED.value, 0
        ) == checked, "a refused attempt checked a password"
    finally:
        for client in clients.values():
            await client.aclose()
