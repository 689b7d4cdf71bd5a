"""The load balancer's probes, answered on any Host (a probe may send an IP address), before
the host check that refuses unknown hosts on every other path (SECURITY.md 12):

- ``GET /healthz``: the process answers (200 ``ok``);
- ``GET /readyz``: this instance can serve: the database answers, its schema is not
  behind this code's newest migration (ahead is fine: a newer release upgraded it during a
  rolling deploy), and the delivery loop goes round (when this process delivers). 200 or
  503, with each check's state as JSON, and nothing else: no version, host or setting.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from entryway.flows.outbox.worker import DeliveryLoop
from entryway.web.security import with_security_headers

log = logging.getLogger(__name__)
PROBE_TIMEOUT = 2.0  # seconds for the database's answer: a probe that hangs has failed
KEEP_FOR = 1.0  # seconds a readiness answer is kept for the probes that follow


class Database(Protocol):
    """What the probe asks of the database (adapters.sql.database.Database)."""

    async def readiness(self) -> str: ...


class Probes:
    """Outermost middleware: ``/healthz`` and ``/readyz`` on any host, the rest passed on."""

    def __init__(
        self, app: ASGIApp, *, db: Database, delivery: DeliveryLoop, delivers: bool
    ) -> None:
        self.app = app
        self.db = db
        self.delivery = delivery
        self.delivers = delivers
        self._lock = asyncio.Lock()
        self._kept: tuple[float, dict[str, str]] | None = None
        self._logged: dict[str, str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path") if scope["type"] == "http" else None
        if path not in ("/healthz", "/readyz") or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        if path == "/healthz":
            await _answer(send, scope, 200, b"ok", b"text/plain; charset=utf-8")
            return
        checks = await self.checks()
        ready = _ready(checks)
        body = json.dumps({"status": "ready" if ready else "not ready", "checks": checks})
        await _answer(send, scope, 200 if ready else 503, body.encode(), b"application/json")

    async def checks(self) -> dict[str, str]:
        """The checks' states, shared by probes arriving together and kept for a second
        (a probe on any Host must not cost a query each)."""
        async with self._lock:
            now = asyncio.get_running_loop().time()
            if self._kept is None or now - self._kept[0] >= KEEP_FOR:
                self._kept = (now, await self._check())
            return self._kept[1]

    async def _check(self) -> dict[str, str]:
        try:
            async with asyncio.timeout(PROBE_TIMEOUT):
                schema = await self.db.readiness()
            database, migrations = "ok", schema
        except Exception:  # any failure is "not ready"
            database, migrations = "unreachable", "unknown"
        # "off": this process does not deliver (another one does, or none: tests).
        delivery = "running" if self.delivery.alive() else "stopped"
        if not self.delivers:
            delivery = "off"
        found = {"database": database, "migrations": migrations, "delivery": delivery}
        if found != self._logged:  # said once when it changes, not at every probe
            (log.info if _ready(found) else log.warning)("readiness: %s", found)
            self._logged = found
        return found


def _ready(checks: dict[str, str]) -> bool:
    return all(state in ("ok", "current", "ahead", "running", "off") for state in checks.values())


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
