"""Pages for signing in, creating an account and signing out."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from entryway.core.events import FlowPurpose
from entryway.core.locales import N_
from entryway.core.lockout import Unusual
from entryway.errors import (
    AccountClosed,
    AccountSuspended,
    EntrywayError,
    FlowExpired,
    InvalidInput,
    SignInFailed,
    SignInLocked,
    SignInThrottled,
)
from entryway.flows import codes
from entryway.flows.account import account as account_flow
from entryway.flows.signin import sign_in, unusual
from entryway.web.i18n import gettext_for, said
from entryway.web.oidc import authorize as oidc_authorize
from entryway.web.pages import closed, suspension
from entryway.web.render import (
    BROWSER,
    FLOW,
    IDENT,
    PARTIAL,
    REMEMBER_ASKED,
    SESSION,
    form_of,
    me_or_none,
    page,
    redirect,
    return_to,
    start_session,
    text,
    web_of,
    who,
)
from entryway.web.security import (
    clear_cookie,
    cookie_name,
    set_cookie,
    sign_value,
    site_of,
    unsign_value,
)

router = APIRouter(include_in_schema=False)
FAVICON = Path(__file__).parent.parent / "static" / "favicon.svg"


@router.get("/")
async def home(request: Request) -> Response:
    return page(request, "home.html", me=await me_or_none(request))


@router.get("/favicon.ico")
async def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico whatever the page links; answer with the same icon."""
    return FileResponse(
        FAVICON, media_type="image/svg+xml", headers={"cache-control": "public, max-age=86400"}
    )


def _remembered_identifier(request: Request) -> str | None:
    site = site_of(request)
    return unsign_value(
        web_of(request).config, site, IDENT, request.cookies.get(cookie_name(site, IDENT))
    )


def _unlocked(value: str) -> str:
    return value if value in ("new", "kept") else ""


@router.get("/signin")
async def signin_form(
    request: Request,
    target: str = Query("", alias="return_to"),
    unlocked: str = "",
    signed_out: str = "",
    login_hint: str = "",
) -> Response:
    # Someone already signed in has nothing to do here: on to where they were going (or
    # Login & security). Step-up never comes this way: sensitive changes ask for the
    # password on their own page (reauth.html); the one exception is an app's request
    # for a fresh sign-in (prompt=login, max_age), which shows the form again.
    me = await me_or_none(request)
    if me is not None and not oidc_authorize.wants_new_sign_in(request, me, target):
        return redirect(return_to(request, target))
    # An app's login_hint only fills the field: nothing is looked up or revealed by it.
    hint = login_hint.strip()[:320] if target.startswith("/oauth/authorize?") else ""
    return page(
        request,
        "signin.html",
        identifier=hint or _remembered_identifier(request) or "",
        return_to=target,
        unlocked=_unlocked(unlocked),
        signed_out=signed_out if signed_out in ("everywhere", "app") else "",
    )


@router.post("/signin")
async def signin_identifier(request: Request) -> Response:
    form = await form_of(request)
    site = site_of(request)
    raw = text(form, "identifier")
    target = return_to(request, text(form, "return_to"))
    try:
        sign_in.check_identifier(web_of(request).deps, site.code, raw)
    except InvalidInput as exc:
        return page(
            request,
            "signin.html",
            identifier=raw,
            return_to=target,
            errors={exc.field or "identifier": said(request, exc)},
            status=422,
        )
    response = redirect("/signin/password?" + _qs(target))
    set_cookie(
        response,
        site,
        IDENT,
        sign_value(web_of(request).config, site, IDENT, raw.strip()),
        max_age=3600,
    )
    return response


def _qs(target: str) -> str:
    return urlencode({"return_to": target})


