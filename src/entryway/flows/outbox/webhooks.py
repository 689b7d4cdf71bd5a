"""Security events for the store's webhooks, queued in the outbox with the change itself.

Each audit row that stands for a security event (core/webhooks.py) becomes one outbox
message per subscribed receiver, in the same transaction: the event is posted if and only
if the change committed, and a receiver that is down delays it, never loses it (the outbox
retries with backoff). The message is signed only as it is posted (Standard Webhooks), with
the message's id as ``webhook-id``, the same on every retry, so a receiver can drop a
duplicate. Webhook messages have no account: no Message Center lists them.
"""

from __future__ import annotations

import json

from entryway.core.events import Channel, MessageKind
from entryway.core.secrets import new_token
from entryway.core.webhooks import event_for, needs_account, payload
from entryway.flows.ports import AuditEntry, Deps, Message, UnitOfWork
from entryway.flows.subjects import public_subject


async def queue_event(deps: Deps, uow: UnitOfWork, entry: AuditEntry) -> int:
    """Queue the event ``entry`` stands for to each receiver that wants it; how many."""
    if not deps.webhooks:
        return 0
    event = event_for(entry.action, entry.detail)
    if event is None or (entry.account_id is None and needs_account(event)):
        return 0
    receivers = [sub for sub in deps.webhooks if sub.wants(event)]
    if not receivers:
        return 0
    subject = public_subject(deps.keys, entry.site, entry.account_id) if entry.account_id else None
    body = json.dumps(
        payload(
            event,
            site=entry.site,
            subject=subject,
            action=entry.action,
            at=entry.at,
            ip=entry.ip,
            detail=entry.detail,
        ),
        separators=(",", ":"),
        sort_keys=True,
    )
    now = deps.clock.now()
    for sub in receivers:
        await uow.outbox.add(
            Message(
                id=new_token(deps.rng, 16),
                site=entry.site,
                account_id=None,
                channel=Channel.WEBHOOK,
                kind=MessageKind.SECURITY_EVENT,
                to=sub.url,
                subject=event.value,
                body=body,
                created_at=now,
                next_attempt_at=now,
            )
        )
    return len(receivers)
