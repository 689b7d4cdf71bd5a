"""The delivery loop: wakes when a flow queued a message, or every ``interval`` seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging

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

    def wake(self) -> None:
        """Called by flows after they commit a message: deliver now rather than later."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="entryway-delivery")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                while await self.courier.run_once() > 0:
                    pass
            except Exception:  # the database may be away for a moment: keep the loop alive
                log.exception("delivery round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            self._wake.clear()
