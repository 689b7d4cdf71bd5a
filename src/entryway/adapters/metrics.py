"""Prometheus metrics on a listener of their own (``METRICS_ADDRESS``), never on a site's.

Counters are told by the flows and the web layer through the ``Metrics`` port; the
database's gauges (outbox backlog, live recoveries, open cases) are read at each scrape, so
they are as fresh as the scrape and cost nothing between scrapes. Each instance has a
registry of its own (no module globals): a process's counters, and the database's readings,
which every instance reports alike (aggregate them with ``max``, not ``sum``).

No label ever carries an identifier, an address or an account id (SECURITY.md 42): each is
one of a closed set (core/observe.py), a lock reason, a channel, an HTTP method and status,
or a route's template.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

from entryway.core.cases import CaseState
from entryway.core.events import Channel
from entryway.core.lockout import LockReason
from entryway.core.observe import DeliveryResult, SignInMethod, SignInOutcome
from entryway.core.recovery import LIVE_STATES
from entryway.flows.observe.ports import GaugeReading

log = logging.getLogger("entryway.metrics")

# Request latency buckets: sign-in sits near the hash time (tens of ms), pages well under.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
WAIT_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
READ_TIMEOUT = 3.0  # a scrape waits this long for the database's readings, then reports stale
HEAD_LIMIT = 8192  # bytes of request head a scrape may send
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class PrometheusMetrics:
    """The ``Metrics`` port over prometheus-client, with the gauges a scrape refreshes."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        ProcessCollector(registry=r)  # memory, CPU, open files of this process
        PlatformCollector(registry=r)
        self._sign_ins = Counter(
            "entryway_sign_ins",
            "Sign-in attempts by method and outcome.",
            ["method", "outcome"],
            registry=r,
        )
        for method in SignInMethod:  # every series exists from the start, at zero
            for outcome in SignInOutcome:
                self._sign_ins.labels(method.value, outcome.value)
        self._locks = Counter(
            "entryway_locks_opened", "Account locks opened, by reason.", ["reason"], registry=r
        )
        for reason in LockReason:
            self._locks.labels(reason.value)
        self._deliveries = Counter(
            "entryway_deliveries",
            "Outbox delivery attempts by channel and result.",
            ["channel", "result"],
            registry=r,
        )
        for channel in Channel:
            for result in DeliveryResult:
                self._deliveries.labels(channel.value, result.value)
        self._requests = Counter(
            "entryway_requests",
            "HTTP requests by app, route template, method and status.",
            ["app", "route", "method", "status"],
            registry=r,
        )
        self._latency = Histogram(
            "entryway_request_seconds",
            "HTTP request latency by app and route template.",
            ["app", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.hash_wait = Histogram(
            "entryway_hash_wait_seconds",
            "Time a password hash waited for a hashing thread.",
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.hash_depth = Gauge(
            "entryway_hash_queue_depth", "Password hashes waiting for a thread now.", registry=r
        )
        self._waiting = Gauge(
            "entryway_outbox_waiting", "Messages not yet delivered nor given up.", registry=r
        )
        self._due = Gauge(
            "entryway_outbox_due", "Waiting messages whose time has come.", registry=r
        )
        self._oldest = Gauge(
            "entryway_outbox_oldest_due_seconds",
            "How long the longest-waiting message has waited: since it fell due, or, once "
            "it failed, since it was written (0: none).",
            registry=r,
        )
        self._recoveries = Gauge(
            "entryway_recoveries", "Live account recoveries by state.", ["state"], registry=r
        )
        self._cases = Gauge(
            "entryway_cases", "Support cases not closed, by state.", ["state"], registry=r
        )
        self.reading_up = Gauge(
            "entryway_database_reading_up",
            "1 if the last scrape read the database's gauges, 0 if it could not.",
            registry=r,
        )

    def watch_hashing(self, depth: Callable[[], int]) -> Callable[[float], None]:
        """Report the hasher's queue depth at each scrape; returns what its threads call
        with each hash's wait."""
        self.hash_depth.set_function(lambda: float(depth()))
        return self.hash_wait.observe

    def sign_in(self, method: SignInMethod, outcome: SignInOutcome) -> None:
        self._sign_ins.labels(method.value, outcome.value).inc()

    def lock_opened(self, reason: str) -> None:
        self._locks.labels(LockReason(reason).value).inc()

    def delivered(self, channel: Channel, result: DeliveryResult) -> None:
        self._deliveries.labels(channel.value, result.value).inc()

    def request(self, app: str, route: str, method: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "other"
        self._requests.labels(app, route, method, str(status)).inc()
        self._latency.labels(app, route).observe(seconds)

    def show(self, reading: GaugeReading, now: datetime) -> None:
        """Set the database's gauges from one reading; every known state is set, to 0 when
        absent, so a state that empties reads 0 rather than its last count."""
        self._waiting.set(reading.outbox_waiting)
        self._due.set(reading.outbox_due)
        oldest = reading.oldest_since
        self._oldest.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        for recovery_state in LIVE_STATES:
            self._recoveries.labels(recovery_state.value).set(
                reading.recoveries.get(recovery_state.value, 0)
            )
        for case_state in CaseState:
            if case_state is not CaseState.CLOSED:
                self._cases.labels(case_state.value).set(reading.cases.get(case_state.value, 0))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class MetricsListener:
    """A plain HTTP/1.1 listener for ``GET /metrics`` (and HEAD), one request a connection.

    It runs on the service's own event loop beside the sites, on its own address (keep it
    off the public network: it needs no credentials and shows the service's load). Scrapes
    arriving together share one reading of the database, kept for a second, and at most
    ``AT_ONCE`` connections are served at a time, so a scraping loop cannot take the
    database's connections from sign-ins."""

    AT_ONCE = 4
    KEEP_FOR = 1.0  # seconds a reading is shared

    def __init__(
        self,
        metrics: PrometheusMetrics,
        read: Callable[[], Awaitable[GaugeReading]],
        now: Callable[[], datetime],
    ) -> None:
        self._metrics = metrics
        self._read = read
        self._now = now
        self._server: asyncio.Server | None = None
        self._slots = asyncio.Semaphore(self.AT_ONCE)
        self._reading = asyncio.Lock()
        self._read_at = -1e9
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (port 0: any free one); returns the port bound."""
        self._server = await asyncio.start_server(self._accept, host, port, limit=HEAD_LIMIT)
        bound = int(self._server.sockets[0].getsockname()[1])
        log.info("metrics listening", extra={"address": f"{host}:{bound}"})
        return bound

    async def stop(self) -> None:
        """Stop listening and end every connection still open (a scrape in progress is cut
        short: the service is stopping)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        handlers = list(self._handlers)
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)

    async def refresh(self) -> None:
        """Read the database's gauges, within READ_TIMEOUT, unless a reading under a second
        old can be shared; on failure keep the last ones and say so in
        ``entryway_database_reading_up``."""
        async with self._reading:
            if time.monotonic() - self._read_at < self.KEEP_FOR:
                return
            try:
                reading = await asyncio.wait_for(self._read(), READ_TIMEOUT)
            except Exception as exc:  # the scrape still answers: counters are worth having
                log.warning("metrics reading failed", extra={"error": type(exc).__name__})
                self._metrics.reading_up.set(0)
            else:
                self._metrics.show(reading, self._now())
                self._metrics.reading_up.set(1)
            self._read_at = time.monotonic()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            async with self._slots:
                await self._answer(reader, writer)
        except Exception as exc:  # one broken scrape never reaches the loop's handler
            log.warning("metrics scrape failed", extra={"error": type(exc).__name__})
        finally:
            self._handlers.discard(task)
            writer.close()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5.0)
        except (asyncio.LimitOverrunError, ValueError):
            await self._reply(writer, 431, b"request head too large\n")
            return
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            return
        parts = head.split(b"\r\n", 1)[0].split(b" ")
        method = parts[0] if parts else b""
        path = parts[1].split(b"?", 1)[0] if len(parts) > 1 else b""
        if path != b"/metrics":
            await self._reply(writer, 404, b"not found: the metrics are at /metrics\n")
        elif method not in (b"GET", b"HEAD"):
            await self._reply(writer, 405, b"GET /metrics\n", allow=True)
        else:
            await self.refresh()
            body = self._metrics.exposition()
            await self._reply(writer, 200, body, CONTENT_TYPE_LATEST, head_only=method == b"HEAD")

    async def _reply(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes,
        content_type: str = "text/plain; charset=utf-8",
        *,
        allow: bool = False,
        head_only: bool = False,
    ) -> None:
        reason = REASONS.get(status, "Error")
        lines = [
            f"HTTP/1.1 {status} {reason}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}",
            "Connection: close",
            "Cache-Control: no-store",
        ]
        if allow:
            lines.append("Allow: GET, HEAD")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (b"" if head_only else body))
        with contextlib.suppress(TimeoutError, ConnectionError):
            await asyncio.wait_for(writer.drain(), 10.0)


REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 431: "Header Too Large"}
