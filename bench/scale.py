"""Sign-in at 10,000 and at 1,000,000 accounts, on SQLite and on PostgreSQL.

For each database and size: a fresh database is migrated and filled with that many verified
accounts by bulk insert (one argon2id hash, computed once with the server's pepper, shared
by every row: the hasher's cost is the same whatever the row), then the real demo server
runs on it and ``--connections`` keep-alive connections sign in through the JSON API, each
cycling through its own accounts spread over the whole table, so the lookups touch the index
everywhere, not one hot page. It prints p50 and throughput at both sizes, the ratio
p50(1M) / p50(10k) (target: at most 1.2 on both databases) and the server's resident
memory after each run.

    .venv/bin/python bench/scale.py                      # both databases, about 10 minutes
    .venv/bin/python bench/scale.py --db sqlite --large 200000

PostgreSQL is the server named by ENTRYWAY_TEST_PG_URL (default: 127.0.0.1:5432, database
test); the bench makes a database of its own there and drops it. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from entryway.adapters.hashing import Argon2Hasher, Argon2Params
from entryway.adapters.sql.database import Database
from entryway.bootstrap import derive
from signin import (  # the benches share their client and server helpers (bench/ is on the path)
    BenchError,
    HttpError,
    free_port,
    quantile,
    read_response,
    request_bytes,
)

PASSWORD = "sunny-harbor-42"  # the bench accounts' password
SECRET = "scale-bench-" + "k" * 40
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
CHUNK = 50_000


def email(n: int) -> str:
    return f"scale{n}@example.com"


async def one_hash() -> str:
    hasher = Argon2Hasher(Argon2Params(), concurrency=1, pepper=derive(SECRET, "password-pepper"))
    try:
        return await hasher.hash(PASSWORD)
    finally:
        hasher.close()


def rows(count: int, password_hash: str) -> Iterator[tuple[Any, ...]]:
    created = datetime.now(UTC).replace(tzinfo=None)
    for n in range(count):
        yield (
            secrets.token_urlsafe(16), "us", f"Shopper {n}", email(n), password_hash,
            "active", True, False, created, False, "",
        )  # fmt: skip


COLUMNS = (
    "id", "site", "name", "email", "password_hash", "status", "email_verified",
    "phone_verified", "created_at", "two_step", "locale",
)  # fmt: skip


def fill_sqlite(path: Path, count: int, password_hash: str) -> None:
    db = sqlite3.connect(path)
    try:
        marks = ", ".join("?" for _ in COLUMNS)
        statement = f"INSERT INTO accounts ({', '.join(COLUMNS)}) VALUES ({marks})"  # noqa: S608
        batch: list[tuple[Any, ...]] = []
        for row in rows(count, password_hash):
            batch.append((*row[:8], row[8].isoformat(sep=" "), *row[9:]))
            if len(batch) == CHUNK:
                db.executemany(statement, batch)
                batch.clear()
        db.executemany(statement, batch)
        db.commit()
        db.execute("ANALYZE")
    finally:
        db.close()


async def fill_postgres(url: str, count: int, password_hash: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table(
            "accounts", records=rows(count, password_hash), columns=list(COLUMNS)
        )
        await conn.execute("ANALYZE accounts")
    finally:
        await conn.close()


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[tuple[str, str]]:
    """(SQLAlchemy URL, raw URL or path) of a fresh, migrated database; dropped after."""
    if kind == "sqlite":
        path = folder / "scale.db"
        url = f"sqlite:///{path}"
        asyncio.run(migrate(url))
        yield url, str(path)
        return
    base = make_url(os.environ.get("ENTRYWAY_TEST_PG_URL", PG_DEFAULT))
    name = f"ew_scale_{secrets.token_hex(4)}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    asyncio.run(pg_admin(admin, f"CREATE DATABASE {name}"))
    try:
        url = base.set(drivername="postgresql+asyncpg", database=name)
        asyncio.run(migrate(url.render_as_string(hide_password=False)))
        raw = base.set(drivername="postgresql", database=name)
        yield url.render_as_string(hide_password=False), raw.render_as_string(hide_password=False)
    finally:
        asyncio.run(pg_admin(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


async def pg_admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def migrate(url: str) -> None:
    db = Database(url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()


@contextlib.contextmanager
def server_on(url: str, folder: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENTRYWAY_")}
    env.update(
        ENTRYWAY_DATABASE_URL=url,
        ENTRYWAY_SECRET_KEY=SECRET,
        ENTRYWAY_LOG_LEVEL="warning",
        # Many accounts from one address: the lockout's per-address counts stay out of it.
        ENTRYWAY_IP_UNUSUAL_AFTER="1000000",
        ENTRYWAY_IP_REFUSE_AFTER="1000000",
    )
    folder.mkdir(parents=True, exist_ok=True)
    log = (folder / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "entryway", "demo", "--port", str(port), "--data", str(folder)],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    try:
        wait_healthy(port, proc, folder)
        yield proc, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wait_healthy(port: int, proc: subprocess.Popen[bytes], folder: Path) -> None:
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError((folder / "server.log").read_text(errors="replace")[-2000:])
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise BenchError("the server did not become healthy in 120 s")


def resident_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def sign_ins(port: int, accounts: list[int], connections: int, seconds: float,
                   warmup: float) -> dict[str, Any]:  # fmt: skip
    """Each connection signs in its share of ``accounts`` in turn; p50 over the window."""
    stop = False
    done: list[tuple[float, float]] = []
    failures: list[str] = []

    async def connection(mine: list[int]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        posts = [
            request_bytes(
                "POST", "/api/v1/sign-in", f"us.localhost:{port}",
                body=f'{{"identifier": "{email(n)}", "password": "{PASSWORD}"}}'.encode(),
                content_type="application/json",
            )
            for n in mine
        ]  # fmt: skip
        i = 0
        try:
            while not stop:
                began = time.perf_counter()
                writer.write(posts[i % len(posts)])
                response = await read_response(reader)
                if response.status != 200 or b"session_token" not in response.body:
                    failures.append(f"{response.status} {response.body[:200]!r}")
                    return
                ended = time.perf_counter()
                done.append((ended, ended - began))
                i += 1
        except (OSError, HttpError, asyncio.IncompleteReadError) as exc:
            failures.append(repr(exc))
        finally:
            writer.close()

    tasks = [asyncio.create_task(connection(accounts[c::connections])) for c in range(connections)]
    await asyncio.sleep(warmup)
    t0 = time.perf_counter()
    await asyncio.sleep(seconds)
    t1 = time.perf_counter()
    stop = True
    await asyncio.wait(tasks, timeout=60)
    measured = sorted(lat for end, lat in done if t0 <= end <= t1)
    if failures:
        raise BenchError(f"sign-ins failed: {failures[:3]}")
    return {
        "per_second": len(measured) / (t1 - t0),
        "p50_ms": 1000 * quantile(measured, 0.5),
        "p95_ms": 1000 * quantile(measured, 0.95),
    }


def run_one(kind: str, count: int, args: argparse.Namespace, password_hash: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="entryway-scale-") as tmp:
        folder = Path(tmp)
        with database(kind, folder) as (url, raw):
            began = time.monotonic()
            if kind == "sqlite":
                fill_sqlite(Path(raw), count, password_hash)
            else:
                asyncio.run(fill_postgres(raw, count, password_hash))
            filled = time.monotonic() - began
            step = max(1, count // (args.connections * 50))
            accounts = list(range(0, count, step))[: args.connections * 50]
            with server_on(url, folder / "server") as (proc, port):
                result = asyncio.run(
                    sign_ins(port, accounts, args.connections, args.seconds, args.warmup)
                )
                result["rss_mib"] = resident_mib(proc.pid)
    result.update(db=kind, accounts=count, fill_s=filled)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    password_hash = asyncio.run(one_hash())
    results = []
    for kind in kinds:
        for count in (args.small, args.large):
            print(f"{kind}: {count:,} accounts ...", flush=True)
            found = run_one(kind, count, args, password_hash)
            print(
                f"  filled in {found['fill_s']:.0f} s; {found['per_second']:.1f} sign-ins/s, "
                f"p50 {found['p50_ms']:.1f} ms, p95 {found['p95_ms']:.1f} ms, "
                f"server RSS {found['rss_mib']:.0f} MiB",
                flush=True,
            )
            results.append(found)
    print()
    print(f"{'database':<11} {'accounts':>10} {'sign-ins/s':>11} {'p50 ms':>8} {'RSS MiB':>8}")
    for r in results:
        print(
            f"{r['db']:<11} {r['accounts']:>10,} {r['per_second']:>11.1f} "
            f"{r['p50_ms']:>8.1f} {r['rss_mib']:>8.0f}"
        )
    for kind in kinds:
        small, large = (r for r in results if r["db"] == kind)
        ratio = large["p50_ms"] / small["p50_ms"]
        verdict = "within" if ratio <= 1.2 else "OVER"
        print(f"{kind}: p50 at {args.large:,} / p50 at {args.small:,} = {ratio:.2f} "
              f"({verdict} the 1.2 target); throughput ratio "
              f"{large['per_second'] / small['per_second']:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
