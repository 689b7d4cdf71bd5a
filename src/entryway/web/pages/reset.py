"""Password assistance pages: identifier, where to send the code, the code, a new password."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from entryway.errors import EntrywayError, FlowExpired, InvalidInput
from entryway.flows import password_reset
from entryway.flows.password_reset import Progress
from entryway.web.render import IDENT, form_of, page, redirect, text, web_of, who
from entryway.web.security import (
    clear_cookie,
    cookie_name,
    set_cookie,
    sign_value,
    site_of,
    unsign_value,
)

router = APIRouter(include_in_schema=False)
RESET = "ew_reset"
STEP_URL = {
    "choose": "/password/forgot/choose",
    "code": "/password/forgot/code",
    "verified": "/password/new",
}


def _token(request: Request) -> str:
    return request.cookies.get(cookie_name(site_of(request), RESET), "")


def _to_step(progress: Progress) -> Response:
    return redirect(STEP_URL[progress.stage])


async def _progress(request: Request) -> Progress | None:
    try:
        return await password_reset.status(
            web_of(request).deps, site_of(request).code, _token(request)
        )
    except FlowExpired:
        return None


@router.get("/password/forgot")
async def forgot_form(request: Request) -> Response:
    site = site_of(request)
    remembered = unsign_value(
        web_of(request).config, site, IDENT, request.cookies.get(cookie_name(site, IDENT))
    )
    return page(request, "reset_start.html", identifier=remembered or "")


@router.post("/password/forgot")
async def forgot_submit(request: Request) -> Response:
    form = await form_of(request)
    site = site_of(request)
    raw = text(form, "identifier")
    try:
        progress = await password_reset.start(
            web_of(request).deps, site.code, identifier=raw, who=who(request)
        )
    except EntrywayError as exc:
        return page(
            request,
            "reset_start.html",
            identifier=raw,
            errors={"identifier": exc.message},
            status=422,
        )
    response = _to_step(progress)
    set_cookie(response, site, RESET, progress.flow_token, max_age=1800)
    set_cookie(
        response,
        site,
        IDENT,
        sign_value(web_of(request).config, site, IDENT, raw.strip()),
        max_age=3600,
    )
    return response


@router.get("/password/forgot/choose")
async def choose_form(request: Request) -> Response:
    progress = await _progress(request)
    if progress is None:
        return redirect("/password/forgot")
    if progress.stage != "choose":
        return _to_step(progress)
    return page(request, "reset_choose.html", progress=progress)


@router.post("/password/forgot/choose")
async def choose_submit(request: Request) -> Response:
    form = await form_of(request)
    index, _, channel = text(form, "choice").partition(":")
    try:
        progress = await password_reset.choose(
            web_of(request).deps,
            site_of(request).code,
            flow_token=_token(request),
            index=int(index) if index.isdigit() else -1,
            channel=channel,
            who=who(request),
        )
    except FlowExpired:
        return redirect("/password/forgot")
    except InvalidInput as exc:
        current = await _progress(request)
        if current is None:
            return redirect("/password/forgot")
        return page(
            request,
            "reset_choose.html",
            progress=current,
            errors={"choice": exc.message},
            status=422,
        )
    except EntrywayError as exc:
        return page(request, "error.html", message=exc.message, status=429)
    return _to_step(progress)


@router.get("/password/forgot/code")
async def code_form(request: Request) -> Response:
    progress = await _progress(request)
    if progress is None:
        return redirect("/password/forgot")
    if progress.stage != "code":
        return _to_step(progress)
    return page(request, "reset_code.html", progress=progress)


@router.post("/password/forgot/code")
async def code_submit(request: Request) -> Response:
    form = await form_of(request)
    deps = web_of(request).deps
    site = site_of(request)
    token = _token(request)
    notice = None
    try:
        if text(form, "action") == "resend":
            progress = await password_reset.resend(
                deps, site.code, flow_token=token, who=who(request)
            )
            notice = f"We sent a new code to {progress.sent_to}."
        else:
            await password_reset.verify(deps, site.code, flow_token=token, code=text(form, "code"))
            return redirect("/password/new")
    except FlowExpired:
        return redirect("/password/forgot")
    except EntrywayError as exc:
        current = await _progress(request)
        if current is None:
            return redirect("/password/forgot")
        if text(form, "action") == "resend":  # about the resend, not about a typed code
            return page(
                request, "reset_code.html", progress=current, resend_error=exc.message, status=429
            )
        return page(
            request, "reset_code.html", progress=current, errors={"code": exc.message}, status=422
        )
    return page(request, "reset_code.html", progress=progress, notice=notice)


@router.get("/password/new")
async def new_form(request: Request) -> Response:
    progress = await _progress(request)
    if progress is None or progress.stage != "verified":
        return redirect("/password/forgot")
    return page(request, "reset_new.html")


@router.post("/password/new")
async def new_submit(request: Request) -> Response:
    form = await form_of(request)
    site = site_of(request)
    try:
        await password_reset.complete(
            web_of(request).deps,
            site.code,
            flow_token=_token(request),
            password=text(form, "password"),
            password_again=text(form, "password_again"),
            who=who(request),
        )
    except FlowExpired:
        return redirect("/password/forgot")
    except EntrywayError as exc:
        return page(
            request, "reset_new.html", errors={exc.field or "password": exc.message}, status=422
        )
    response = redirect("/signin/password?reset=done")
    clear_cookie(response, site, RESET)
    return response


@router.get("/help/no-access")
async def no_access(request: Request) -> Response:
    return page(request, "no_access.html", title="No access to your email or phone")
