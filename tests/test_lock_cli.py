"""``entryway accounts lock|unlock`` against a demo's folder: what they print, what they
change, and plain errors with exit code 1."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from entryway.bootstrap import build
from entryway.flows.trust import locking, measures
from tests.test_cli import demo_folder as demo_folder  # the fixture, re-exported
from tests.test_cli import run
from tests.test_trust_cli import settings

JANE = "jane@example.com"  # a demo customer


async def _held(data: Path) -> bool:
    runtime = build(settings(data))
    try:
        account_id = await measures.account_by_identifier(runtime.deps, "us", JANE)
        return await locking.held(runtime.deps, "us", account_id)
    finally:
        await runtime.close()


def test_lock_and_unlock_from_the_command_line(
    demo_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(demo_folder)
    base = ["--data", data, "--site", "us", "--identifier", JANE]
    code, out, err = run(capsys, "accounts", "lock", *base, "--reason", "Suspected takeover")
    assert code == 0, err
    assert "Locked account" in out and "until unlocked" in out and "customer is told" in out
    assert asyncio.run(_held(demo_folder))
    code, _, err = run(capsys, "accounts", "lock", *base, "--reason", "Again")
    assert (
        code == 1
        and err == "entryway accounts lock: This account is locked by our staff already.\n"
    )

    code, out, err = run(capsys, "accounts", "unlock", *base, "--reason", "Owner confirmed")
    assert code == 0, err
    assert "Unlocked account" in out
    assert not asyncio.run(_held(demo_folder))
    code, _, err = run(capsys, "accounts", "unlock", *base, "--reason", "Again")
    assert code == 1 and "entryway accounts unlock: This account is not locked" in err


def test_lock_errors_are_plain(demo_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(demo_folder)
    code, _, err = run(
        capsys, "accounts", "lock", "--data", data, "--site", "fr", "--identifier", JANE,
        "--reason", "x",
    )  # fmt: skip
    assert code == 1 and "entryway accounts lock: unknown site 'fr'" in err
    code, _, err = run(
        capsys, "accounts", "lock", "--data", data, "--site", "us", "--identifier",
        "nobody@example.com", "--reason", "x",
    )  # fmt: skip
    assert code == 1 and "No account on this site" in err
    code, _, err = run(
        capsys, "accounts", "lock", "--data", data, "--site", "us", "--identifier", JANE,
        "--reason", "  ",
    )  # fmt: skip
    assert code == 1 and "Give a reason." in err
    assert not asyncio.run(_held(demo_folder))
