"""Passkeys on the pages: **Sign in with a passkey** (and passkey autofill) on the sign-in
page, and Login & security → **Passkeys**. The ceremonies need script (static/passkeys.js):
it asks for the options, hands them to the browser, and posts what the browser returns in
an ordinary form. Without script the controls stay hidden, and every page still signs in
by password and codes."""

from __future__ import annotations

import hashlib
import json

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from entryway.errors import (
    AccountClosed,
    AccountSuspended,
    EntrywayError,
    FlowExpired,
    Forbidden,
    InvalidInput,
    NotFound,
    SignInLocked,
    SignInThrottled,
)
from entryway.flows.account.account import Current
from entryway.flows.account.two_step import require_recent
from entryway.flows.passkeys import ceremonies, manage
from entryway.flows.passkeys import sign_in as passkey_sign_in
from entryway.web.i18n import said
from entryway.web.pages import closed, suspension
from entryway.web.render import (
    CSRF,
    IDENT,
    form_of,
    page,
    redirect,
    return_to,
    signed_in_page,
    start_session,
    text,
    web_of,
    who,
)
from entryway.web.security import clear_cookie, cookie_name, site_of

router = APIRouter(include_in_schema=False)
FLOW = "flow"  # the form field that carries the ceremony's token back (five minutes)
PAGE = "/account/passkeys"


def browser_binding(request: Request) -> str:
    """What ties a sign-in ceremony to this browser besides its token: a digest of the
    HttpOnly CSRF cookie (a token carried off by script does not work anywhere else)."""
    raw = request.cookies.get(cookie_name(site_of(request), CSRF), "")
    return hashlib.sha256(raw.encode()).hexdigest() if raw else ""


def options_response(begun: ceremonies.Begun) -> Response:
    """The options, and the ceremony's token for the page's form to send back: each page
    (each tab) holds its own ceremony, so two open sign-in pages do not spoil each other."""
    body = {"flow": begun.token, "options": json.loads(begun.options)}
    return JSONResponse(body, headers={"cache-control": "no-store"})


@router.post("/signin/passkey/options")
async def sign_in_options(request: Request) -> Response:
    await form_of(request)  # CSRF checked: only our page starts a ceremony
    deps = web_of(request).deps
    site = site_of(request)
    try:
        begun = await ceremonies.begin_sign_in(
            deps, site.code, who(request), binding=browser_binding(request)
        )
    except SignInThrottled as exc:  # the page says so; the password still works
        return JSONResponse({"message": said(request, exc)}, status_code=exc.status)
    return options_response(begun)


@router.post("/signin/passkey")
async def sign_in_submit(request: Request) -> Response:
    form = await form_of(request)
    site = site_of(request)
    target = return_to(request, text(form, "return_to"))
    remember = text(form, "remember") == "yes"
    try:
        done = await passkey_sign_in.sign_in(
            web_of(request).deps,
            site.code,
            token=text(form, FLOW),
            credential=text(form, "credential"),
            remember=remember,
            who=who(request),
            binding=browser_binding(request),
        )
    except AccountSuspended as exc:
        return suspension.refused(request, exc)
    except AccountClosed as exc:
        return closed.refused(request, exc)
    except (InvalidInput, FlowExpired, SignInLocked, SignInThrottled) as exc:
        return page(
            request,
            "signin.html",
            identifier="",
            return_to=target,
            passkey_error=said(request, exc),
            status=exc.status,
        )
    response = redirect(target)
    await start_session(response, request, site, done.session_token, remember=remember)
    clear_cookie(response, site, IDENT)
    return response


# --- the store's native apps: the site vouches for them, so their passkeys are this site's --


def _published(document: object) -> Response:
    response = JSONResponse(document)
    response.headers["cache-control"] = "public, max-age=3600"
    return response


