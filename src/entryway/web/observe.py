"""Request metrics: latency and status by route template, never by the path a client sent.

Outside every other middleware of its app, so the time covers the host check, CSRF, the
route and the template. The template comes from the route that answered
(``/account/passkeys/{passkey_id}``); a request no route answered is ``unmatched``, so
scanning random paths adds no series (SECURITY.md 42)."""

from __future__ import annotations

import time
from typing import Any

from fastapi.telemetry import TelemetryConfig
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entryway.core.observe import UNMATCHED_ROUTE
from entryway.flows.observe.ports import Metrics

# FastAPI's own OpenTelemetry hooks, off: the service counts for itself (this module, and
# METRICS_ADDRESS), and with them on FastAPI asked the OpenTelemetry providers on every
# request whether anyone was listening.
NO_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


class RequestMetrics:
    def __init__(self, app: ASGIApp, *, metrics: Metrics, name: str) -> None:
        self.app = app
        self.metrics = metrics
        self.name = name  # "site" or "console": the same template may exist on both

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts: an exception that escapes is a 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.request(
                self.name,
                route_template(scope),
                str(scope.get("method", "")),
                status,
                time.perf_counter() - started,
            )


def route_template(scope: Scope) -> str:
    """The template of the route that answered, as the router left it in the scope."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED_ROUTE
