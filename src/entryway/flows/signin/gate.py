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
    """At most ``per_key`` holders at once per key that has failed lately, and ``clean``
    per key that has not (wide enough to keep the hash threads busy for one busy address,
    such as an office behind one NAT); an empty key is never held back."""

    def __init__(self, per_key: int, clean: int = 8) -> None:
        if per_key < 0 or clean < 0:
            raise ValueError(f"caps must be 0 (no cap) or more, got {per_key} and {clean}")
        self.per_key = per_key
        self.clean = clean
        self._lines: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    @asynccontextmanager
    async def slot(self, key: str, *, failing: bool = True) -> AsyncIterator[None]:
        size = self.per_key if failing else self.clean
        if not key or size == 0:
            yield
            return
        key = ("!" if failing else "+") + key  # an address moving lines starts a new one
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = (asyncio.Semaphore(size), [0])
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
