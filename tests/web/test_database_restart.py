"""PostgreSQL restarted under a steady sign-in load: requests fail cleanly (503 in the error
shape, never a 500), the service recovers by itself, and no session or failure count is lost
or doubled.

The database is a throwaway cluster of the test's own (Debian's initdb and pg_ctl) on a port
of its own, never the shared server; the service is a real ``entryway demo`` process on it.
Only 127.0.0.1 is contacted. Without initdb the test skips, except when ``CI`` is set: then
it fails, so a broken image is noticed.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from entryway.adapters.sql.database import Database
from entryway.flows.demo import DEMO_PASSWORD
from tests.adapters.test_delivery import free_port
from tests.conftest import SECRET
from tests.web.servers import Server, start_server, stop_server

JANE = "jane@example.com"  # a verified demo account on the US site
NOBODY = "nobody-here@example.com"  # wrong guesses: counted, never locking anyone


@dataclass
class Cluster:
    data: Path
    port: int
    as_postgres: list[str]

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, *args: str) -> None:
        # A server started here must not hold our pipes open: its output goes nowhere.
        subprocess.run(
            [*self.as_postgres, pg_bin("pg_ctl"), "-D", str(self.data), *args],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
        )  # fmt: skip


def pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    return found[-1]


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if not os.path.exists(pg_bin("initdb")):
        if os.environ.get("CI"):
            raise AssertionError("initdb is missing: install Debian's postgresql package")
        pytest.skip("no initdb on this machine (Debian's postgresql package)")
    folder = Path(tempfile.mkdtemp(prefix="ew-pg-"))
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", free_port()
    subprocess.run(
        [*as_postgres, pg_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    found = Cluster(data=data, port=port, as_postgres=as_postgres)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    found.ctl("-o", options, "-l", str(folder / "log"), "-w", "start")
    try:
        yield found
    finally:
        subprocess.run(
            [*as_postgres, pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
        )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def server(cluster: Cluster, tmp_path: Path) -> Iterator[Server]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENTRYWAY_")}
    env.update(
        ENTRYWAY_DATABASE_URL=cluster.url,
        ENTRYWAY_SECRET_KEY=SECRET,
        ENTRYWAY_LOCK_AFTER_FAILURES="100000",
        ENTRYWAY_KNOWN_DEVICE_LOCK_AFTER="100000",
        ENTRYWAY_DELAY_AFTER_FAILURES="100000",
        ENTRYWAY_UNUSUAL_AFTER_FAILURES="100000",
        ENTRYWAY_IP_UNUSUAL_AFTER="100000",
        ENTRYWAY_IP_REFUSE_AFTER="100000",
        ENTRYWAY_LOG_LEVEL="warning",
    )
    started = start_server("A", tmp_path / "a", env)
    try:
        yield started
    finally:
        stop_server(started.process)


@dataclass
class Tally:
    statuses: dict[tuple[str, int], int]
    tokens: list[str]
    bad: list[str]
    last_ok_at: float = 0.0


async def load(client: httpx.AsyncClient, identifier: str, password: str, tally: Tally,
               until: asyncio.Event) -> None:  # fmt: skip
    while not until.is_set():
        try:
            r = await client.post(
                "/api/v1/sign-in", json={"identifier": identifier, "password": password}
            )
        except httpx.HTTPError as exc:  # the server itself must stay up
            tally.bad.append(f"{type(exc).__name__}: {exc}")
            continue
        key = (identifier, r.status_code)
        tally.statuses[key] = tally.statuses.get(key, 0) + 1
        body = r.json()
        if r.status_code == 200:
            tally.tokens.append(body["session_token"])
            tally.last_ok_at = time.monotonic()
        elif r.status_code == 503:
            if body["error"]["code"] != "unavailable" or r.headers.get("retry-after") != "2":
                tally.bad.append(f"503 {body} {dict(r.headers)}")
        elif r.status_code != 401 or password == DEMO_PASSWORD:  # the right one never fails
            tally.bad.append(f"{identifier}: {r.status_code} {r.text[:300]}")


async def test_a_database_restart_under_load_fails_cleanly_and_recovers(
    cluster: Cluster, server: Server
) -> None:
    tally = Tally(statuses={}, tokens=[], bad=[])
    until = asyncio.Event()
    async with httpx.AsyncClient(
        base_url=server.base_url, headers={"Host": server.host}, timeout=30, trust_env=False
    ) as client:
        workers = [
            asyncio.create_task(load(client, who, pw, tally, until))
            for who, pw in [(JANE, DEMO_PASSWORD)] * 3 + [(NOBODY, "wrong-guess-123")] * 3
        ]
        await asyncio.sleep(2)
        before = tally.last_ok_at
        assert before > 0, f"no sign-in got through before the restart: {tally}"
        log = str(cluster.data.parent / "log")
        await asyncio.to_thread(cluster.ctl, "-m", "fast", "-l", log, "-w", "restart")
        restarted = time.monotonic()
        deadline = restarted + 20
        while tally.last_ok_at < restarted + 0.5 and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        await asyncio.sleep(1)
        until.set()
        await asyncio.gather(*workers)
    print(f"answers by (identifier, status): {tally.statuses}")  # for the record, with -s
    assert not tally.bad, "\n".join(tally.bad[:20])
    assert tally.last_ok_at > restarted, f"no sign-in got through after the restart: {tally}"
    unavailable = sum(n for (_who, status), n in tally.statuses.items() if status == 503)
    assert unavailable > 0, f"the restart was never noticed: {tally.statuses}"
    # Nothing lost or doubled: every token answered is a stored session, and only a request
    # answered 503 after its commit (the answer lost, not the work) may have left one more.
    db = Database(cluster.url)
    try:
        sessions = (await db.run_sql("SELECT COUNT(*) FROM sessions"))[0][0]
        failed = (await db.run_sql(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'sign_in.failed'"
        ))[0][0]  # fmt: skip
        counted = (await db.run_sql(
            "SELECT COALESCE(SUM(count), 0) FROM failure_counters WHERE scope = 'ip'"
        ))[0][0]  # fmt: skip
    finally:
        await db.dispose()
    # Every session answered works, on the restarted database.
    async with httpx.AsyncClient(
        base_url=server.base_url, headers={"Host": server.host}, timeout=30, trust_env=False
    ) as client:
        for token in tally.tokens[:: max(1, len(tally.tokens) // 40)]:
            got = await client.get("/api/v1/session", headers={"Authorization": f"Bearer {token}"})
            assert got.status_code == 200, got.text
    ok = tally.statuses.get((JANE, 200), 0)
    wrong = tally.statuses.get((NOBODY, 401), 0)
    assert ok <= sessions <= ok + unavailable, (sessions, tally.statuses)
    assert wrong <= failed <= wrong + unavailable, (failed, tally.statuses)
    assert counted >= wrong, (counted, tally.statuses)
