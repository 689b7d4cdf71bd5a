"""``entryway accounts suspend|lift`` and ``entryway staff token add|list|revoke`` against a
demo's folder: what they print, what they change, and plain errors with exit code 1."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from entryway import cli
from entryway.bootstrap import build
from entryway.core.staff import Role
from entryway.core.suspension import SuspensionState
from entryway.flows.ports import Requester
from entryway.flows.records import Suspension
from entryway.flows.staff import tokens
from entryway.settings import Settings
from entryway.staff_cli import settings_for
from tests.conftest import World
from tests.flows.staff_helpers import enrolled
from tests.test_cli import demo_folder as demo_folder  # the fixture, re-exported
from tests.test_cli import run


def settings(data: Path) -> Settings:
    return settings_for(data, cli.demo_settings)


async def _enrol_trust(data: Path, email: str) -> None:
    runtime = build(settings(data))
    try:
        world = World(runtime=runtime, clock=runtime.deps.clock, mailer=None, texter=None)  # type: ignore[arg-type]
        await enrolled(world, email, frozenset({Role.TRUST}), ["us"])
    finally:
        await runtime.close()


async def _suspension(data: Path, suspension_id: str) -> Suspension | None:
    runtime = build(settings(data))
    try:
        async with runtime.deps.uow() as uow:
            return await uow.suspensions.get("us", suspension_id)
    finally:
        await runtime.close()


async def _actor_of(data: Path, token: str) -> str:
    runtime = build(settings(data))
    try:
        actor, _ = await tokens.actor_for_token(runtime.deps, token, Requester(user_agent="pytest"))
        return actor.email
    finally:
        await runtime.close()


def test_suspend_and_lift_from_the_command_line(
    demo_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(demo_folder)
    code, out, err = run(
        capsys, "accounts", "suspend", "--data", data, "--site", "us", "--identifier",
        "jane@example.com", "--reason", "payment_fraud", "--facts", "Cards reported stolen.",
        "--until", "2099-03-01", "--automated",
    )  # fmt: skip
    assert code == 0, err
    found = re.search(r"Suspension id: (\S+)", out)
    assert found, out
    assert "until 1 Mar 2099, 12:00 AM EST" in out and "Appeals close" in out
    assert f"--suspension={found.group(1)} " in out  # the lift command, safe for any id
    stored = asyncio.run(_suspension(demo_folder, found.group(1)))
    assert stored is not None and stored.acted_by == "cli" and stored.automated
    assert stored.facts == "Cards reported stolen." and stored.state is SuspensionState.IN_FORCE

    code, out, err = run(
        capsys, "accounts", "lift", "--data", data, "--site", "us",
        f"--suspension={found.group(1)}",  # an id may start with "-"
        "--reason", "Wrong account",
    )  # fmt: skip
    assert code == 0, err
    assert f"Lifted suspension {found.group(1)}" in out
    stored = asyncio.run(_suspension(demo_folder, found.group(1)))
    assert stored is not None and stored.state is SuspensionState.LIFTED


def test_accounts_errors_are_plain(demo_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(demo_folder)
    base = ["accounts", "suspend", "--data", data, "--identifier", "jane@example.com"]
    code, _, err = run(capsys, *base, "--site", "fr", "--reason", "payment_fraud", "--facts", "x")
    assert code == 1 and "entryway accounts suspend: unknown site 'fr'" in err
    code, _, err = run(
        capsys, *base, "--site", "us", "--reason", "payment_fraud", "--facts", "x",
        "--until", "1 March",
    )  # fmt: skip
    assert code == 1 and "YYYY-MM-DD" in err
    code, _, err = run(capsys, *base, "--site", "us", "--reason", "no_such", "--facts", "x")
    assert code == 1 and err.startswith("entryway accounts suspend: ") and err.count("\n") == 1
    code, _, err = run(
        capsys, "accounts", "suspend", "--data", data, "--site", "us", "--identifier",
        "nobody@example.com", "--reason", "payment_fraud", "--facts", "x",
    )  # fmt: skip
    assert code == 1 and "entryway accounts suspend: " in err
    code, _, err = run(
        capsys, "accounts", "lift", "--data", data, "--site", "us", "--suspension", "nope",
        "--reason", "x",
    )  # fmt: skip
    assert code == 1 and "entryway accounts lift: " in err


def test_staff_tokens_from_the_command_line(
    demo_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(demo_folder)
    asyncio.run(_enrol_trust(demo_folder, "fraud@staff.example"))
    code, out, err = run(
        capsys, "staff", "token", "add", "--data", data, "--email", "fraud@staff.example",
        "--name", "fraud-scoring", "--days", "30",
    )  # fmt: skip
    assert code == 0, err
    secret = out.splitlines()[2]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", secret), out
    assert re.search(r"Expires \d{4}-\d\d-\d\d \d\d:\d\d UTC\.", out)
    token_id = re.search(r"Token (\S+) for fraud@staff.example", out)
    assert token_id, out
    assert asyncio.run(_actor_of(demo_folder, secret)) == "fraud@staff.example"

    code, out, _ = run(capsys, "staff", "token", "list", "--data", data)
    assert code == 0
    assert re.search(rf"{token_id.group(1)}\tfraud@staff.example\tfraud-scoring\t.*active", out)
    assert secret not in out

    code, out, _ = run(capsys, "staff", "token", "revoke", "--data", data, "--", token_id.group(1))
    assert code == 0 and "Revoked" in out
    code, out, _ = run(capsys, "staff", "token", "list", "--data", data)
    assert "revoked" in out
    code, _, err = run(capsys, "staff", "token", "revoke", "--data", data, token_id.group(1))
    assert code == 1 and "entryway staff token revoke: " in err

    # Someone without the trust role (the demo's agent) gets no token.
    code, _, err = run(
        capsys, "staff", "token", "add", "--data", data, "--email", "agent@acme-market.example",
        "--name", "x",
    )  # fmt: skip
    assert code == 1 and "entryway staff token add: " in err
