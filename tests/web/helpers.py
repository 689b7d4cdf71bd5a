"""Small helpers for driving the pages over HTTP like a browser would."""

from __future__ import annotations

import re

import httpx

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "page has no CSRF field"
    return found.group(1)


async def submit(
    client: httpx.AsyncClient,
    page: str,
    action: str,
    data: dict[str, str],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """GET ``page`` for its CSRF token, then POST ``data`` to ``action``."""
    form = await client.get(page, headers=headers)
    assert form.status_code == 200, form.text
    return await client.post(action, data={"csrf": csrf_of(form.text), **data}, headers=headers)


async def register(
    client: httpx.AsyncClient,
    world: object,
    *,
    name: str = "Ana Lopez",
    identifier: str = "ana@example.com",
    password: str = "quiet-meadow-lantern",
) -> httpx.Response:
    """Create and verify an account through the pages; returns the final response."""
    r = await submit(
        client,
        "/register",
        "/register",
        {"name": name, "identifier": identifier, "password": password, "password_again": password},
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/register/verify"
    code = await world.code(identifier if "@" in identifier else _e164(identifier))  # type: ignore[attr-defined]
    return await submit(client, "/register/verify", "/register/verify", {"code": code})


def _e164(phone: str) -> str:
    digits = "".join(c for c in phone if c.isdigit())
    return "+" + digits if phone.startswith("+") else "+1" + digits


async def sign_in(
    client: httpx.AsyncClient, identifier: str, password: str, *, remember: bool = False
) -> httpx.Response:
    r = await submit(client, "/signin", "/signin", {"identifier": identifier})
    assert r.status_code == 303, r.text
    data = {"password": password}
    if remember:
        data["remember"] = "yes"
    return await submit(client, "/signin/password", "/signin/password", data)
