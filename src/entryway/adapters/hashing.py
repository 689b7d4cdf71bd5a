"""argon2id password hashing in worker threads, bounded so overload queues (DESIGN.md)."""

from __future__ import annotations

import asyncio
import hmac
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP Password Storage Cheat Sheet minimum for argon2id: m=19 MiB, t=2, p=1.
OWASP_MEMORY_KIB = 19 * 1024
OWASP_TIME_COST = 2


@dataclass(frozen=True, slots=True)
class Argon2Params:
    memory_kib: int = OWASP_MEMORY_KIB
    time_cost: int = OWASP_TIME_COST
    parallelism: int = 1

    def __post_init__(self) -> None:
        if self.memory_kib < OWASP_MEMORY_KIB or self.time_cost < OWASP_TIME_COST:
            raise ValueError(f"argon2id below the OWASP floor (m>=19456 KiB, t>=2): {self}")
        if self.parallelism != 1:
            raise ValueError(f"parallelism must be 1, got {self.parallelism}")


class Argon2Hasher:
    """Hashes and verifies off the event loop, in a pool of ``concurrency`` threads of its own.

    At most ``concurrency`` hashes hold their 19 MiB at once; the rest wait in the pool's
    queue, so overload queues instead of exhausting memory. A worker that finishes takes the
    next queued hash at once, without a round trip through the event loop: that kept both
    cores busy where a semaphore in front of ``asyncio.to_thread`` left them idle 10% of the
    time (bench/signin.py).
    """

    def __init__(self, params: Argon2Params, *, concurrency: int, pepper: bytes = b"") -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self._ph = _Argon2(
            time_cost=params.time_cost,
            memory_cost=params.memory_kib,
            parallelism=params.parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="argon2")
        self._pepper = pepper
        # A real hash of a random secret, so unknown identifiers cost exactly one verify.
        self._dummy = self._ph.hash("dummy password that matches nothing")

    def _peppered(self, password: str) -> bytes:
        """With a pepper, hash HMAC(pepper, password): a stolen database alone is not enough."""
        raw = password.encode("utf-8", "surrogatepass")
        if not self._pepper:
            return raw
        return hmac.new(self._pepper, raw, "sha256").hexdigest().encode()

    async def hash(self, password: str) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._ph.hash, self._peppered(password))

    async def verify(self, encoded: str, password: str) -> bool:
        loop = asyncio.get_running_loop()
        secret = self._peppered(password)
        return await loop.run_in_executor(self._pool, self._verify_sync, encoded, secret)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def verify_dummy(self, password: str) -> None:
        """Spend one verify's worth of work on a hash that never matches (SECURITY.md 3)."""
        await self.verify(self._dummy, password + "\x00")

    def needs_rehash(self, encoded: str) -> bool:
        try:
            return self._ph.check_needs_rehash(encoded)
        except InvalidHashError:
            return True

    def _verify_sync(self, encoded: str, secret: bytes) -> bool:
        try:
            return self._ph.verify(encoded, secret)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
