"""The footer's language choice: remembered in a cookie, and as a signed-in customer's
preferred language for the emails and texts we send them."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from entryway.core.redirects import safe_return_to
from entryway.flows.account import account as account_flow
from entryway.web.i18n import LANG, LANG_MAX_AGE
from entryway.web.render import form_of, me_or_none, redirect, text, web_of, who
from entryway.web.security import set_cookie, site_of

router = APIRouter(include_in_schema=False)


@router.post("/language")
async def choose_language(request: Request) -> Response:
    """Switch the site's language; an unknown choice changes nothing. A signed-in
    customer's choice is also kept as their account's language (its emails and texts).
    Back to the page the choice was made on (a path of this site only)."""
    site = site_of(request)
    form = await form_of(request)
    chosen = text(form, "lang")
    back = safe_return_to(text(form, "back") or "/", frozenset({site.origin}))
    response = redirect(back)
    if chosen in site.locales:
        set_cookie(response, site, LANG, chosen, max_age=LANG_MAX_AGE)
        me = await me_or_none(request)
        if me is not None:
            await account_flow.set_language(web_of(request).deps, me, chosen, who(request))
    return response
