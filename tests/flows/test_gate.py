"""The per-address cap on password checks in flight."""

from __future__ import annotations

import asyncio

import pytest

from entryway.flows.signin.gate import HashGate


async def test_each_address_has_its_own_line_and_others_go_ahead() -> None:
    gate = HashGate(2)
    inside = {"a": 0, "b": 0, "": 0}
    most = {"a": 0, "b": 0, "": 0}
    release = asyncio.Event()

    async def hold(key: str) -> None:
        async with gate.slot(key):
            inside[key] += 1
            most[key] = max(most[key], inside[key])
            await release.wait()
            inside[key] -= 1

    tasks = [asyncio.create_task(hold(k)) for k in ["a"] * 10 + ["b"] * 3 + [""] * 5]
    await asyncio.sleep(0.01)
    assert inside == {"a": 2, "b": 2, "": 5}  # the flood from "a" holds two places only
    release.set()
    await asyncio.gather(*tasks)
    assert most == {"a": 2, "b": 2, "": 5}
    assert gate.waiting() == 0  # lines are forgotten once empty


async def test_a_cancelled_waiter_leaves_no_line_behind() -> None:
    gate = HashGate(1)
    release = asyncio.Event()

    async def hold() -> None:
        async with gate.slot("a"):
            await release.wait()

    first = asyncio.create_task(hold())
    await asyncio.sleep(0)
    second = asyncio.create_task(hold())
    await asyncio.sleep(0)
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    release.set()
    await first
    assert gate.waiting() == 0


async def test_an_address_without_failures_has_a_wider_line() -> None:
    gate = HashGate(1, clean=3)
    inside = 0
    most = 0
    release = asyncio.Event()

    async def hold() -> None:
        nonlocal inside, most
        async with gate.slot("a", failing=False):
            inside += 1
            most = max(most, inside)
            await release.wait()
            inside -= 1

    tasks = [asyncio.create_task(hold()) for _ in range(6)]
    await asyncio.sleep(0.01)
    assert inside == 3
    release.set()
    await asyncio.gather(*tasks)
    assert most == 3


def test_no_cap_and_bad_values() -> None:
    assert HashGate(0).per_key == 0
    with pytest.raises(ValueError, match="got -1"):
        HashGate(-1)
