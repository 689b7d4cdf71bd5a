"""``DirectRoute`` (web/routing.py): an endpoint that needs only the request and
request-only dependencies is called straight, past FastAPI's per-request solving, and
answers, refuses and is documented exactly as through FastAPI; any other endpoint is left
to FastAPI. And the bearer credentials are read from the scope as ``HTTPBearer`` reads
them."""

from __future__ import annotations

import functools
from typing import Annotated, Any

import fastapi.routing
import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from entryway.web.api import account as account_api
from entryway.web.api.contract import bearer_credentials
from entryway.web.routing import DirectRoute, RouteTable

calls: list[str] = []


async def who(request: Request) -> str:
    calls.append("who")
    name = request.headers.get("x-name", "")
    if not name:
        raise HTTPException(401, "who are you?")
    return name


async def gate(request: Request) -> None:
    calls.append("gate")
    if request.headers.get("x-closed"):
        raise HTTPException(403, "closed")


class Scheme:
    """A dependency object whose ``__call__`` takes the request, as a security scheme does."""

    async def __call__(self, request: Request) -> int:
        calls.append("scheme")
        return len(request.url.path)


scheme = Scheme()
Who = Annotated[str, Depends(who)]


async def needs_who(name: Who) -> str:
    return name


class Out(BaseModel):
    name: str


class Counter:
    async def count(self, request: Request) -> int:
        calls.append("count")
        return len(calls)


counter = Counter()


def _router(route_class: type[APIRoute], **kw: Any) -> APIRouter:
    router = APIRouter(
        route_class=route_class, dependencies=[Depends(gate), Depends(counter.count)], **kw
    )

    @router.get("/hello", response_model=Out)
    async def hello(name: Who, request: Request, n: Annotated[int, Depends(scheme)]) -> Response:
        return JSONResponse({"name": name, "n": n, "path": request.url.path})

    @router.get("/query")
    async def with_query(name: Who, q: str = "") -> Response:
        return JSONResponse({"q": q})

    @router.get("/model", response_model=Out)
    async def as_model(name: Who) -> Out:
        return Out(name=name)

    @router.get("/nested")
    async def nested(name: Annotated[str, Depends(needs_who)]) -> Response:
        return JSONResponse({"name": name})

    @router.get("/sync")
    def sync(name: Who) -> Response:
        return JSONResponse({"name": name})

    @router.get("/twice")
    async def twice(a: Who, b: Annotated[str, Depends(who)]) -> Response:
        return JSONResponse({"a": a, "b": b})

    @router.get("/same-method")
    async def same_method(a: Annotated[int, Depends(counter.count)], request: Request) -> Response:
        return JSONResponse({"a": a})  # the router's gate and counter.count again: one call

    @router.get("/limited")
    async def limited(n: Annotated[int, Depends(scheme, max_concurrency=1)]) -> Response:
        return JSONResponse({"n": n})

    @router.get("/unresolved", response_model=None)
    async def unresolved(name: Who) -> Later:  # type: ignore[name-defined]  # noqa: F821
        return JSONResponse({"name": name})

    @router.get("/lies")
    async def lies(name: Who) -> Response:
        return {"name": name}  # type: ignore[return-value]

    return router


def _app(route_class: type[APIRoute]) -> FastAPI:
    """The routes in a route table, as the service's app holds them (an included router
    would have FastAPI 0.165 build each route's handler anew per request)."""
    app = FastAPI()
    routes = _router(route_class).routes
    app.router.routes.append(RouteTable(routes))
    app.openapi = functools.partial(_openapi, app, routes)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI, routes: list[BaseRoute]) -> dict[str, Any]:
    return get_openapi(title="t", version="1", routes=routes)


