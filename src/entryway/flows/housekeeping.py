"""Housekeeping: delete what has expired (core/housekeeping.py), in small batches.

Run by ``entryway db sweep`` to the end, and by every instance once an hour on its delivery
loop, a bounded number of batches a round. Deleting a row that is already gone deletes
nothing, so any number of instances may sweep at once."""

from __future__ import annotations

import asyncio

from entryway.core.housekeeping import SweepJob, cutoffs
from entryway.flows.ports import Deps

BATCH = 500  # rows a transaction: a sign-in waits at most this long for a sweep
ROUND_BATCHES = 20  # batches of each job in one periodic round; the next round goes on


async def sweep(deps: Deps, *, max_batches: int | None = ROUND_BATCHES) -> dict[SweepJob, int]:
    """Delete expired rows of every job; how many of each (``max_batches``: None sweeps
    each job to the end)."""
    limits = cutoffs(deps.clock.now(), deps.retention, deps.lock_policy.known_device_for)
    deleted: dict[SweepJob, int] = {}
    for job, cutoff in limits.items():
        total = batches = 0
        while True:
            async with deps.uow() as uow:
                n = await uow.sweeper.expired(job, cutoff, BATCH)
                await uow.commit()
            total += n
            batches += 1
            if n < BATCH or (max_batches is not None and batches >= max_batches):
                break
            await asyncio.sleep(0)  # requests go between batches
        deleted[job] = total
    return deleted


async def periodic(deps: Deps) -> int:
    """One bounded round, for the delivery loop; how many rows went."""
    return sum((await sweep(deps)).values())
