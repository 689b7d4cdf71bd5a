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

from collections.abc import Iterable
from typing import Any

from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, Mount, NoMatchFound, Route
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