def test_only_endpoints_with_nothing_to_solve_are_called_straight() -> None:
    routes = _router(DirectRoute).routes
    assert {r.path: getattr(r, "direct", None) for r in routes} == {
        "/hello": True,  # the request, request-only dependencies, a Response
        "/query": False,  # a query parameter to read
        "/model": False,  # a model to validate and serialise
        "/nested": False,  # a dependency with dependencies of its own
        "/sync": False,  # FastAPI runs it in its thread pool
        "/twice": False,  # FastAPI calls a repeated dependency once
        "/same-method": False,  # ... an equal bound method too
        "/limited": False,  # max_concurrency: FastAPI holds a semaphore round it
        "/unresolved": False,  # a return annotation only a type checker could resolve
        "/lies": True,
    }


def test_routes_whose_overrides_fastapi_applies_are_left_to_it() -> None:
    app = FastAPI()
    routes = _router(DirectRoute, dependency_overrides_provider=app).routes
    assert not any(getattr(r, "direct", False) for r in routes)


def test_the_session_check_is_called_straight() -> None:
    routes = {(r.path, tuple(sorted(r.methods))): r for r in account_api.router.routes}
    route = routes[("/api/v1/account", ("GET",))]
    assert isinstance(route, DirectRoute) and route.direct


async def test_the_service_answers_the_session_check_without_fastapis_solving(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the whole app: were the route reached through FastAPI's handler (an included
    router rebuilds it per request), the solving patched out here would make it a 500."""

    async def must_not_run(**_: Any) -> None:
        raise AssertionError("FastAPI solved the session check's dependencies")

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", must_not_run)
    r = await client.get("/api/v1/account", headers={"authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    with pytest.raises(AssertionError, match="solved"):  # the patch does bite elsewhere
        await client.get("/api/v1/account/devices", headers={"authorization": "Bearer nope"})


@pytest.mark.parametrize(
    "path", ["/hello", "/query", "/model", "/nested", "/sync", "/twice", "/same-method", "/limited"]
)
async def test_each_route_answers_and_refuses_as_through_fastapi(path: str) -> None:
    answers = []
    for route_class in (APIRoute, DirectRoute):
        transport = httpx.ASGITransport(app=_app(route_class))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            seen = []
            for headers in ({"x-name": "ana"}, {}, {"x-name": "ana", "x-closed": "1"}):
                calls.clear()
                r = await client.get(path, headers=headers)
                seen.append((r.status_code, r.json(), list(calls)))
            answers.append(seen)
    plain, direct = answers
    assert direct == plain
    assert direct[0][0] == 200 and direct[2][0] == 403  # the router's gate refuses first
    assert direct[1][0] == (200 if path in ("/same-method", "/limited") else 401)  # who
    if path == "/same-method":
        assert direct[0][2] == ["gate", "count"]  # once, though it appears twice
    if path == "/hello":
        assert direct[0] == (
            200,
            {"name": "ana", "n": 6, "path": "/hello"},
            ["gate", "count", "who", "scheme"],
        )
        assert direct[2][2] == ["gate"]  # refused by the router's gate before anything else


async def test_an_endpoint_that_breaks_its_promise_fails_loudly() -> None:
    transport = httpx.ASGITransport(app=_app(DirectRoute))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with pytest.raises(TypeError, match="must answer with a Response"):
            await client.get("/lies", headers={"x-name": "ana"})


def test_the_openapi_document_is_the_same_either_way() -> None:
    assert _app(DirectRoute).openapi() == _app(APIRoute).openapi()


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([(b"authorization", b"Bearer abc")], "abc"),
        ([(b"authorization", b"bearer   abc  ")], "abc"),
        ([(b"authorization", b"BEARER abc")], "abc"),
        ([(b"authorization", b"Basic abc")], ""),
        ([(b"authorization", b"Bearer")], ""),
        ([(b"authorization", b"Bearerabc")], ""),
        ([], ""),
        ([(b"authorization", b"Bearer one"), (b"authorization", b"Bearer two")], "one"),
    ],
)
def test_bearer_credentials_are_read_as_http_bearer_reads_them(
    headers: list[tuple[bytes, bytes]], expected: str
) -> None:
    assert bearer_credentials({"type": "http", "headers": headers}) == expected
