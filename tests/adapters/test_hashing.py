"""argon2id hashing: OWASP floor, parameters stored with the hash, rehash when they rise."""

from __future__ import annotations

import pytest

from entryway.adapters.hashing import Argon2Hasher, Argon2Params, _Workers

_FAIR_EVERY = _Workers.FAIR_EVERY


def test_parameters_below_the_owasp_floor_are_refused() -> None:
    with pytest.raises(ValueError, match="OWASP"):
        Argon2Params(memory_kib=8 * 1024)
    with pytest.raises(ValueError, match="OWASP"):
        Argon2Params(time_cost=1)


async def test_hash_is_argon2id_with_parameters_stored() -> None:
    hasher = Argon2Hasher(Argon2Params(), concurrency=2)
    encoded = await hasher.hash("quiet-meadow-lantern")
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert await hasher.verify(encoded, "quiet-meadow-lantern")
    assert not await hasher.verify(encoded, "quiet-meadow-lantern ")
    assert not await hasher.verify("not a hash", "x")


async def test_rehash_needed_when_parameters_rise() -> None:
    old = Argon2Hasher(Argon2Params(), concurrency=1)
    new = Argon2Hasher(Argon2Params(time_cost=3), concurrency=1)
    encoded = await old.hash("pw-one-two-three")
    assert not old.needs_rehash(encoded)
    assert new.needs_rehash(encoded)
    assert await new.verify(encoded, "pw-one-two-three")  # old hashes still verify


async def test_the_quick_rehash_check_agrees_with_argon2s_own() -> None:
    """needs_rehash answers today's hashes from their text; anything else still goes to
    argon2-cffi's parser: another memory cost, salt or digest length, or no hash at all."""
    hasher = Argon2Hasher(Argon2Params(), concurrency=1)
    encoded = await hasher.hash("pw-one-two-three")
    prefix, salt, digest = encoded.rsplit("$", 2)
    others = [
        encoded.replace("m=19456", "m=19457"),
        f"{prefix}${salt}A${digest}",  # a longer salt
        f"{prefix}${salt}${digest[:-2]}",  # a shorter digest
        encoded.replace("argon2id", "argon2i"),
        "not a hash",
    ]
    assert not hasher.needs_rehash(encoded)
    for other in others:
        assert hasher.needs_rehash(other), other


async def test_pepper_is_required_to_verify() -> None:
    peppered = Argon2Hasher(Argon2Params(), concurrency=1, pepper=b"p" * 32)
    plain = Argon2Hasher(Argon2Params(), concurrency=1)
    encoded = await peppered.hash("pw-one-two-three")
    assert await peppered.verify(encoded, "pw-one-two-three")
    assert not await plain.verify(encoded, "pw-one-two-three")


async def test_urgent_checks_go_ahead_of_queued_ones() -> None:
    """With one worker busy and ten ordinary checks queued, an urgent check is done next."""
    import asyncio

    hasher = Argon2Hasher(Argon2Params(), concurrency=1)
    encoded = await hasher.hash("pw-one-two-three")
    finished: list[str] = []

    async def check(name: str, urgent: bool) -> None:
        await hasher.verify(encoded, "wrong-guess", urgent=urgent)
        finished.append(name)

    queued = [asyncio.create_task(check(f"guess{n}", False)) for n in range(10)]
    await asyncio.sleep(0)  # all ten are queued (one of them already running)
    await check("owner", True)
    assert finished.index("owner") <= 1  # behind at most the one already running
    await asyncio.gather(*queued)
    hasher.close()


async def _newcomer_among_regulars(hasher: Argon2Hasher, encoded: str, regulars: int) -> int:
    """Where a new device's check finishes: it queues behind one urgent check already
    running, and ``regulars`` more urgent ones queue after it."""
    import asyncio

    finished: list[str] = []

    async def check(name: str, urgent: bool) -> None:
        await hasher.verify(encoded, "wrong-guess", urgent=urgent)
        finished.append(name)

    busy = asyncio.create_task(check("running", True))
    await asyncio.sleep(0)
    newcomer = asyncio.create_task(check("newcomer", False))
    after = [asyncio.create_task(check(f"regular{n}", True)) for n in range(regulars)]
    await asyncio.gather(busy, newcomer, *after)
    return finished.index("newcomer")


async def test_steady_urgent_checks_do_not_starve_an_ordinary_one() -> None:
    """A new device's first check waits behind at most FAIR_EVERY urgent ones, however
    many recognised devices keep arriving (else its customer waited as long as they did)."""
    hasher = Argon2Hasher(Argon2Params(), concurrency=1)
    encoded = await hasher.hash("pw-one-two-three")
    place = await _newcomer_among_regulars(hasher, encoded, 12)
    assert place <= 1 + _FAIR_EVERY  # the one running, then at most 4
    assert place > 1  # urgent ones still went first
    hasher.close()


async def test_urgent_checks_alone_do_not_use_up_the_next_ones_turn() -> None:
    """Only urgent checks taken while an ordinary one waits count toward its turn: after a
    quiet run of recognised devices, a newcomer still lets the next ones go first."""
    hasher = Argon2Hasher(Argon2Params(), concurrency=1)
    encoded = await hasher.hash("pw-one-two-three")
    for _ in range(_FAIR_EVERY + 2):  # nobody ordinary waiting
        await hasher.verify(encoded, "wrong-guess", urgent=True)
    place = await _newcomer_among_regulars(hasher, encoded, 6)
    # Four urgent ones before it, five if the first was taken before the newcomer queued
    # (a worker thread's timing); a count left over from the quiet run would make it 1.
    assert place in (_FAIR_EVERY, _FAIR_EVERY + 1)
    hasher.close()


async def test_a_failing_check_reports_its_error_to_the_caller() -> None:
    hasher = Argon2Hasher(Argon2Params(), concurrency=1)
    with pytest.raises((TypeError, AttributeError)):  # raised in the worker thread
        await hasher.verify(None, "pw")  # type: ignore[arg-type]
    assert await hasher.verify(await hasher.hash("still-works-1"), "still-works-1")
    hasher.close()
