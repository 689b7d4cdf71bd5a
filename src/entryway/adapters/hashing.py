"""argon2id password hashing in worker threads, bounded so overload queues (DESIGN.md)."""

from __future__ import annotations

import asyncio
import hmac
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

log = logging.getLogger("entryway.hashing")

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


class _Workers:
    """``count`` threads taking jobs from two queues: urgent jobs first, each queue in
    arrival order, except that after ``FAIR_EVERY`` urgent jobs in a row a waiting
    ordinary one goes next. Without that turn, steady urgent work (recognised devices
    signing in) kept a new device's first check waiting for as long as it lasted
    (bench/peers.py found page sign-ins waiting 20 s); with it, an ordinary job waits
    behind at most that many, and a flood of ordinary ones still leaves the urgent lane
    four slots in five. A worker that finishes takes the next job at once, without a round
    trip through the event loop (a semaphore in front of ``asyncio.to_thread`` left the
    cores idle 10% of the time, bench/signin.py)."""

    FAIR_EVERY = 4

    def __init__(self, count: int) -> None:
        self._urgent: deque[Any] = deque()
        self._ordinary: deque[Any] = deque()
        self._ready = threading.Condition()
        self._urgent_in_a_row = 0
        self._closed = False
        # Told each job's wait in the queue, in seconds (the metrics' histogram).
        self.on_wait: Callable[[float], None] | None = None
        self._threads = [
            threading.Thread(target=self._work, name=f"argon2-{n}", daemon=True)
            for n in range(count)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, urgent: bool, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        job = (future, fn, args, time.perf_counter())
        with self._ready:
            (self._urgent if urgent else self._ordinary).append(job)
            self._ready.notify()
        return future

    def depth(self) -> int:
        """Jobs waiting for a thread now (not those being worked on)."""
        return len(self._urgent) + len(self._ordinary)

    def _next(self) -> Any:
        """The next job, or None once shut down with nothing left to do."""
        with self._ready:
            while True:
                if self._urgent and not self._ordinary:
                    self._urgent_in_a_row = 0  # counted only while an ordinary job waits
                    return self._urgent.popleft()
                if self._urgent and self._urgent_in_a_row < self.FAIR_EVERY:
                    self._urgent_in_a_row += 1
                    return self._urgent.popleft()
                if self._ordinary:
                    self._urgent_in_a_row = 0
                    return self._ordinary.popleft()
                if self._closed:
                    return None
                self._ready.wait()

    def _work(self) -> None:
        while True:
            job = self._next()
            if job is None:  # shutdown
                return
            future, fn, args, queued_at = job
            if not future.set_running_or_notify_cancel():
                continue  # its caller went away while it waited
            self._observe(time.perf_counter() - queued_at)
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # handed to the awaiting caller
                future.set_exception(exc)

    def _observe(self, waited: float) -> None:
        """Tell on_wait, never letting its failure end this thread or strand the job."""
        if self.on_wait is None:
            return
        try:
            self.on_wait(waited)
        except Exception:  # a metrics fault must not cost a sign-in
            log.exception("hash wait observer failed")

    def shutdown(self) -> None:
        with self._ready:  # the workers stop once every queued job is done
            self._closed = True
            self._ready.notify_all()


class Argon2Hasher:
    """Hashes and verifies off the event loop, in ``concurrency`` threads of its own.

    At most ``concurrency`` hashes hold their 19 MiB at once; the rest wait in a queue, so
    overload queues instead of exhausting memory. ``urgent`` checks (devices that signed in
    before) go ahead of the queue, so a flood of guesses delays returning customers least.
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
        self._pool = _Workers(concurrency)
        self._pepper = pepper
        # A real hash of a random secret, so unknown identifiers cost exactly one verify.
        self._dummy = self._ph.hash("dummy password that matches nothing")
        # How a hash made with today's parameters begins, and its salt's and digest's
        # lengths in the encoding (read off the dummy): see needs_rehash.
        self._current = self._dummy.rsplit("$", 2)[0] + "$"  # $argon2id$v=19$m=..,t=..,p=..$
        salt, digest = self._dummy.split("$")[-2:]
        self._salt_chars, self._digest_chars = len(salt), len(digest)

    def _peppered(self, password: str) -> bytes:
        """With a pepper, hash HMAC(pepper, password): a stolen database alone is not enough."""
        raw = password.encode("utf-8", "surrogatepass")
        if not self._pepper:
            return raw
        return hmac.new(self._pepper, raw, "sha256").hexdigest().encode()

    async def hash(self, password: str) -> str:
        future = self._pool.submit(False, self._ph.hash, self._peppered(password))
        return str(await asyncio.wrap_future(future))

    async def verify(self, encoded: str, password: str, *, urgent: bool = False) -> bool:
        secret = self._peppered(password)
        future = self._pool.submit(urgent, self._verify_sync, encoded, secret)
        return bool(await asyncio.wrap_future(future))

    def close(self) -> None:
        self._pool.shutdown()

    def queue_depth(self) -> int:
        """Hashes waiting for a thread now: a lasting queue means more load than cores."""
        return self._pool.depth()

    def observe_wait(self, observe: Callable[[float], None]) -> None:
        """Tell ``observe`` how long each hash waited for a thread, in seconds; it runs on
        the hashing threads, so it must be thread-safe (prometheus-client's are)."""
        self._pool.on_wait = observe

    async def verify_dummy(self, password: str, *, urgent: bool = False) -> None:
        """Spend one verify's worth of work on a hash that never matches (SECURITY.md 3)."""
        await self.verify(self._dummy, password + "\x00", urgent=urgent)

    def needs_rehash(self, encoded: str) -> bool:
        # The usual answer without parsing the hash: made with today's parameters, it
        # begins with exactly this text and holds a salt and a digest of today's lengths.
        if encoded.startswith(self._current):
            salt, _, digest = encoded[len(self._current) :].partition("$")
            if len(salt) == self._salt_chars and len(digest) == self._digest_chars:
                return False
        try:
            return self._ph.check_needs_rehash(encoded)
        except InvalidHashError:
            return True

    def _verify_sync(self, encoded: str, secret: bytes) -> bool:
        try:
            return self._ph.verify(encoded, secret)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
