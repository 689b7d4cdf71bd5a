"""Create account pages: the form, the code that verifies it, and the way back to correct
the address typed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from entryway.core.events import FlowPurpose
from entryway.core.locales import N_
from entryway.errors import (
    EntrywayError,
    FlowExpired,
    InvalidInput,
)
from entryway.flows import codes
from entryway.flows.account import registration
from entryway.web.i18n import gettext_for, said
from entryway.web.pages.auth import flow_token, resent_notice
from entryway.web.render import (
    FLOW,
    form_of,
    me_or_none,
    page,
    redirect,
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


TYPED = "ew_typed"  # what was typed at Create account (never the password), for a way back
HEADING = N_("Verify your account")
BACK = N_("Wrong email address or mobile number? Go back and correct it")


@router.get("/register")
async def register_form(request: Request, correct: str = "") -> Response:
    """Blank, or with ``correct=1`` (from the verify page) the name and address typed."""
    if await me_or_none(request) is not None:  # signed in already: no second account here
        return redirect("/account")
    values: dict[str, str] = {}
    if correct:
        web, site = web_of(request), site_of(request)
        typed = unsign_value(web.config, site, TYPED, request.cookies.get(cookie_name(site, TYPED)))
        name, _, identifier = (typed or "").partition("\n")
        values = {"name": name, "identifier": identifier} if typed else {}
    return page(request, "register.html", values=values)


@router.post("/register")
async def register_submit(request: Request) -> Response:
    form = await form_of(request)
    site = site_of(request)
    values = {"name": text(form, "name"), "identifier": text(form, "identifier")}
    try:
        started = await registration.start(
            web_of(request).deps,
            site.code,
            name=values["name"],
            identifier=values["identifier"],
            password=text(form, "password"),
            password_again=text(form, "password_again"),
            who=who(request),
        )
    except InvalidInput as exc:
        return page(
            request,
            "register.html",
            values=values,
            errors={exc.field or "identifier": said(request, exc)},
            status=422,
        )
    response = redirect("/register/verify")
    set_cookie(response, site, FLOW, started.flow_token, max_age=1800)
    typed = sign_value(
        web_of(request).config, site, TYPED, f"{values['name']}\n{values['identifier']}"
    )
    set_cookie(response, site, TYPED, typed, max_age=1800)
    return response


def _verify_page(request: Request, sent_to: str, *, status: int = 200, **extra: Any) -> Response:
    return page(
        request,
        "verify.html",
        sent_to=sent_to,
        action="/register/verify",
        heading=gettext_for(request)(HEADING),
        back="/register?correct=1",
        back_label=gettext_for(request)(BACK),
        status=status,
        **extra,
    )


@router.get("/register/verify")
async def verify_form(request: Request, resent: str = "") -> Response:
    site = site_of(request)
    try:
        sent_to = await codes.describe(
            web_of(request).deps, site.code, flow_token(request), FlowPurpose.REGISTRATION
        )
    except FlowExpired:
        return redirect("/register")
    notice = resent_notice(request, sent_to) if resent else None
    return _verify_page(request, sent_to, notice=notice)


@router.post("/register/verify")
async def verify_submit(request: Request) -> Response:
    form = await form_of(request)
    site = site_of(request)
    deps = web_of(request).deps
    token = flow_token(request)
    try:
        if text(form, "action") == "resend":
            await codes.resend(deps, site.code, token, FlowPurpose.REGISTRATION, who(request))
            return redirect("/register/verify?resent=1")  # a reload must not send again
        done = await registration.verify(
            deps, site.code, flow_token=token, code=text(form, "code"), who=who(request)
        )
    except FlowExpired:
        return redirect("/register")
    except EntrywayError as exc:
        sent_to = await codes.describe(deps, site.code, token, FlowPurpose.REGISTRATION)
        return _verify_page(request, sent_to, errors={"code": said(request, exc)}, status=422)
    response = redirect("/account")
    await start_session(response, request, site, done.session_token, remember=False)
    clear_cookie(response, site, FLOW)
    clear_cookie(response, site, TYPED)
    return response
