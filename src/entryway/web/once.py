"""Results shown once: what a form created, carried across its redirect to the next page.

A form that creates something answers with a redirect, so a reload never submits it again
(POST/redirect/GET). Some results exist only at that moment (new backup codes, a case
number) and are never stored readable. They travel to the page after the redirect in a
short-lived cookie, encrypted and bound to the purpose and to the session that made them;
the page that shows them deletes the cookie, so they are shown once.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from entryway.web.render import web_of
from entryway.web.security import clear_cookie, cookie_name, set_cookie, site_of

SHOW_ONCE = "ew_once"
LIFETIME_SECONDS = 300  # long enough for a slow redirect, short enough to be gone soon
_PREFIX = b"show-once|"  # keeps these apart from the other values the sealer protects


def hand_over(
    request: Request, response: Response, kind: str, binding: str, values: dict[str, Any]
) -> None:
    """Put ``values`` in the cookie for the next page, which must ask with the same
    ``kind`` and ``binding`` (the session or partial session that created them)."""
    deps = web_of(request).deps
    payload = {
        "kind": kind,
        "binding": binding,
        "until": int(deps.clock.now().timestamp()) + LIFETIME_SECONDS,
        "values": values,
    }
    sealed = deps.sealer.seal(_PREFIX + json.dumps(payload).encode())
    set_cookie(response, site_of(request), SHOW_ONCE, sealed, max_age=LIFETIME_SECONDS)


def take(request: Request, kind: str, binding: str) -> dict[str, Any] | None:
    """The values handed over for this page, or None (none, expired, or not for us)."""
    raw = request.cookies.get(cookie_name(site_of(request), SHOW_ONCE))
    if not raw or not binding:
        return None
    deps = web_of(request).deps
    try:
        plain = deps.sealer.unseal(raw)
        payload = json.loads(plain[len(_PREFIX) :]) if plain.startswith(_PREFIX) else None
    except Exception:  # any cookie we cannot open holds nothing for us
        return None
    if (
        not isinstance(payload, dict)
        or payload.get("kind") != kind
        or payload.get("binding") != binding
        or not isinstance(payload.get("until"), int)
        or payload["until"] < deps.clock.now().timestamp()
        or not isinstance(payload.get("values"), dict)
    ):
        return None
    values: dict[str, Any] = payload["values"]
    return values


def used(request: Request, response: Response) -> None:
    """The page showed what it was handed: forget it."""
    clear_cookie(response, site_of(request), SHOW_ONCE)
