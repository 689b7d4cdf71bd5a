"""Console passkeys: **Sign in with a passkey** on the console's sign-in page, and **Your
passkeys** (add, remove). The ceremonies run in static/passkeys.js, as on the customer
pages; without script the controls stay hidden and the password and app sign in as ever."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from entryway.core.staff import Actor, StaffLevel
from entryway.errors import EntrywayError, Forbidden, InvalidInput, SignInLocked, SignInThrottled
from entryway.flows.staff import passkeys as staff_passkeys
from entryway.flows.staff import session as staff_session
from entryway.web.console.render import (
    CSRF,
    STAFF,
    actor_page,
    console_form,
    console_of,
    console_page,
    cookie,
    redirect,
    start_session,
    text,
    who,
)
from entryway.web.pages.passkeys import options_response

router = APIRouter(include_in_schema=False)
FLOW = "flow"  # the form field that carries the ceremony's token back (five minutes)
PAGE = "/passkeys"


def _browser(request: Request) -> str:
    """A digest of the browser's HttpOnly console CSRF cookie: the sign-in ceremony is
    bound to it besides its token."""
    raw = cookie(request, CSRF) or ""
    return hashlib.sha256(raw.encode()).hexdigest() if raw else ""


def _url(request: Request) -> str:
    return console_of(request).config.url


@router.post("/signin/passkey/options")
async def sign_in_options(request: Request) -> Response:
    await console_form(request)
    deps = console_of(request).deps
    try:
        begun = await staff_passkeys.begin_sign_in(
            deps, _url(request), who(request), binding=_browser(request)
        )
    except SignInThrottled as exc:
        return JSONResponse({"message": exc.message}, status_code=exc.status)
    return options_response(begun)


@router.post("/signin/passkey")
async def sign_in_submit(request: Request) -> Response:
    form = await console_form(request)
    try:
        token = await staff_passkeys.sign_in(
            console_of(request).deps,
            _url(request),
            token=text(form, FLOW),
            credential=text(form, "credential"),
            who=who(request),
            binding=_browser(request),
        )
    except SignInLocked as exc:
        refused = console_page(
            request, "signin.html", status=exc.status, email="", locked=exc.message, errors={}
        )
        return refused
    except EntrywayError as exc:
        refused = console_page(
            request, "signin.html", status=exc.status, email="", passkey_error=exc.message,
            errors={},
        )  # fmt: skip
        return refused
    response = redirect("/")
    start_session(request, response, token)
    return response


async def _page(request: Request, actor: Actor, *, status: int = 200, error: str = "") -> Response:
    deps = console_of(request).deps
    session, _member = await staff_session.session_of(deps, cookie(request, STAFF), StaffLevel.FULL)
    recent = deps.clock.now() - session.created_at <= staff_passkeys.RECENT_SIGN_IN
    return console_page(
        request,
        "passkeys.html",
        status=status,
        passkeys=await staff_passkeys.mine(deps, actor.staff_id),
        recent=recent,
        error=error,
        done=request.query_params.get("done", ""),
    )


@router.get(PAGE)
async def passkeys_page(request: Request, actor: Actor = Depends(actor_page)) -> Response:
    return await _page(request, actor)


@router.post(PAGE + "/options")
async def add_options(request: Request, actor: Actor = Depends(actor_page)) -> Response:
    form = await console_form(request)
    try:
        begun = await staff_passkeys.begin_registration(
            console_of(request).deps, _url(request), cookie(request, STAFF),
            text(form, "password"), who(request),
        )  # fmt: skip
    except Forbidden:  # the page says why: sign in again
        return JSONResponse({"reauth": PAGE}, status_code=403)
    except (InvalidInput, SignInLocked) as exc:  # a wrong password, locked, too many
        return JSONResponse({"message": exc.message}, status_code=exc.status)
    return options_response(begun)


@router.post(PAGE)
async def add_submit(request: Request, actor: Actor = Depends(actor_page)) -> Response:
    form = await console_form(request)
    try:
        await staff_passkeys.finish_registration(
            console_of(request).deps,
            _url(request),
            cookie(request, STAFF),
            text(form, FLOW),
            text(form, "credential"),
            who(request),
            name=text(form, "name"),
        )
    except EntrywayError as exc:  # too late, expired, not checked, already there
        return await _page(request, actor, status=exc.status, error=exc.message)
    response = redirect(PAGE + "?done=added")
    return response


@router.post(PAGE + "/{credential_id}/remove")
async def remove(
    credential_id: str, request: Request, actor: Actor = Depends(actor_page)
) -> Response:
    await console_form(request)
    deps = console_of(request).deps
    session, member = await staff_session.session_of(deps, cookie(request, STAFF), StaffLevel.FULL)
    try:
        await staff_passkeys.remove(deps, session, member, credential_id[:1400], who(request))
    except EntrywayError as exc:
        return await _page(request, actor, status=exc.status, error=exc.message)
    return redirect(PAGE + "?done=removed")
