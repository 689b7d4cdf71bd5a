"""The footer's language choice: remembered in a cookie, and as a signed-in customer's
preferred language for the emails and texts we send them."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from entryway.core.redirects import safe_return_to
from entryway.web.i18n import LANG, LANG_MAX_AGE
from entryway.web.render import form_of, redirect, text
from entryway.web.security import set_cookie, site_of

router = APIRouter(include_in_schema=False)


@router.post("/language")
async def choose_language(request: Request) -> Response:
    """Switch the site's language; an unknown choice changes nothing. Back to the page the
    choice was made on (a path of this site only)."""
    site = site_of(request)
    form = await form_of(request)
    chosen = text(form, "lang")
    back = safe_return_to(text(form, "back") or "/", frozenset({site.origin}))
    response = redirect(back)
    if chosen in site.locales:
        set_cookie(response, site, LANG, chosen, max_age=LANG_MAX_AGE)
    return response
