"""The load balancer's probes: /healthz and /readyz on any Host (an IP address too), while
every other path still refuses an unknown host; /readyz says 503 when the database is away,
its schema behind, or the delivery loop stopped."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from entryway.bootstrap import app_for
from tests.conftest import World
from tests.web.test_console import Hosts, hosts

__all__ = ["hosts"]  # the fixture, shared


def _client(world: World, *, deliver: bool, host: str) -> httpx.AsyncClient:
    app = app_for(world.runtime, deliver=deliver)
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 40000))
    return httpx.AsyncClient(transport=transport, base_url=f"http://{host}")


@pytest.mark.parametrize("host", ["us.localhost:8000", "10.0.0.7:8000", "10.0.0.7", "probe"])
async def test_the_probes_answer_on_any_host_and_nothing_else_does(world: World, host: str) -> None:
    async with _client(world, deliver=False, host=host) as client:
        alive = await client.get("/healthz")
        assert alive.status_code == 200 and alive.text == "ok"
        assert alive.headers["cache-control"] == "no-store"
        assert "content-security-policy" in alive.headers
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {
            "status": "ready",
            "checks": {"database": "ok", "migrations": "current", "delivery": "off"},
        }
        assert (await client.head("/readyz")).status_code == 200
        if host != "us.localhost:8000":  # any other path: the host check as ever
            assert (await client.get("/signin")).status_code == 400
            assert (await client.get("/healthz/x")).status_code == 400
            assert (await client.post("/healthz")).status_code == 400


async def test_the_console_host_answers_the_probes_too(hosts: Hosts) -> None:
    assert (await hosts.console.get("/healthz")).text == "ok"
    assert (await hosts.console.get("/readyz")).status_code == 200


async def test_not_ready_while_the_delivery_loop_is_stopped(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This process delivers, and its loop has not started (or ended): 503."""
    from entryway.web import health

    monkeypatch.setattr(health, "KEEP_FOR", 0.0)  # every probe looks again
    async with _client(world, deliver=True, host="10.0.0.7") as client:
        r = await client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["status"] == "not ready"
        assert r.json()["checks"]["delivery"] == "stopped"
        world.runtime.delivery.start()
        try:
            for _ in range(100):  # its first round comes at once
                await asyncio.sleep(0.02)
                r = await client.get("/readyz")
                if r.status_code == 200:
                    break
            assert r.json()["checks"]["delivery"] == "running"
        finally:
            await world.runtime.delivery.stop()
        assert (await client.get("/readyz")).json()["checks"]["delivery"] == "stopped"


async def test_not_ready_with_the_schema_behind_ready_with_it_ahead(world: World) -> None:
    """Behind this code's newest migration: 503. Ahead of it (a newer release upgraded the
    database during a rolling deploy): still ready, so old instances keep serving."""
    from tests.adapters.test_migrations import execute, migrate

    db = world.runtime.db
    await migrate(db, "-1", down=True)  # one migration behind
    try:
        async with _client(world, deliver=False, host="10.0.0.7") as client:
            r = await client.get("/readyz")
        assert r.status_code == 503 and r.json()["checks"]["migrations"] == "behind"
    finally:
        await migrate(db, "head")
    [(head,)] = await db.run_sql("SELECT version_num FROM alembic_version")
    await execute(db, "UPDATE alembic_version SET version_num = 'f00dcafe'")
    try:
        async with _client(world, deliver=False, host="10.0.0.7") as client:
            r = await client.get("/readyz")
        assert r.status_code == 200 and r.json()["checks"]["migrations"] == "ahead"
    finally:
        await execute(db, f"UPDATE alembic_version SET version_num = '{head}'")


async def test_not_ready_with_the_database_away(world: World) -> None:
    """A PostgreSQL nobody listens on: 503 within the probe's time, not a hang or a 500."""
    from entryway.adapters.sql.database import Database
    from entryway.web.health import Probes

    away = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")

    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("the probe answers by itself")

    probes = Probes(app, db=away, delivery=world.runtime.delivery, delivers=False)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=probes)
    async with httpx.AsyncClient(transport=transport, base_url="http://10.0.0.7") as client:
        r = await client.get("/readyz")
    await away.dispose()
    assert r.status_code == 503
    assert r.json()["checks"] == {
        "database": "unreachable",
        "migrations": "unknown",
        "delivery": "off",
    }


async def test_probes_arriving_together_share_one_look(world: World) -> None:
    """Any Host may probe: a burst costs one read of the database, not one each."""
    from entryway.web.health import Probes

    class Counting:
        calls = 0

        async def readiness(self) -> str:
            Counting.calls += 1
            await asyncio.sleep(0.05)
            return "current"

    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("the probe answers by itself")

    probes = Probes(app, db=Counting(), delivery=world.runtime.delivery, delivers=False)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=probes)
    async with httpx.AsyncClient(transport=transport, base_url="http://10.0.0.7") as client:
        answers = await asyncio.gather(*(client.get("/readyz") for _ in range(20)))
    assert {a.status_code for a in answers} == {200}
    assert Counting.calls == 1
