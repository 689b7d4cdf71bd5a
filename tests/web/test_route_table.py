"""The app's route table (web/routing.py): a request is tried only against the routes filed
under its path's leading segments, and the route that answers is always the one a plain
walk of every route in order would have picked; an app under a ``root_path`` still routes."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from starlette.routing import BaseRoute, Match

from entryway.bootstrap import app_for
from entryway.web.pages import account as account_pages
from entryway.web.routing import RouteTable, literal_key, route_path
from tests.conftest import World


def _table(world: World) -> RouteTable:
    app = app_for(world.runtime, deliver=False)
    tables = [r for r in app.router.routes if isinstance(r, RouteTable)]
    assert len(tables) == 1
    return tables[0]


def _scope(path: str, method: str) -> dict[str, Any]:
    return {"type": "http", "path": path, "root_path": "", "method": method, "headers": []}


def _walk(routes: list[BaseRoute], scope: dict[str, Any]) -> tuple[Match, BaseRoute | None]:
    """What Starlette's router does with one long list: the first full match, else the
    first partial one (a path that matched with another method)."""
    partial: BaseRoute | None = None
    for route in routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return match, route
        if match == Match.PARTIAL and partial is None:
            partial = route
    return (Match.PARTIAL, partial) if partial is not None else (Match.NONE, None)


def _example_paths(table: RouteTable) -> list[str]:
    """Each route's path with its parameters filled in, a slash added and taken away, and
    paths no route has."""
    out = ["/", "/nowhere", "/api/v1/nowhere", "/api", "/account/x/y/z", "/help/"]
    for route in table.routes:
        path = str(getattr(route, "path", ""))
        filled = re.sub(r"\{[^}:]+:path\}", "a/b", path)
        filled = re.sub(r"\{[^}]+\}", "x1", filled)
        out += [filled, filled + "/", filled.rstrip("/") + "/extra", filled[:-1] or "/"]
    return out


def test_the_table_answers_as_walking_every_route_in_order_would(world: World) -> None:
    table = _table(world)
    paths = _example_paths(table)
    assert len(paths) > 300
    for path in paths:
        for method in ("GET", "POST", "DELETE"):
            scope = _scope(path, method)
            match, child = table.matches(scope)
            expected, route = _walk(table.routes, scope)
            assert match == expected, (method, path)
            assert child.get("entryway.route") is route, (method, path)


async def test_an_api_request_is_not_tried_against_the_pages(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    route = next(r for r in account_pages.router.routes if getattr(r, "path", "") == "/account")

    def counting(matches: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def counted(scope: Any) -> Any:
            calls.append(scope["path"])
            return matches(scope)

        return counted

    monkeypatch.setattr(route, "matches", counting(route.matches))
    assert (await client.get("/api/v1/account")).status_code == 401  # found: no token
    assert calls == []  # filed under /account: never tried for /api/...
    assert (await client.get("/account")).status_code == 303  # to sign in
    assert calls == ["/account"]


def test_few_routes_are_tried_for_a_session_check(world: World) -> None:
    candidates = _table(world).candidates("/api/v1/account")
    assert 0 < len(candidates) <= 5
    assert {str(getattr(r, "path", "")).split("/")[3] for r in candidates} == {"account"}


def test_a_router_included_in_a_router_is_refused() -> None:
    outer, inner = APIRouter(), APIRouter()

    @inner.get("/x")
    async def x() -> None: ...

    outer.include_router(inner)
    with pytest.raises(TypeError, match="routes and mounts"):
        RouteTable(outer.routes)


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/api/v1/account/passkeys/{id}", ("api", "v1", "account", "passkeys")),
        ("/a/b/c/d/e", ("a", "b", "c", "d")),
        ("/account/{kind}", ("account",)),
        ("/{slug}", ()),
        ("/", ("",)),
        ("/help/x{slug}", ("help",)),
    ],
)
def test_routes_are_filed_by_their_leading_literal_segments(path: str, key: tuple[str]) -> None:
    assert literal_key(path) == key


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
