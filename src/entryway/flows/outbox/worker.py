"""The delivery loop: wakes when a flow queued a message, or every ``interval`` seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from entryway.flows.outbox.delivery import Courier

log = logging.getLogger("entryway.delivery")


class DeliveryLoop:
    def __init__(self, courier: Courier, interval: float) -> None:
        if interval <= 0:
            raise ValueError(f"interval must be positive, got {interval}")
        self.courier = courier
        self.interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._last_round: float | None = None  # the event loop's clock, at each round
        self._in_round = False
        # Housekeeping that rides on this loop (closing solved cases): [job, every, next due]
        self._periodic: list[_Periodic] = []

    def every(
        self, seconds: float, job: Callable[[], Awaitable[object]], *, aside: bool = False
    ) -> None:
        """Also run ``job`` about every ``seconds`` (first at the first round): one loop on
        each instance, and each job is a conditional write, so instances may share it.
        ``aside``: a long job runs as a task of its own beside the deliveries (one at a
        time), so the codes queued meanwhile are not held up by it."""
        if seconds <= 0:
            raise ValueError(f"seconds must be positive, got {seconds}")
        self._periodic.append(_Periodic(job, seconds, aside=aside))

    def wake(self) -> None:
        """Called by flows after they commit a message: deliver now rather than later."""
        self._wake.set()

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="entryway-delivery")

    async def stop(self) -> None:
        """End the loop. The flag and the wake make it end at its next turn even if the
        cancellation is lost on the way (Python 3.11's ``wait_for`` could swallow one that
        arrived as its wait finished, and ``await self._task`` then never returned)."""
        if self._task is not None:
            self._stopping = True
            self._wake.set()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for periodic in self._periodic:  # a job running aside ends with the loop
            if periodic.task is not None:
                periodic.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await periodic.task
                periodic.task = None

    def alive(self) -> bool:
        """Whether the loop runs and went round lately (the readiness probe asks): a loop
        stuck in one round, or ended, would leave every message waiting."""
        if self._task is None or self._task.done() or self._last_round is None:
            return False
        if self._in_round:  # delivering (a slow provider may hold a batch a while)
            return True
        late = asyncio.get_running_loop().time() - self._last_round
        return late <= max(3 * self.interval, 60.0)

    async def _run(self) -> None:
        while not self._stopping:
            self._last_round = asyncio.get_running_loop().time()
            self._in_round = True
            try:
                while await self.courier.run_once() > 0:
                    pass
            except Exception:  # the database may be away for a moment: keep the loop alive
                log.exception("delivery round failed")
            await self._run_periodic()
            self._in_round = False
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
            self._wake.clear()

    async def _run_periodic(self) -> None:
        now = asyncio.get_running_loop().time()
        for periodic in self._periodic:
            if now < periodic.due:
                continue
            periodic.due = now + periodic.seconds
            if periodic.aside:
                if periodic.task is None or periodic.task.done():
                    periodic.task = asyncio.create_task(self._guarded(periodic.job))
                continue
            await self._guarded(periodic.job)

    async def _guarded(self, job: Callable[[], Awaitable[object]]) -> None:
        try:
            await job()
        except Exception:  # like delivery: a failed round is retried at the next one
            log.exception("periodic job failed")


@dataclass(slots=True)
class _Periodic:
    job: Callable[[], Awaitable[object]]
    seconds: float
    due: float = 0.0
    aside: bool = False
    task: asyncio.Task[None] | None = None
