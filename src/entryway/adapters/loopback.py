"""An httpx transport that sends ``*.localhost`` to this machine (RFC 6761 §6.3), as
browsers do. Python's resolver does not, so the demo's own server-side calls (the demo
shop's token requests, back-channel logout to the shop) go through this."""

from __future__ import annotations

import httpx


class LoopbackTransport(httpx.AsyncBaseTransport):
    """Requests to ``localhost`` or ``*.localhost`` connect to 127.0.0.1 with their Host
    header kept; every other request goes out unchanged."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host == "localhost" or host.endswith(".localhost"):
            request.headers["host"] = request.url.netloc.decode("ascii")
            request.url = request.url.copy_with(host="127.0.0.1")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
