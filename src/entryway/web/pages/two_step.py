"""Two-step verification pages: the challenge after the password (settings: two_step_settings)."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from entryway.errors import AccountSuspended, EntrywayError, InvalidInput, Unauthenticated
from entryway.flows.passkeys import second_step as passkey_step
from entryway.flows.signin import second_step
from entryway.flows.support import cases as support
from entryway.web import once
from entryway.web.i18n import said
from entryway.web.pages import passkeys as passkeys_pages
from entryway.web.pages import suspension
from entryway.web.render import (
    BROWSER,
    BROWSER_MAX_AGE,
    IDENT,
    PARTIAL,
    REMEMBER_ASKED,
    form_of,
    page,
    redirect,
    return_to,
    start_session,
    text,
    web_of,
    who,
)
from entryway.web.security import clear_cookie, cookie_name, set_cookie, site_of

router = APIRouter(include_in_schema=False)
SETTINGS = "/account/two-step"
CASE_OPENED = "/signin/two-step/help/sent"


def _partial(request: Request) -> str:
    return request.cookies.get(cookie_name(site_of(request), PARTIAL), "")


# --- the challenge -------------------------------------------------------------------------


TEMPLATES = {"backup": "two_step_backup.html", "passkey": "two_step_passkey.html"}


async def _challenge(
    request: Request,
    method: str,
    return_to: str,
    *,
    status: int = 200,
    sent_phone: str = "",
    **extra: Any,
) -> Response:
    """The challenge page for one method; phones first offer a text or a call, then (with
    ``sent_phone``, the phone a code went to) ask for it."""
    try:
        options = await second_step.options(
            web_of(request).deps, site_of(request).code, _partial(request)
        )
    except Unauthenticated:
        return redirect("/signin")
    if method == "passkey" and not options.passkeys:
        method = ""
    if method not in (*second_step.METHODS, "passkey"):
        method = (
            "app"
            if options.preferred == "app"
            else ("backup" if options.preferred == "backup" else "phone")
        )
    phone = next(
        (p for p in options.phones if p.factor_id == options.preferred),
        options.phones[0] if options.phones else None,
    )
    sent = next((p for p in options.phones if p.factor_id == sent_phone), None)
    if sent is not None and method == "phone":
        extra["sent_to"] = sent.masked
    template = TEMPLATES.get(method, "two_step_challenge.html")
    return page(
        request,
        template,
        return_to=return_to,
        method=method,
        options=options,
        phone=phone,
        status=status,
        **extra,
    )


@router.get("/signin/two-step")
async def challenge_form(
    request: Request, return_to: str = "", method: str = "", sent: str = "", channel: str = ""
) -> Response:
    return await _challenge(
        request,
        method,
        return_to,
        sent_phone=sent,
        channel="voice" if channel == "voice" else "sms",
    )


@router.get("/signin/two-step/methods")
async def methods(request: Request, return_to: str = "") -> Response:
    try:
        options = await second_step.options(
            web_of(request).deps, site_of(request).code, _partial(request)
        )
    except Unauthenticated:
        return redirect("/signin")
    return page(request, "two_step_methods.html", options=options, return_to=return_to)


@router.post("/signin/two-step/send")
async def send_code(request: Request) -> Response:
    form = await form_of(request)
    target = return_to(request, text(form, "return_to"))
    try:
        await second_step.send_phone_code(
            web_of(request).deps,
            site_of(request).code,
            _partial(request),
            text(form, "phone_id"),
            text(form, "channel"),
            who(request),
        )
    except Unauthenticated:
        return redirect("/signin")
    except EntrywayError as exc:
        return await _challenge(request, "phone", target, problem=said(request, exc), status=422)
    # Redirected to the code page, so that reloading it does not text or call again.
    query = {
        "method": "phone",
        "sent": text(form, "phone_id"),
        "channel": text(form, "channel"),
        "return_to": target,
    }
    return redirect("/signin/two-step?" + urlencode(query))


@router.post("/signin/two-step")
async def challenge_submit(request: Request) -> Response:
    form = await form_of(request)
    site = site_of(request)
    deps = web_of(request).deps
    typed = text(form, "method")
    method: second_step.Method = next((m for m in second_step.METHODS if m == typed), "app")
    remember = request.cookies.get(cookie_name(site, REMEMBER_ASKED)) == "yes"
    target = return_to(request, text(form, "return_to"))
    try:
        passed = await second_step.pass_second_step(
            deps,
            site.code,
            _partial(request),
            text(form, "code"),
            method=method,
            remember=remember,
            who=who(request),
            remember_browser=text(form, "remember_browser") == "yes",
        )
    except Unauthenticated:
        return redirect("/signin")
    except AccountSuspended as exc:  # the second step passed: refused now, not before
        return suspension.refused(request, exc)
    except EntrywayError as exc:
        return await _challenge(
            request,
            method,
            target,
            errors={"code": said(request, exc)},
            sent_to=text(form, "sent_to"),
            channel=text(form, "channel"),
            remember_browser=text(form, "remember_browser") == "yes",
            status=422,
        )
    return await _signed_in(request, passed, target, remember)


async def _signed_in(
    request: Request, passed: second_step.Passed, target: str, remember: bool
) -> Response:
    site = site_of(request)
    if passed.backup_codes_left is not None and passed.backup_codes_left <= 3:
        target = SETTINGS + "?few=1"
    response = redirect(target)
    await start_session(response, request, site, passed.session_token, remember=remember)
    clear_cookie(response, site, PARTIAL)
    clear_cookie(response, site, REMEMBER_ASKED)
    clear_cookie(response, site, IDENT)  # as after a sign-in without the second step
    if passed.browser_token:
        set_cookie(response, site, BROWSER, passed.browser_token, max_age=BROWSER_MAX_AGE)
    return response


@router.post("/signin/two-step/passkey/options")
async def passkey_options(request: Request) -> Response:
    """A challenge for one of this account's passkeys (static/passkeys.js asks for it)."""
    await form_of(request)
    try:
        begun = await passkey_step.begin(
            web_of(request).deps, site_of(request).code, _partial(request)
        )
    except Unauthenticated:
        return JSONResponse({"reauth": "/signin"}, status_code=401)
    except InvalidInput as exc:  # no passkey on this account
        return JSONResponse({"message": said(request, exc)}, status_code=422)
    return passkeys_pages.options_response(begun)


