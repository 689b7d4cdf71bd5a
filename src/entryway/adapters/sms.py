"""SMS and voice: an HTTP webhook provider, and an in-memory twin for tests."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx


class WebhookTexter:
    """POSTs JSON ``{"to", "body", "kind", "site"}`` to the configured URL; 2xx is success."""

    def __init__(self, url: str, client: httpx.AsyncClient, *, timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"ENTRYWAY_SMS_WEBHOOK_URL must be http(s), got {url!r}")
        self.url = url
        self.client = client
        self.timeout = timeout  # a provider that takes longer is tried again later

    async def send_text(self, *, to: str, body: str, kind: str, site: str) -> None:
        response = await self.client.post(
            self.url,
            json={"to": to, "body": body, "kind": kind, "site": site},
            timeout=self.timeout,
        )
        response.raise_for_status()


@dataclass
class SentText:
    to: str
    body: str
    kind: str
    site: str


@dataclass
class MemoryTexter:
    sent: list[SentText] = field(default_factory=list)
    fail: bool = False

    async def send_text(self, *, to: str, body: str, kind: str, site: str) -> None:
        if self.fail:
            raise ConnectionError("SMS provider down (test twin)")
        self.sent.append(SentText(to, body, kind, site))
