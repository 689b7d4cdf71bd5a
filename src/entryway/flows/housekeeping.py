"""Housekeeping: delete what has expired (core/housekeeping.py), in small batches.

Run by ``entryway db sweep`` to the end, and by every instance once an hour on its delivery
loop, a bounded number of batches a round. Deleting a row that is already gone deletes
nothing, so any number of instances may sweep at once."""

from __future__ import annotations

import asyncio
from datetime import datetime

from entryway.core.events import AuditAction
from entryway.core.housekeeping import SweepJob, cutoffs
from entryway.core.webhooks import SYSTEM
from entryway.flows.common import audit
from entryway.flows.ports import Deps, Requester, UnitOfWork

NOBODY = Requester()  # the service itself, on its schedule: no address, no browser

BATCH = 500  # rows a transaction: a sign-in waits at most this long for a sweep
ROUND_BATCHES = 20  # batches of each job in one periodic round; the next round goes on
ERASE_BATCH = 20  # closed accounts erased in one transaction (each is several deletes)


async def sweep(deps: Deps, *, max_batches: int | None = ROUND_BATCHES) -> dict[SweepJob, int]:
    """Delete expired rows of every job; how many of each (``max_batches``: None sweeps
    each job to the end)."""
    limits = cutoffs(deps.clock.now(), deps.retention, deps.lock_policy.known_device_for)
    deleted: dict[SweepJob, int] = {}
    for job, cutoff in limits.items():
        total = batches = 0
        size = ERASE_BATCH if job is SweepJob.CLOSED_ACCOUNTS else BATCH
        while True:
            async with deps.uow() as uow:
                if job is SweepJob.CLOSED_ACCOUNTS:
                    n = await erase_closed(deps, uow, cutoff, size)
                else:
                    n = await uow.sweeper.expired(job, cutoff, size)
                await uow.commit()
            total += n
            batches += 1
            if n < size or (max_batches is not None and batches >= max_batches):
                break
            await asyncio.sleep(0)  # requests go between batches
        deleted[job] = total
    return deleted


async def erase_closed(deps: Deps, uow: UnitOfWork, cutoff: datetime, limit: int) -> int:
    """Erase at most ``limit`` accounts closed before ``cutoff``, in ``uow``; how many were
    picked (the batch loop's measure). Each leaves one audit row, which the store's webhooks
    hear of as ``account.erased``: the store may then erase its own copy."""
    picked = await uow.accounts.closed_before(cutoff, limit)
    for site, account_id in picked:
        if await uow.accounts.erase(site, account_id, cutoff):
            await audit(deps, uow, site, account_id, AuditAction.ACCOUNT_ERASED, NOBODY, by=SYSTEM)
    return len(picked)


async def periodic(deps: Deps) -> int:
    """One bounded round, for the delivery loop; how many rows went."""
    return sum((await sweep(deps)).values())