@router.get("/signin/password")
async def password_form(
    request: Request, return_to: str = "", reset: str = "", unlocked: str = ""
) -> Response:
    identifier = _remembered_identifier(request)
    if not identifier:
        # An unlock that ends here keeps its notice on the identifier step instead.
        done = _unlocked(unlocked)
        return redirect("/signin?" + urlencode({"unlocked": done}) if done else "/signin")
    return page(
        request,
        "password.html",
        identifier=identifier,
        return_to=return_to,
        reset_done=reset == "done",
        unlocked=_unlocked(unlocked),
    )


@router.post("/signin/password")
async def password_submit(request: Request) -> Response:
    form = await form_of(request)
    site = site_of(request)
    deps = web_of(request).deps
    identifier = _remembered_identifier(request)
    target = return_to(request, text(form, "return_to"))
    if not identifier:
        return redirect("/signin")
    remember = text(form, "remember") == "yes"
    try:
        result = await sign_in.sign_in(
            deps,
            site.code,
            identifier=identifier,
            password=text(form, "password"),
            remember=remember,
            who=who(request),
            browser=request.cookies.get(cookie_name(site, BROWSER), ""),
        )
    except SignInLocked as exc:
        # Refused before the password was looked at, and shown alike for unknown
        # identifiers at the same count: it tells nothing about the password or account.
        return page(
            request,
            "password.html",
            identifier=identifier,
            return_to=target,
            locked=said(request, exc),
            remember=remember,
        )
    except SignInThrottled as exc:
        throttled = said(request, exc)
        return page(
            request,
            "password.html",
            identifier=identifier,
            return_to=target,
            throttled=throttled,
            wait=_wait_parts(throttled, exc.retry_after),
            wait_seconds=exc.retry_after,
            remember=remember,
            status=429,
        )
    except SignInFailed as exc:
        return page(
            request,
            "password.html",
            identifier=identifier,
            return_to=target,
            failed=said(request, exc),
            remember=remember,
        )
    except AccountSuspended as exc:  # only ever after the right password (SECURITY.md 36)
        return suspension.refused(request, exc)
    except AccountClosed as exc:  # likewise: the password was right
        return closed.refused(request, exc)
    except InvalidInput:
        return redirect("/signin")
    if isinstance(result, sign_in.MustVerify):
        response = redirect("/register/verify")
        set_cookie(response, site, FLOW, result.flow_token)
        return response
    if isinstance(result, sign_in.MustConfirm):
        response = redirect("/signin/confirm?" + _qs(target))
        set_cookie(response, site, FLOW, result.flow_token, max_age=1800)
        set_cookie(response, site, REMEMBER_ASKED, "yes" if remember else "", max_age=1800)
        return response
    if isinstance(result, sign_in.SecondStep):
        response = redirect("/signin/two-step?" + _qs(target))
        set_cookie(response, site, PARTIAL, result.partial_token, max_age=600)
        set_cookie(response, site, REMEMBER_ASKED, "yes" if remember else "", max_age=600)
        return response
    response = redirect(target)
    await start_session(response, request, site, result.session_token, remember=remember)
    clear_cookie(response, site, IDENT)
    return response


def _wait_parts(message: str, seconds: int) -> tuple[str, str, str] | None:
    """The notice split around its "N seconds" (in whichever language it is written: the
    number and the word after it), for the page to count down; None when the notice names
    no such wait (then it is shown as it is)."""
    if seconds <= 0:
        return None
    found = re.search(rf"(?<![\d,.]){seconds}[ \u00a0\u202f]+\w+", message)
    if found is None:
        return None
    return message[: found.start()], found.group(0), message[found.end() :]


CONFIRM_HEADING = N_("Confirm it's you")
# Why the code is asked for, as the flow decided it: the page says only what happened. One
# whole sentence for each reason, so that every language can put the reason where it goes.
CONFIRM_INTRO: dict[Unusual | None, str] = {
    None: N_(
        "Your password was right, but we don't recognise this device, so we need to check it's you."
    ),
    Unusual.ACCOUNT_FAILURES: N_(
        "Your password was right, but we don't recognise this device and there were failed "
        "attempts to sign in to your account lately, so we need to check it's you."
    ),
    Unusual.SUSPECTED: N_(
        "Your password was right, but we don't recognise this device and a recent sign-in "
        "with your password was not finished, so we need to check it's you."
    ),
    Unusual.NETWORK_FAILURES: N_(
        "Your password was right, but we don't recognise this device and there were many "
        "failed attempts to sign in from this network lately (not necessarily to your "
        "account), so we need to check it's you."
    ),
}
RESENT = N_("We sent a new OTP to %(to)s.")


