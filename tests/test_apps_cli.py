"""``entryway apps add|list|remove|rotate-secret`` and ``entryway keys rotate`` against a
demo's folder: what they print, what they store, and plain errors with exit code 1."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from entryway import cli
from entryway.bootstrap import build
from entryway.flows.apps import clients
from entryway.flows.apps.records import SigningKey
from entryway.staff_cli import settings_for
from tests.test_cli import demo_folder as demo_folder  # the fixture, re-exported
from tests.test_cli import run


async def _check(data: Path, client_id: str, secret: str | None) -> bool:
    runtime = build(settings_for(data, cli.demo_settings))
    try:
        found = await clients.authenticate(
            runtime.deps, site="us", client_id=client_id, secret=secret, ip="127.0.0.1"
        )
        return found.app is not None
    finally:
        await runtime.close()


async def _keys(data: Path) -> list[SigningKey]:
    runtime = build(settings_for(data, cli.demo_settings))
    try:
        async with runtime.deps.uow() as uow:
            return await uow.apps.keys(runtime.deps.clock.now())
    finally:
        await runtime.close()


def test_add_list_rotate_and_remove_an_app(
    demo_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(demo_folder)
    code, out, _ = run(
        capsys, "apps", "add", "--data", data, "--site", "us", "--name", "Acme Shop",
        "--redirect-uri", "https://shop.example/callback",
        "--post-logout-redirect-uri", "https://shop.example/", "--first-party",
    )  # fmt: skip
    assert code == 0, out
    client_id = re.search(r"client_id: (\S+)", out).group(1)  # type: ignore[union-attr]
    secret = out.strip().splitlines()[-1]
    assert asyncio.run(_check(demo_folder, client_id, secret))
    code, out, _ = run(capsys, "apps", "list", "--data", data, "--site", "us")
    assert client_id in out and "https://shop.example/callback" in out and secret not in out
    code, out, _ = run(capsys, "apps", "rotate-secret", "--data", data, "--site", "us", client_id)
    assert code == 0
    fresh = out.strip().splitlines()[-1]
    assert fresh != secret
    assert not asyncio.run(_check(demo_folder, client_id, secret))  # the old one stops
    assert asyncio.run(_check(demo_folder, client_id, fresh))
    code, out, _ = run(capsys, "apps", "remove", "--data", data, "--site", "us", client_id)
    assert code == 0 and not asyncio.run(_check(demo_folder, client_id, fresh))


def test_a_public_app_gets_no_secret_and_bad_uris_are_refused(
    demo_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(demo_folder)
    code, out, _ = run(
        capsys, "apps", "add", "--data", data, "--site", "uk", "--name", "Acme app",
        "--redirect-uri", "com.acme.shop:/callback", "--redirect-uri", "http://127.0.0.1/cb",
        "--public",
    )  # fmt: skip
    assert code == 0 and "no secret" in out
    code, _, err = run(
        capsys, "apps", "add", "--data", data, "--site", "us", "--name", "Bad",
        "--redirect-uri", "http://shop.example/callback",
    )  # fmt: skip
    assert code == 1 and "plain http" in err
    code, _, err = run(
        capsys, "apps", "add", "--data", data, "--site", "us", "--name", "Bad",
        "--redirect-uri", "com.acme.shop:/callback",
    )  # fmt: skip
    assert code == 1 and "public" in err


def test_keys_rotate_publishes_before_signing(
    demo_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(demo_folder)
    before = {k.kid for k in asyncio.run(_keys(demo_folder))}
    code, out, _ = run(capsys, "keys", "rotate", "--data", data, "--alg", "ES256")
    assert code == 0 and "in JWKS now" in out
    after = asyncio.run(_keys(demo_folder))
    new = [k for k in after if k.kid not in before]
    assert len(new) == 1 and new[0].alg == "ES256" and new[0].active_from > new[0].created_at
