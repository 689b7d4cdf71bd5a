"""Security events POSTed to the store, signed by the Standard Webhooks scheme.

Each request carries ``webhook-id`` (the outbox message's id: the same on every retry, so a
receiver drops a duplicate), ``webhook-timestamp`` (when this attempt was signed: receivers
refuse one older than a few minutes, so a retry is signed afresh) and ``webhook-signature``
(``v1,`` and the base64 HMAC-SHA256 of ``id.timestamp.body`` under the receiver's secret).
Any 2xx is delivered; anything else, a timeout or a refused connection is retried by the
outbox with backoff. Redirects are not followed: the configured URL is the only one.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

TIMEOUT_SECONDS = 5.0
ID_PREFIX = "msg_"


class SignedEventPoster:
    def __init__(self, client: httpx.AsyncClient, secrets: dict[str, str]) -> None:
        self.client = client
        self._signers = {url: Webhook(secret) for url, secret in secrets.items()}

    def headers(self, url: str, event_id: str, body: str, at: datetime) -> dict[str, str]:
        """The signed headers for one attempt (``at``: the signing time, UTC)."""
        signer = self._signers.get(url)
        if signer is None:
            raise LookupError("no webhook receiver is configured for that URL any more")
        msg_id = ID_PREFIX + event_id
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signer.sign(msg_id, at, body),
            "content-type": "application/json",
            "user-agent": "Entryway-Webhooks/1",
        }

    async def post_event(self, url: str, event_id: str, body: str) -> None:
        headers = self.headers(url, event_id, body, datetime.now(UTC))
        response = await self.client.post(
            url,
            content=body.encode(),
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            follow_redirects=False,
        )
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"the webhook receiver answered {response.status_code}")
