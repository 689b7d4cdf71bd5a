"""The load balancer's probes, answered on any Host (a probe may send an IP address), before
the host check that refuses unknown hosts on every other path (SECURITY.md 12):

- ``GET /healthz``: the process answers (200 ``ok``);
- ``GET /readyz``: this instance can serve: the database answers, its schema is at the
  newest migration, and the delivery loop goes round (when this process delivers). 200 or
  503, with each check's state as JSON, and nothing else: no version, host or setting.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from entryway.flows.outbox.worker import DeliveryLoop
from entryway.web.security import with_security_headers

log = logging.getLogger(__name__)
PROBE_TIMEOUT = 2.0  # seconds per check: a probe that hangs is a failed probe


class Database(Protocol):
    """What the probe asks of the database (adapters.sql.database.Database)."""

    async def run_sql(self, statement: str) -> Any: ...
    async def migrations_current(self) -> bool: ...


class Probes:
    """Outermost middleware: ``/healthz`` and ``/readyz`` on any host, the rest passed on."""

    def __init__(
        self, app: ASGIApp, *, db: Database, delivery: DeliveryLoop, delivers: bool
    ) -> None:
        self.app = app
        self.db = db
        self.delivery = delivery
        self.delivers = delivers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path") if scope["type"] == "http" else None
        if path not in ("/healthz", "/readyz") or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        if path == "/healthz":
            await _answer(send, scope, 200, b"ok", b"text/plain; charset=utf-8")
            return
        checks = await self.checks()
        ready = all(state in ("ok", "current", "running", "off") for state in checks.values())
        body = json.dumps({"status": "ready" if ready else "not ready", "checks": checks})
        await _answer(send, scope, 200 if ready else 503, body.encode(), b"application/json")

    async def checks(self) -> dict[str, str]:
        database = await _probe(self._database, "unreachable")
        migrations = await _probe(self._migrations, "unknown") if database == "ok" else "unknown"
        # "off": this process does not deliver (another one does, or none: tests).
        delivery = "running" if self.delivery.alive() else "stopped"
        if not self.delivers:
            delivery = "off"
        return {"database": database, "migrations": migrations, "delivery": delivery}

    async def _database(self) -> str:
        await self.db.run_sql("SELECT 1")
        return "ok"

    async def _migrations(self) -> str:
        return "current" if await self.db.migrations_current() else "behind"


async def _probe(check: Callable[[], Awaitable[str]], failed: str) -> str:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            return await check()
    except Exception:  # any failure is "not ready"; the log says which
        log.warning("readiness check failed", exc_info=True)
        return failed


async def _answer(send: Send, scope: Scope, status: int, body: bytes, kind: bytes) -> None:
    headers = with_security_headers(
        [
            (b"content-type", kind),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
        ]
    )
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
