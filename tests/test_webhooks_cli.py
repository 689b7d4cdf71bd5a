"""``entryway webhooks``: a new secret, a signed sample to a real receiver, and the
WEBHOOKS setting refusing what cannot work (SECURITY.md 42)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
from typing import Any

import pytest
from standardwebhooks import Webhook

from entryway.settings_webhooks import WebhookReceiver, secret_ok, webhook_problems
from tests.webhook_receiver import Receiver

SECRET = "whsec_" + base64.b64encode(b"s" * 32).decode()


async def entryway(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "entryway", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_new_secret_is_accepted_by_the_setting() -> None:
    code, out, _err = await entryway("webhooks", "secret")
    assert code == 0 and secret_ok(out.strip())
    assert out.strip() != (await entryway("webhooks", "secret"))[1].strip()


async def test_the_sample_reaches_a_receiver_that_verifies_it() -> None:
    receiver = Receiver()
    await receiver.start()
    try:
        hooks = json.dumps([{"url": receiver.url, "secret": SECRET}])
        code, out, err = await entryway(
            "webhooks", "test", receiver.url, env={"ENTRYWAY_WEBHOOKS": hooks}
        )
        assert code == 0, err
        assert len(receiver.received) == 1
        got = receiver.received[0]
        assert out.strip() == f"delivered: webhook-id {got.headers['webhook-id']}"
        assert Webhook(SECRET).verify(got.body, got.headers)["type"] == "webhook.test"
        receiver.status = 503
        code, _out, err = await entryway("webhooks", "test", receiver.url, "--secret", SECRET)
        assert code == 1 and "503" in err
    finally:
        await receiver.stop()
    code, _out, err = await entryway("webhooks", "test", receiver.url, "--secret", SECRET)
    assert code == 1 and "not delivered" in err  # nobody listens now
    code, out, _err = await entryway("webhooks", "test", "https://elsewhere.example/h")
    assert code == 2 and "pass --secret" in out


def receivers(*items: dict[str, Any]) -> list[WebhookReceiver]:
    return [WebhookReceiver(**item) for item in items]


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        ({"url": "ftp://store.example/h"}, "must be an http(s) URL"),
        ({"url": "http://store.example/h"}, "https:// outside localhost"),
        ({"secret": "not-a-secret"}, "secret must be whsec_"),
        ({"secret": "whsec_" + base64.b64encode(b"short").decode()}, "24 to 64 random bytes"),
        ({"secret": "whsec_!!!"}, "secret must be whsec_"),
        ({"events": ["account.locked", "acount.unlocked"]}, "unknown: acount.unlocked"),
        ({"events": []}, "(none given)"),
        ({"url": "https://store.example/" + "x" * 320}, "longer than 320"),
    ],
)
def test_a_receiver_that_cannot_work_refuses_to_start(item: dict[str, Any], problem: str) -> None:
    good = {"url": "https://store.example/h", "secret": SECRET}
    found = webhook_problems(receivers({**good, **item}), demo=False)
    assert len(found) == 1 and problem in found[0], found


def test_good_receivers_start_and_a_url_listed_twice_does_not() -> None:
    one = {"url": "https://store.example/h", "secret": SECRET, "events": ["*"]}
    local = {"url": "http://127.0.0.1:9000/h", "secret": SECRET, "events": ["case.opened"]}
    assert webhook_problems(receivers(one, local), demo=False) == []
    assert webhook_problems(receivers({**one, "url": "http://store.example/h"}), demo=True) == []
    twice = webhook_problems(receivers(one, one), demo=False)
    assert len(twice) == 1 and "listed twice" in twice[0]
    assert SECRET not in repr(receivers(one)[0])  # never printed with the settings
