"""Sends requests for the console's host to the console app, everything else on.

The console answers only its exact host; the customer app (and its SiteMiddleware, which
refuses unknown hosts) never sees those requests, and the console never sees a site's.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class ConsoleHost:
    """Outermost middleware of the customer app: lifespan events still reach it alone."""

    def __init__(self, app: ASGIApp, *, console: ASGIApp, host: str) -> None:
        self.app = app
        self.console = console
        self.host = host.lower().encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._host(scope) == self.host:
            await self.console(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _host(scope: Scope) -> bytes:
        for name, value in scope["headers"]:
            if name == b"host":
                return bytes(value).lower()
        return b""
