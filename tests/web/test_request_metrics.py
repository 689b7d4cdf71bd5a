"""Request metrics over HTTP: counted by the route's template and the app that answered,
never by a path, an identifier, an address or an account id (SECURITY.md 42)."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest

from entryway.adapters.clock import FrozenClock
from entryway.adapters.mail import MemoryMailer
from entryway.adapters.metrics import PrometheusMetrics
from entryway.adapters.sms import MemoryTexter
from entryway.bootstrap import app_for, build
from tests import conftest
from tests.conftest import World
from tests.flows.staff_helpers import CONSOLE
from tests.web.helpers import register, sign_in

PW = "quiet-meadow-lantern"


@pytest.fixture
async def metered(database_url: tuple[str, str | None]) -> AsyncIterator[World]:
    url, schema = database_url
    settings = conftest.test_settings(url, console_url=CONSOLE, metrics_address="127.0.0.1:0")
    clock, mailer, texter = FrozenClock(), MemoryMailer(), MemoryTexter()
    runtime = build(settings, clock=clock, mailer=mailer, texter=texter, schema=schema)
    yield World(runtime=runtime, clock=clock, mailer=mailer, texter=texter)
    await runtime.close()


def exposition(world: World) -> str:
    metrics = world.runtime.metrics
    assert isinstance(metrics, PrometheusMetrics)
    return metrics.exposition().decode()


def count(text: str, **labels: str) -> float:
    """The entryway_requests_total sample with exactly these labels."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    found = re.search(r"^entryway_requests_total\{" + re.escape(wanted) + r"\} (\S+)$", text, re.M)
    assert found, f"no entryway_requests_total{{{wanted}}} in:\n{text}"
    return float(found.group(1))


async def test_requests_are_counted_by_template_and_nothing_personal_is_a_label(
    metered: World,
) -> None:
    app = app_for(metered.runtime, deliver=False)
    email = f"label-probe-{secrets.token_hex(4)}@example.com"
    unknown = secrets.token_hex(8)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.77", 51000))
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://us.localhost:8000") as site,
        httpx.AsyncClient(transport=transport, base_url=CONSOLE) as console,
    ):
        await register(site, metered, identifier=email, password=PW)
        site.cookies.clear()  # signed out
        await sign_in(site, email, "not-" + PW)
        await site.get(f"/account/passkeys/{unknown}/rename")
        await site.get(f"/no-such-page/{unknown}")
        await site.get("/api/v1/account", headers={"Authorization": f"Bearer {unknown}"})
        assert (await console.get("/signin")).status_code == 200
    text = exposition(metered)
    assert count(text, app="site", route="/signin/password", method="POST", status="200") == 1
    assert (
        count(
            text,
            app="site",
            route="/account/passkeys/{credential_id}/rename",
            method="GET",
            status="303",
        )
        == 1
    )
    assert count(text, app="site", route="unmatched", method="GET", status="404") == 1
    assert count(text, app="site", route="/api/v1/account", method="GET", status="401") == 1
    assert count(text, app="console", route="/signin", method="GET", status="200") == 1
    assert 'entryway_request_seconds_count{app="site",route="/signin/password"}' in text
    async with metered.deps.uow() as uow:
        account = await uow.accounts.find("us", metered.deps.identifiers.parse(email, "US"))
    assert account is not None
    ids = [account.id]
    for personal in [email, email.split("@")[0], unknown, "203.0.113.77", *ids]:
        assert personal not in text, personal
    failed = 'entryway_sign_ins_total{method="password",outcome="failed"} 1.0'
    assert failed in text