def _same(text: str) -> str:
    return text


def confirm_intro(reason: Unusual | None, gettext: Callable[[str], str] = _same) -> str:
    """The confirm page's first sentence for ``reason`` (None: a flow without one), in the
    language of ``gettext``."""
    return gettext(CONFIRM_INTRO[reason])


def resent_notice(request: Request, sent_to: str) -> str:
    """ "We sent a new OTP to ...", in the request's language."""
    return gettext_for(request)(RESENT) % {"to": sent_to}


def _confirm_page(
    request: Request, target: str, shown: unusual.MustConfirm, *, status: int = 200, **extra: Any
) -> Response:
    return page(
        request,
        "verify.html",
        action="/signin/confirm",
        heading=gettext_for(request)(CONFIRM_HEADING),
        intro=confirm_intro(shown.reason, gettext_for(request)),
        sent_to=shown.sent_to,
        return_to=target,
        status=status,
        **extra,
    )


@router.get("/signin/confirm")
async def confirm_form(request: Request, return_to: str = "", resent: str = "") -> Response:
    site = site_of(request)
    try:
        shown = await unusual.describe(web_of(request).deps, site.code, flow_token(request))
    except FlowExpired:
        return redirect("/signin")
    notice = resent_notice(request, shown.sent_to) if resent else None
    return _confirm_page(request, return_to, shown, notice=notice)


@router.post("/signin/confirm")
async def confirm_submit(request: Request) -> Response:
    form = await form_of(request)
    site = site_of(request)
    deps = web_of(request).deps
    token = flow_token(request)
    target = return_to(request, text(form, "return_to"))
    remember = request.cookies.get(cookie_name(site, REMEMBER_ASKED)) == "yes"
    try:
        if text(form, "action") == "resend":
            await codes.resend(deps, site.code, token, FlowPurpose.UNUSUAL_SIGN_IN, who(request))
            # A reload of the answer must not send yet another code.
            return redirect("/signin/confirm?" + urlencode({"return_to": target, "resent": "1"}))
        done = await unusual.confirm(
            deps,
            site.code,
            flow_token=token,
            code=text(form, "code"),
            remember=remember,
            who=who(request),
        )
    except FlowExpired:
        return redirect("/signin")
    except AccountSuspended as exc:  # the code was right: refused now, not before
        return suspension.refused(request, exc)
    except SignInLocked as exc:
        shown = await unusual.describe(deps, site.code, token)
        return _confirm_page(request, target, shown, locked=said(request, exc), status=423)
    except EntrywayError as exc:
        shown = await unusual.describe(deps, site.code, token)
        return _confirm_page(
            request, target, shown, errors={"code": said(request, exc)}, status=422
        )
    response = redirect(target)
    await start_session(response, request, site, done.session_token, remember=remember)
    for name in (FLOW, REMEMBER_ASKED, IDENT):
        clear_cookie(response, site, name)
    return response


@router.post("/signout")
async def signout(request: Request) -> Response:
    await form_of(request)
    site = site_of(request)
    await account_flow.sign_out(
        web_of(request).deps,
        site.code,
        request.cookies.get(cookie_name(site, SESSION)),
        who(request),
    )
    response = redirect("/signin")
    clear_cookie(response, site, SESSION)
    return response


def flow_token(request: Request) -> str:
    """The sign-in or registration flow this browser is in (its cookie)."""
    site = site_of(request)
    return request.cookies.get(cookie_name(site, FLOW), "")
