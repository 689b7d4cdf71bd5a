"""The store's order lookup over HTTP: a signed POST, a strictly read answer (README "Order
lookup"). Whatever goes wrong, the answer is None: the evidence is missing, nothing breaks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from datetime import date
from decimal import Decimal
from typing import Annotated

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from entryway.flows.ports import Clock, Order

log = logging.getLogger("entryway.orders")

TIMEOUT_SECONDS = 2.0
MAX_ANSWER_BYTES = 256 * 1024  # a few recent orders fit many times over
MAX_ORDERS = 50

Text = Annotated[str, Field(min_length=1, max_length=200)]


class _Order(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    number: Annotated[str, Field(min_length=1, max_length=64)]
    placed_at: date
    # Money as a string with two decimals: a float would round, and "12.3" is ambiguous.
    total: Annotated[str, Field(pattern=r"^(0|[1-9][0-9]{0,8})\.[0-9]{2}$")]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    items: Annotated[list[Text], Field(max_length=100)]
    postcode: Annotated[str, Field(max_length=16)]


class _Answer(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    orders: Annotated[list[_Order], Field(max_length=MAX_ORDERS)]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``Entryway-Signature`` value: HMAC-SHA256 of ``<timestamp>.<body>``, in hex."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + digest.hexdigest()


class HttpOrders:
    """POSTs ``{"site", "sub", "email", "phone"}`` to the store, signed with the shared
    secret; a 200 with the documented JSON is the answer, anything else is None."""

    def __init__(self, url: str, secret: str, client: httpx.AsyncClient, clock: Clock) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("ENTRYWAY_ORDER_LOOKUP_URL must be http(s)")
        if len(secret) < 32:
            raise ValueError("ENTRYWAY_ORDER_LOOKUP_SECRET needs at least 32 characters")
        self.url = url
        self.secret = secret
        self.client = client
        self.clock = clock

    async def recent_orders(
        self, *, site: str, sub: str, email: str | None, phone: str | None
    ) -> list[Order] | None:
        """The store's answer, or None (logged by cause only: no address, id or order)."""
        body = json.dumps(
            {"site": site, "sub": sub, "email": email, "phone": phone}, separators=(",", ":")
        ).encode()
        timestamp = str(int(self.clock.now().timestamp()))
        headers = {
            "content-type": "application/json",
            "entryway-timestamp": timestamp,
            "entryway-signature": sign(self.secret, timestamp, body),
        }
        try:
            # httpx's timeout is per read; the outer one bounds the whole exchange, so a
            # store that trickles its answer cannot hold the journey past two seconds.
            async with asyncio.timeout(TIMEOUT_SECONDS):
                raw = await self._post(body, headers)
        except TimeoutError:
            return _unavailable(site, "timeout")
        except (httpx.HTTPError, httpx.StreamError, httpx.InvalidURL, OSError) as exc:
            return _unavailable(site, type(exc).__name__)
        if isinstance(raw, int):
            return _unavailable(site, f"status {raw}" if raw else "answer too large")
        try:
            answer = _Answer.model_validate_json(raw)
        except ValidationError as exc:
            # The error's text quotes the input (personal data): only its size is logged.
            return _unavailable(site, f"unexpected answer ({exc.error_count()} problems)")
        return [
            Order(
                number=o.number,
                placed_at=o.placed_at,
                total=Decimal(o.total),
                currency=o.currency,
                items=tuple(o.items),
                postcode=o.postcode,
            )
            for o in answer.orders
        ]

    async def _post(self, body: bytes, headers: dict[str, str]) -> bytes | int:
        """The answer's bytes; or its status when not 200, 0 when it is too large."""
        request = self.client.build_request(
            "POST", self.url, content=body, headers=headers, timeout=TIMEOUT_SECONDS
        )
        response = await self.client.send(request, stream=True, follow_redirects=False)
        try:
            if response.status_code != 200:
                return response.status_code
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    return 0
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            await response.aclose()


def _unavailable(site: str, cause: str) -> list[Order] | None:
    # The cause is ours (a status, an exception's class, a count), never the store's text.
    log.warning("order lookup unavailable on site %s: %s", site, cause)
    return None
