"""Close your account (Login & security): the password, then the code, then a page that
says what happens next (flows/account/closing.py). Each step is POST/redirect/GET; the
code step's flow token rides in the flow cookie like a contact change's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from entryway.core.locales import N_
from entryway.errors import EntrywayError, FlowExpired
from entryway.flows import codes
from entryway.flows.account import closing
from entryway.flows.account.account import Current
from entryway.web.i18n import gettext_for, said
from entryway.web.pages.auth import resent_notice
from entryway.web.render import (
    FLOW,
    SESSION,
    form_of,
    page,
    redirect,
    signed_in_page,
    text,
    web_of,
    who,
)
from entryway.web.security import clear_cookie, cookie_name, set_cookie, site_of

router = APIRouter(include_in_schema=False)
SignedInPage = Annotated[Current, Depends(signed_in_page)]
START = "/account/close"
VERIFY = "/account/close/verify"
DONE = "/account/closed"
HEADING = N_("Enter the code to close your account")
INTRO = N_("This is the last step. Once you enter the code, your account is closed at once.")
BACK = N_("Changed your mind? Keep your account")


def _start_page(
    request: Request, me: Current, *, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    deps = web_of(request).deps
    return page(
        request,
        "account_close.html",
        me=me,
        grace_days=deps.retention.closed_account_days,
        errors=errors or {},
        status=status,
    )


@router.get(START)
async def close_form(request: Request, me: SignedInPage) -> Response:
    return _start_page(request, me)


@router.post(START)
async def close_submit(request: Request, me: SignedInPage) -> Response:
    form = await form_of(request)
    try:
        started = await closing.start(
            web_of(request).deps, me, text(form, "password"), who(request)
        )
    except EntrywayError as exc:
        return _start_page(request, me, errors={"password": said(request, exc)}, status=422)
    response = redirect(VERIFY)
    set_cookie(response, site_of(request), FLOW, started.flow_token, max_age=1800)
    return response


def _verify_page(
    request: Request, me: Current, sent_to: str, *, status: int = 200, **extra: object
) -> Response:
    gettext = gettext_for(request)
    return page(
        request,
        "verify.html",
        me=me,
        sent_to=sent_to,
        action=VERIFY,
        heading=gettext(HEADING),
        intro=gettext(INTRO),
        back="/account",
        back_label=gettext(BACK),
        status=status,
        **extra,
    )


@router.get(VERIFY)
async def verify_form(request: Request, me: SignedInPage, resent: str = "") -> Response:
    site = site_of(request)
    token = request.cookies.get(cookie_name(site, FLOW), "")
    try:
        sent_to = await codes.describe(web_of(request).deps, site.code, token, closing.PURPOSE)
    except FlowExpired:
        return redirect(START)
    notice = resent_notice(request, sent_to) if resent else None
    return _verify_page(request, me, sent_to, notice=notice)


@router.post(VERIFY)
async def verify_submit(request: Request, me: SignedInPage) -> Response:
    form = await form_of(request)
    site = site_of(request)
    deps = web_of(request).deps
    token = request.cookies.get(cookie_name(site, FLOW), "")
    try:
        if text(form, "action") == "resend":
            await codes.resend(deps, site.code, token, closing.PURPOSE, who(request))
            return redirect(f"{VERIFY}?resent=1")  # a reload sends nothing
        await closing.confirm(deps, me, token, text(form, "code"), who(request))
    except FlowExpired:
        return redirect(START)
    except EntrywayError as exc:
        sent_to = await codes.describe(deps, site.code, token, closing.PURPOSE)
        return _verify_page(request, me, sent_to, errors={"code": said(request, exc)}, status=422)
    response = redirect(DONE)
    clear_cookie(response, site, FLOW)
    clear_cookie(response, site, SESSION)  # the session itself ended with the rest
    return response


@router.get(DONE)
async def closed_page(request: Request) -> Response:
    """Signed out by now: what happens next, and where to ask for it back."""
    return page(request, "account_closed.html", me=None, refused=None)