@router.get("/.well-known/assetlinks.json")
async def asset_links(request: Request) -> Response:
    """Digital Asset Links: the Android apps that may use this site's passkeys."""
    apps = site_of(request).android_apps
    if not apps:
        return JSONResponse([], status_code=404)
    return _published(
        [
            {
                "relation": ["delegate_permission/common.get_login_creds"],
                "target": {
                    "namespace": "android_app",
                    "package_name": app.package,
                    "sha256_cert_fingerprints": list(app.fingerprints),
                },
            }
            for app in apps
        ]
    )


@router.get("/.well-known/apple-app-site-association")
async def apple_app_site_association(request: Request) -> Response:
    """Associated domains: the Apple apps that may use this site's passkeys."""
    apps = site_of(request).apple_apps
    if not apps:
        return JSONResponse({}, status_code=404)
    return _published({"webcredentials": {"apps": list(apps)}})


@router.get(PAGE)
async def passkeys_page(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    return page(
        request,
        "passkeys.html",
        me=me,
        passkeys=await manage.mine(web_of(request).deps, me),
        notice=request.query_params.get("done"),
    )


@router.get(PAGE + "/confirm")
async def confirm(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    """Enter the password again, then back to the passkeys (adding one needs it)."""
    return page(request, "reauth.html", me=me, back=PAGE)


@router.post(PAGE + "/options")
async def add_options(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    await form_of(request)
    try:
        begun = await ceremonies.begin_registration(web_of(request).deps, me)
    except Forbidden:  # the page sends the customer to confirm their password first
        return JSONResponse({"reauth": PAGE + "/confirm"}, status_code=403)
    except InvalidInput as exc:  # too many passkeys: the page says so
        return JSONResponse({"message": said(request, exc)}, status_code=exc.status)
    return options_response(begun)


@router.post(PAGE)
async def add_submit(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    form = await form_of(request)
    deps = web_of(request).deps
    try:
        await ceremonies.finish_registration(
            deps,
            me,
            text(form, FLOW),
            text(form, "credential"),
            who(request),
            name=text(form, "name"),
        )
    except Forbidden:
        return page(request, "reauth.html", me=me, back=PAGE)
    except (InvalidInput, FlowExpired) as exc:  # not checked, or too late
        return page(
            request, "passkeys.html", me=me, passkeys=await manage.mine(deps, me),
            error=said(request, exc), status=422,
        )  # fmt: skip
    response = redirect(PAGE + "?done=added")
    return response


@router.post(PAGE + "/{credential_id}/remove")
async def remove(
    credential_id: str, request: Request, me: Current = Depends(signed_in_page)
) -> Response:
    await form_of(request)
    deps = web_of(request).deps
    try:
        require_recent(deps, me)
    except Forbidden:
        return page(request, "reauth.html", me=me, back=PAGE)
    try:
        await manage.remove(deps, me, credential_id[:1400], who(request))
    except EntrywayError as exc:
        return page(
            request, "passkeys.html", me=me, passkeys=await manage.mine(deps, me),
            error=said(request, exc), status=exc.status,
        )  # fmt: skip
    return redirect(PAGE + "?done=removed")


@router.get(PAGE + "/{credential_id}/rename")
async def rename_form(
    credential_id: str, request: Request, me: Current = Depends(signed_in_page)
) -> Response:
    try:
        passkey = await manage.one(web_of(request).deps, me, credential_id[:1400])
    except NotFound:
        return redirect(PAGE)
    return page(request, "passkey_rename.html", me=me, passkey=passkey, value=passkey.name)


@router.post(PAGE + "/{credential_id}/rename")
async def rename_submit(
    credential_id: str, request: Request, me: Current = Depends(signed_in_page)
) -> Response:
    form = await form_of(request)
    deps = web_of(request).deps
    try:
        await manage.rename(deps, me, credential_id[:1400], text(form, "name"), who(request))
    except NotFound:
        return redirect(PAGE)
    except InvalidInput as exc:
        passkey = await manage.one(deps, me, credential_id[:1400])
        return page(
            request, "passkey_rename.html", me=me, passkey=passkey, value=text(form, "name"),
            errors={"name": said(request, exc)}, status=422,
        )  # fmt: skip
    return redirect(PAGE + "?done=renamed")
