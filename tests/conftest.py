"""Shared fixtures: a wired runtime on SQLite or PostgreSQL, twins for the outside world.

``--db=postgresql`` runs the storage, flow and web tests against the PostgreSQL server named
by ENTRYWAY_TEST_PG_URL (default: the local server's ``test`` database). Each test session
gets its own schema, and every test starts from empty tables.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from entryway.adapters.clock import FrozenClock
from entryway.adapters.mail import MemoryMailer
from entryway.adapters.sms import MemoryTexter
from entryway.adapters.sql.database import Database
from entryway.adapters.sql.tables import metadata
from entryway.bootstrap import Runtime, app_for, build
from entryway.settings import Settings, demo_sites

PG_DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
SECRET = "test-secret-" + "x" * 40
SCREENSHOTS = Path(__file__).parent / "browser" / "screenshots"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Each run starts with an empty browser screenshot folder, so it shows only this run's
    pages. Done once, by the process that runs the session: with ``-n`` (pytest-xdist) the
    workers would otherwise delete each other's screenshots."""
    if hasattr(session.config, "workerinput") or not _runs_browser_tests(session.config):
        return
    SCREENSHOTS.mkdir(exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()


def _runs_browser_tests(config: pytest.Config) -> bool:
    """Whether this run's paths include the browser tests (a PostgreSQL run of other folders
    must leave the screenshots of the run before it alone)."""
    browser = SCREENSHOTS.parent.resolve()
    for arg in config.args or ["."]:
        path = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        if path == browser or browser.is_relative_to(path) or path.is_relative_to(browser):
            return True
    return False


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="database for storage, flow and web tests",
    )


@pytest.fixture(scope="session")
def db_kind(pytestconfig: pytest.Config) -> str:
    return str(pytestconfig.getoption("--db"))


@pytest.fixture(scope="session")
def _template(db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Migrate once per session: a template SQLite file, or a fresh PostgreSQL schema."""
    if db_kind == "sqlite":
        path = tmp_path_factory.mktemp("db") / "template.db"
        db = Database(f"sqlite:///{path}")
        asyncio.run(_migrate(db))
        yield {"kind": "sqlite", "template": path}
        return
    url = os.environ.get("ENTRYWAY_TEST_PG_URL", PG_DEFAULT)
    schema = f"t_{secrets.token_hex(4)}"
    asyncio.run(_pg_schema(url, schema, create=True))
    asyncio.run(_migrate(Database(url, schema=schema)))
    yield {"kind": "postgresql", "url": url, "schema": schema}
    asyncio.run(_pg_schema(url, schema, create=False))


async def _migrate(db: Database) -> None:
    await db.upgrade()
    await db.dispose()


async def _pg_schema(url: str, schema: str, *, create: bool) -> None:
    assert re.fullmatch(r"t_[0-9a-f]{8}", schema)
    db = Database(url)
    async with db.engine.begin() as conn:
        if create:
            await conn.execute(text(f"CREATE SCHEMA {schema}"))
        else:
            await conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    await db.dispose()


@pytest.fixture
def database_url(_template: dict[str, Any], tmp_path: Path) -> tuple[str, str | None]:
    """(url, schema) of an empty, migrated database for one test."""
    if _template["kind"] == "sqlite":
        path = tmp_path / "entryway.db"
        shutil.copy(_template["template"], path)
        return f"sqlite:///{path}", None
    asyncio.run(_truncate(_template["url"], _template["schema"]))
    return _template["url"], _template["schema"]


async def _truncate(url: str, schema: str) -> None:
    db = Database(url, schema=schema)
    names = ", ".join(t.name for t in metadata.sorted_tables)
    async with db.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await db.dispose()


def test_settings(url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "secret_key": SECRET,
        "sites": demo_sites(8000),
        "site_aliases": {"127.0.0.1:8000": "us"},
        "hash_concurrency": 4,
    }
    values.update(extra)
    return Settings(**values)


@dataclass
class World:
    """A wired runtime with twins: the tests' handle on everything."""

    runtime: Runtime
    clock: FrozenClock
    mailer: MemoryMailer
    texter: MemoryTexter

    @property
    def deps(self) -> Any:
        return self.runtime.deps

    async def deliver(self) -> int:
        return await self.runtime.delivery.courier.run_once()

    async def code(self, to: str) -> str:
        """Deliver what is queued, then the newest 6-digit code sent to ``to``."""
        await self.deliver()
        for message in reversed(self.mailer.sent):
            if message.to == to:
                found = re.search(r"\b(\d{6})\b", message.body)
                if found:
                    return found.group(1)
        for text_message in reversed(self.texter.sent):
            if text_message.to == to:
                found = re.search(r"\b(\d{6})\b", text_message.body)
                if found:
                    return found.group(1)
        raise AssertionError(f"no code was sent to {to}")


@pytest.fixture
async def world(database_url: tuple[str, str | None]) -> AsyncIterator[World]:
    url, schema = database_url
    clock = FrozenClock()
    mailer, texter = MemoryMailer(), MemoryTexter()
    runtime = build(test_settings(url), clock=clock, mailer=mailer, texter=texter, schema=schema)
    yield World(runtime=runtime, clock=clock, mailer=mailer, texter=texter)
    await runtime.close()


@pytest.fixture
async def client(world: World) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the US site (app in-process, no lifespan: tests deliver by hand)."""
    app = app_for(world.runtime, deliver=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 51000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://us.localhost:8000", follow_redirects=False
    ) as c:
        yield c
