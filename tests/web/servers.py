"""Real ``entryway demo`` processes for tests that need a server of their own: several
processes on one database, or a client (schemathesis) that speaks plain HTTP.

Only 127.0.0.1 is contacted (with each site's Host header). Without a way to start a local
server a test skips, except when ``CI`` is set: then it fails, so a broken image is noticed.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import PG_DEFAULT

SITE = "us"


@dataclass
class Server:
    """One running ``entryway demo`` process."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def host(self) -> str:
        return f"{SITE}.localhost:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def _environmental(reason: str) -> NoReturn:
    """Skip for something outside the project (no local sockets, no processes); under CI,
    fail instead."""
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_until_healthy(server: Server, timeout: float = 30.0) -> bool:
    """True once /healthz answers; False if the process exited first (the log says why)."""
    deadline = time.monotonic() + timeout
    with httpx.Client(trust_env=False, timeout=1.0) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                return False
            try:
                answer = client.get(server.base_url + "/healthz", headers={"Host": server.host})
                if answer.status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise AssertionError(
        f"server {server.name} did not answer /healthz in time:\n{server.output()}"
    )


def start_server(name: str, data: Path, env: dict[str, str]) -> Server:
    """``entryway demo`` on a free port; tries another port if the one picked was taken
    between choosing it and the server binding it."""
    data.mkdir()
    for attempt in range(3):
        try:
            port = _free_port()
        except OSError as exc:
            _environmental(f"cannot bind a port on 127.0.0.1 to run the server: {exc}")
        log = data / f"server-{attempt}.log"
        command = [sys.executable, "-m", "entryway", "demo", "--port", str(port)]
        try:
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [*command, "--data", str(data)], stdout=out, stderr=subprocess.STDOUT, env=env
                )
        except OSError as exc:
            _environmental(f"cannot start a server process ({sys.executable}): {exc}")
        server = Server(name=name, port=port, process=process, log=log)
        try:
            if _wait_until_healthy(server):
                return server
        except BaseException:
            stop_server(process)
            raise
        stop_server(process)
        if "address already in use" not in server.output().lower():
            break
    raise AssertionError(f"server {name} exited with {process.returncode}:\n{server.output()}")


@contextmanager
def server_database(db_kind: str, folder: Path) -> Iterator[str]:
    """A database URL server processes can reach: a SQLite file in ``folder``, or a
    PostgreSQL database of its own (servers take no schema setting), dropped afterwards."""
    if db_kind == "sqlite":
        yield f"sqlite:///{folder / 'shared.db'}"
        return
    base = os.environ.get("ENTRYWAY_TEST_PG_URL", PG_DEFAULT)
    name = f"ew_server_{secrets.token_hex(4)}"
    asyncio.run(_pg_admin(base, f"CREATE DATABASE {name}"))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_pg_admin(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


async def _pg_admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql(statement)
    finally:
        await engine.dispose()
