"""Outbox delivery: send what the flows queued, retry with backoff, lose nothing.

A message is leased before sending (conditional write), so several workers on several
instances never send one message twice at the same time. A crash after the provider accepted
but before ``mark_sent`` can repeat a message once the lease ends: at-least-once, by design.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from entryway.core.events import Channel
from entryway.core.masking import mask
from entryway.core.observe import DeliveryResult
from entryway.core.outbox import CODE_KINDS, LINK_KINDS, kept_parts, retry_delay, should_give_up
from entryway.flows.observe.ports import Metrics, NoMetrics
from entryway.flows.ports import (
    Clock,
    EventPoster,
    LogoutPoster,
    Mailer,
    Message,
    Texter,
    UnitOfWork,
)

LEASE = timedelta(minutes=2)
AT_ONCE = 8  # recipients served at once in each lane, per worker
HOOK_LIMIT = 50  # webhooks claimed a round, beside the mail
HOOK_TIMEOUT = 10.0  # seconds a webhook post may take in all, however its receiver answers
log = logging.getLogger("entryway.delivery")


@dataclass(frozen=True, slots=True)
class Courier:
    """Delivers due outbox messages through the configured providers."""

    uow: Callable[[], UnitOfWork]
    clock: Clock
    mailer: Mailer
    texter: Texter
    sender: str
    keep_code_bodies: bool = False  # demo mode keeps them for its outbox page
    poster: LogoutPoster | None = None  # back-channel logout tokens to apps
    # A queued logout statement becomes its signed token only as it is posted.
    sign_logout: Callable[[str], Awaitable[str]] | None = None
    metrics: Metrics = field(default_factory=NoMetrics)
    events: EventPoster | None = None  # security events to the store's webhooks

    async def run_once(self, limit: int = 50) -> int:
        """Deliver what is due; returns how many were accepted by a provider.

        Mail and texts, and the store's webhooks, are claimed and delivered in two lanes
        side by side, so a receiver that is down or slow never holds up a code. In each lane
        up to ``AT_ONCE`` recipients are served at a time, in the order their messages fell
        due, and one recipient's messages go one after another, in order (a resent code
        after the first, an unlock after its lock)."""
        now = self.clock.now()
        async with self.uow() as uow:
            mail = await uow.outbox.claim_due(now, now + LEASE, limit)
            hooks = await uow.outbox.claim_due(now, now + LEASE, HOOK_LIMIT, webhooks=True)
            await uow.commit()
        if not mail and not hooks:
            return 0
        sent = await asyncio.gather(self._lane(mail), self._hook_lane(hooks))
        return sum(sent)

    async def _hook_lane(self, batch: list[Message]) -> int:
        """Webhooks, up to AT_ONCE posts at a time. Once a receiver failed this round, its
        other events wait for the next (their lease runs out), so a receiver that is down
        costs one timeout a round, not one per event. Receivers order events by their
        timestamp; Standard Webhooks promises no order of arrival."""
        slots = asyncio.Semaphore(AT_ONCE)
        failing: set[str] = set()

        async def one(message: Message) -> int:
            async with slots:
                if message.to in failing:
                    return 0
                try:
                    sent = await self._deliver_and_record(message)
                except Exception:
                    log.exception("delivery not recorded", extra={"message_id": message.id})
                    return 0
                if not sent:
                    failing.add(message.to)
                return sent

        return sum(await asyncio.gather(*(one(message) for message in batch)))

    async def _lane(self, batch: list[Message]) -> int:
        by_recipient: dict[str, list[Message]] = {}
        for message in batch:
            by_recipient.setdefault(message.to, []).append(message)
        slots = asyncio.Semaphore(AT_ONCE)

        async def in_order(messages: list[Message]) -> int:
            async with slots:
                sent = 0
                for message in messages:
                    try:
                        sent += await self._deliver_and_record(message)
                    except Exception:  # its lease runs out and another round tries again
                        log.exception("delivery not recorded", extra={"message_id": message.id})
                return sent

        return sum(await asyncio.gather(*(in_order(m) for m in by_recipient.values())))

    async def _deliver_and_record(self, message: Message) -> bool:
        error = await self._deliver(message)
        async with self.uow() as uow:
            if error is None:
                after = self._after(message)
                body, html = after if after is not None else (None, None)
                await uow.outbox.mark_sent(message.id, self.clock.now(), body, html)
                result = DeliveryResult.SENT
            else:
                attempts = message.attempts + 1
                # A webhook is tried until its receiver takes it (every 30 minutes once the
                # backoff is at its longest), unless its receiver was taken out of WEBHOOKS.
                gave_up = (
                    error.startswith("LookupError")
                    if message.channel == Channel.WEBHOOK
                    else should_give_up(attempts)
                )
                result = DeliveryResult.GAVE_UP if gave_up else DeliveryResult.RETRY
                await uow.outbox.mark_retry(
                    message.id,
                    attempts,
                    self.clock.now() + retry_delay(attempts),
                    error[:500],
                    gave_up,
                )
            await uow.commit()
        self.metrics.delivered(message.channel, result)
        return result is DeliveryResult.SENT

    def _after(self, message: Message) -> tuple[str, str] | None:
        """The stored text and HTML parts once sent: code messages keep only where they
        went, and link messages lose their tokens in both parts (None: kept as they are)."""
        if self.keep_code_bodies or message.kind not in CODE_KINDS | LINK_KINDS:
            return None
        kind = "email" if message.channel == Channel.EMAIL else "phone"
        return kept_parts(message.kind, message.body, message.html, mask(kind, message.to))

    async def _deliver(self, message: Message) -> str | None:
        try:
            if message.channel == Channel.WEBHOOK:
                if self.events is None:
                    raise RuntimeError("no webhook poster is configured")
                async with asyncio.timeout(HOOK_TIMEOUT):
                    await self.events.post_event(message.to, message.id, message.body)
            elif message.channel == Channel.APP:
                if self.poster is None:
                    raise RuntimeError("no back-channel logout poster is configured")
                token = message.body
                if self.sign_logout is not None:
                    token = await self.sign_logout(message.body)
                await self.poster.post_logout(message.to, token)
            elif message.channel == Channel.EMAIL:
                await self.mailer.send_email(
                    sender=self.sender,
                    to=message.to,
                    subject=message.subject,
                    body=message.body,
                    html=message.html,
                    message_id=message.id,
                )
            else:
                await self.texter.send_text(
                    to=message.to, body=message.body, kind=message.channel.value, site=message.site
                )
        except Exception as exc:  # any provider failure means: try again later
            log.warning(
                "delivery failed", extra={"message_id": message.id, "error": type(exc).__name__}
            )
            return f"{type(exc).__name__}: {exc}"
        return None