@router.post("/signin/two-step/passkey")
async def passkey_submit(request: Request) -> Response:
    form = await form_of(request)
    site = site_of(request)
    remember = request.cookies.get(cookie_name(site, REMEMBER_ASKED)) == "yes"
    target = return_to(request, text(form, "return_to"))
    try:
        passed = await passkey_step.pass_with_passkey(
            web_of(request).deps,
            site.code,
            _partial(request),
            token=text(form, passkeys_pages.FLOW),
            credential=text(form, "credential"),
            remember=remember,
            who=who(request),
            remember_browser=text(form, "remember_browser") == "yes",
        )
    except Unauthenticated:
        return redirect("/signin")
    except AccountSuspended as exc:
        return suspension.refused(request, exc)
    except EntrywayError as exc:
        refused = await _challenge(
            request, text(form, "method"), target, problem=said(request, exc), status=exc.status
        )
        return refused
    return await _signed_in(request, passed, target, remember)


@router.get("/signin/two-step/help")
async def contact_form(request: Request) -> Response:
    try:
        await second_step.pending(web_of(request).deps, site_of(request).code, _partial(request))
    except Unauthenticated:
        return redirect("/signin")
    return page(request, "two_step_contact.html", value="")


@router.post("/signin/two-step/help")
async def contact_submit(request: Request) -> Response:
    form = await form_of(request)
    site = site_of(request)
    try:
        number = await support.contact_from_second_step(
            web_of(request).deps, site.code, _partial(request), text(form, "message"), who(request)
        )
    except Unauthenticated:
        return redirect("/signin")
    except EntrywayError as exc:
        return page(
            request,
            "two_step_contact.html",
            value=text(form, "message"),
            errors={"message": said(request, exc)},
            status=422,
        )
    # Redirected, so that a reload does not open a second case.
    response = redirect(CASE_OPENED)
    once.hand_over(request, response, "case", _partial_binding(request), {"number": number})
    return response


def _partial_binding(request: Request) -> str:
    """What ties a handed-over case number to this partial session (its token's digest)."""
    token = _partial(request)
    return hashlib.sha256(token.encode()).hexdigest() if token else ""


@router.get(CASE_OPENED)
async def contact_done(request: Request) -> Response:
    shown = once.take(request, "case", _partial_binding(request))
    number = shown.get("number") if shown else None
    if not isinstance(number, str):
        return redirect("/signin/two-step/help")
    response = page(request, "two_step_contact_done.html", number=number)
    once.used(request, response)
    return response


@router.post("/signin/two-step/cancel")
async def challenge_cancel(request: Request) -> Response:
    await form_of(request)
    site = site_of(request)
    await second_step.sign_out_pending(web_of(request).deps, site.code, _partial(request))
    response = redirect("/signin")
    clear_cookie(response, site, PARTIAL)
    return response
