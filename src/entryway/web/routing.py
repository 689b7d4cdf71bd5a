"""One table for the app's routes, looked up by the literal start of the request's path.

FastAPI 0.165 keeps each included router as it is and, on every request, walks the tree of
included routers again to learn whether any of them changed, then tries the routes one by
one. With the pages' and the API's few dozen routers that walk and the tries were about
half of the framework's time in a session check. ``RouteTable`` takes the routes of all
the routers once, in their order, and files each under its leading literal path segments
(``/api/v1/account/passkeys/{id}``: ``api``, ``v1``, ``account``, ``passkeys``); a
request is tried only against the routes filed under a prefix of its own segments, still
in their order, so the first route that would have matched in one long list is still the
one that answers.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from fastapi._body_limit import wrap_app_with_body_limit
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.datastructures import URLPath
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, NoMatchFound, Route, request_response
from starlette.types import Receive, Scope, Send

DEPTH = 4  # segments a route is filed by: /api/v1/<area>/<part> tells most apart
_CHOSEN = "entryway.route"  # where matches() leaves the route for handle()


def route_path(scope: Scope) -> str:
    """The path routes are matched on: the request's, less any ``root_path`` it sits
    under (as Starlette's routing reads it)."""
    path = str(scope.get("path", ""))
    root = str(scope.get("root_path", ""))
    if not root or not path.startswith(root):
        return path
    if path == root:
        return ""
    return path[len(root) :] if path[len(root)] == "/" else path


def _segments(path: str) -> tuple[str, ...]:
    return tuple(path[1:].split("/")[:DEPTH]) if path.startswith("/") else ()


def literal_key(path: str) -> tuple[str, ...]:
    """The leading segments of a route's path with no parameter in them, at most DEPTH
    (``/account/{kind}``: ``("account",)``; ``/{slug}``: ``()``)."""
    key: list[str] = []
    for segment in _segments(path):
        if "{" in segment:
            break
        key.append(segment)
    return tuple(key)


class RouteTable(BaseRoute):
    """Routes in order, tried only where their literal start fits the request's path."""

    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        self.routes: list[BaseRoute] = list(routes)
        for route in self.routes:
            if not isinstance(route, Route | Mount):  # e.g. a router included in a router
                raise TypeError(f"a route table holds routes and mounts, not {route!r}")
        filed: dict[tuple[str, ...], list[int]] = {}
        for n, route in enumerate(self.routes):
            filed.setdefault(literal_key(str(getattr(route, "path", ""))), []).append(n)
        # For every filed key and each of its prefixes: the routes filed under any prefix
        # of it, in their order. A request's candidates are those of the longest prefix of
        # its segments found here (a route filed under a shorter prefix is included).
        keys = {key[:n] for key in filed for n in range(len(key) + 1)}
        self._candidates: dict[tuple[str, ...], tuple[BaseRoute, ...]] = {}
        for key in keys:
            found = sorted(i for m in range(len(key) + 1) for i in filed.get(key[:m], ()))
            self._candidates[key] = tuple(self.routes[n] for n in found)

    def candidates(self, path: str) -> tuple[BaseRoute, ...]:
        segments = _segments(path)
        for n in range(len(segments), -1, -1):
            found = self._candidates.get(segments[:n])
            if found is not None:
                return found
        return ()

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        partial: tuple[BaseRoute, Scope] | None = None
        for route in self.candidates(route_path(scope)):
            match, child = route.matches(scope)
            if match == Match.FULL:
                return Match.FULL, {**child, _CHOSEN: route}
            if match == Match.PARTIAL and partial is None:
                partial = (route, child)
        if partial is not None:
            route, child = partial
            return Match.PARTIAL, {**child, _CHOSEN: route}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: BaseRoute = scope.pop(_CHOSEN)
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                continue
        raise NoMatchFound(name, path_params)


class DirectRoute(APIRoute):
    """An API route whose endpoint is called straight when FastAPI has nothing to solve.

    For every request FastAPI's handler opens two exit stacks, runs its body step and walks
    the endpoint's dependency tree, about a fifth of a session check's time. An endpoint
    that takes only the request and dependencies that themselves take only the request
    (``me: Me``), and answers with a ``Response`` of its own, needs none of it: its
    dependencies are awaited in order and it is called with their results. Any other
    endpoint is left to FastAPI. The OpenAPI document is made from the route's dependant,
    which is the same either way.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        call = _direct_call(self)
        if call is not None:
            self.direct = True
            self.app = wrap_app_with_body_limit(request_response(call), self.max_body_size)
        else:
            self.direct = False


_ASKS_FOR_MORE = (
    "dependencies",
    "path_params",
    "query_params",
    "header_params",
    "cookie_params",
    "body_params",
    "websocket_param_name",
    "http_connection_param_name",
    "response_param_name",
    "background_tasks_param_name",
    "security_scopes_param_name",
    "concurrency",  # Depends(..., max_concurrency=N): FastAPI holds a semaphore round it
)


def _request_only(dependant: Dependant, *, but_dependencies: bool = False) -> bool:
    """Whether the dependant needs nothing from FastAPI but the request (and, with
    ``but_dependencies``, its dependencies)."""
    asks = _ASKS_FOR_MORE[1:] if but_dependencies else _ASKS_FOR_MORE
    return not any(getattr(dependant, name) for name in asks)


def _direct_call(route: APIRoute) -> Callable[[Request], Awaitable[Response]] | None:
    """The endpoint with its dependencies resolved by hand, or None when FastAPI must."""
    top = route.dependant
    endpoint = top.call
    if endpoint is None or not inspect.iscoroutinefunction(endpoint) or route.body_field:
        return None
    if route.dependency_overrides_provider is not None:
        return None  # an app's dependency_overrides are FastAPI's to apply
    try:
        answer = typing.get_type_hints(endpoint).get("return")
    except Exception:  # an annotation that only type checkers can resolve
        return None
    if not (isinstance(answer, type) and issubclass(answer, Response)):
        return None
    if not _request_only(top, but_dependencies=True):
        return None
    steps: list[tuple[str | None, Callable[..., Awaitable[Any]], str | None]] = []
    for sub in top.dependencies:
        call = sub.call
        if call is None or not _request_only(sub) or not _is_coroutine(call):
            return None
        steps.append((sub.name, call, sub.request_param_name))
    try:
        distinct = len({call for _, call, _ in steps}) == len(steps)
    except TypeError:  # an unhashable callable: FastAPI's cache could not key it either
        distinct = False
    if not distinct:  # FastAPI calls a repeated dependency (an equal bound method too) once
        return None
    own_request = top.request_param_name

    async def direct(request: Request) -> Response:
        values: dict[str, Any] = {}
        for name, call, wants in steps:
            value = await (call(**{wants: request}) if wants else call())
            if name is not None:
                values[name] = value
        if own_request is not None:
            values[own_request] = request
        response = await endpoint(**values)
        if not isinstance(response, Response):
            raise TypeError(f"{route.path}: the endpoint must answer with a Response")
        return response

    return direct


def _is_coroutine(call: Callable[..., Any]) -> bool:
    """Whether calling ``call`` gives an awaitable: a coroutine function, or an object
    whose ``__call__`` is one (a security scheme)."""
    if inspect.isroutine(call):
        return inspect.iscoroutinefunction(call)
    return inspect.iscoroutinefunction(type(call).__call__)
