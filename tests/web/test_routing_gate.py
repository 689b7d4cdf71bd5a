"""The routing gates of web/app.py: a JSON API request never reaches the pages' routers,
a page request still does (so the gate is really asked: FastAPI 0.165 calls an included
router's ``matches``; should a release stop doing so, this fails), and an app mounted under
a ``root_path`` still routes its API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from entryway.bootstrap import app_for
from entryway.web.app import route_path
from entryway.web.pages import account as account_pages
from tests.conftest import World


def _counting(calls: list[str], matches: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def counted(scope: Any) -> Any:
        calls.append(scope["path"])
        return matches(scope)

    return counted


async def test_an_api_request_skips_the_pages_routers(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    router = account_pages.router
    monkeypatch.setattr(router, "matches", _counting(calls, router.matches))
    assert (await client.get("/api/v1/account")).status_code == 401  # matched: no token
    assert calls == []  # the pages' parent refused it without asking its routers
    assert (await client.get("/account")).status_code == 303  # to sign in
    assert "/account" in calls  # and a page request is still tried against them


async def test_an_app_under_a_root_path_still_routes_its_api(world: World) -> None:
    app = app_for(world.runtime, deliver=False)

    async def mounted(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":  # as a proxy or a parent app would hand it on
            scope = {**scope, "root_path": "/sub", "path": "/sub" + scope["path"]}
        await app(scope, receive, send)

    transport = httpx.ASGITransport(app=mounted, client=("203.0.113.7", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://us.localhost:8000") as c:
        assert (await c.get("/api/v1/account")).status_code == 401  # found, not 404


@pytest.mark.parametrize(
    ("path", "root", "seen"),
    [
        ("/api/v1/x", "", "/api/v1/x"),
        ("/sub/api/v1/x", "/sub", "/api/v1/x"),
        ("/sub", "/sub", ""),
        ("/subway/api", "/sub", "/subway/api"),  # not under it: as it is
        ("/other", "/sub", "/other"),
    ],
)
def test_the_route_path_leaves_out_the_root_path(path: str, root: str, seen: str) -> None:
    assert route_path({"path": path, "root_path": root}) == seen
