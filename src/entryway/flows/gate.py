"""A cap on password checks in flight per client address, in this server process.

Password hashing is the scarce resource: a flood from a few addresses would otherwise fill
the hash queue and every sign-in would wait behind it until those addresses used up their
failure budget. With a cap, each address waits in its own line and others go ahead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class HashGate:
    """At most ``per_key`` holders per key at once; an empty key is never held back."""

    def __init__(self, per_key: int) -> None:
        if per_key < 0:
            raise ValueError(f"per_key must be 0 (no cap) or more, got {per_key}")
        self.per_key = per_key
        self._lines: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    @asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[None]:
        if not key or self.per_key == 0:
            yield
            return
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = (asyncio.Semaphore(self.per_key), [0])
        semaphore, users = line
        users[0] += 1
        try:
            async with semaphore:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:  # nobody holds or waits: forget the address
                del self._lines[key]

    def waiting(self) -> int:
        """Addresses with someone in their line (for tests and metrics)."""
        return len(self._lines)
