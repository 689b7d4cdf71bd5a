"""Two-step verification pages: the challenge after the password, and the settings."""

from __future__ import annotations

from typing import Any

import segno
from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from entryway.errors import EntrywayError, FlowExpired, Forbidden, Unauthenticated
from entryway.flows import second_step, support, two_step
from entryway.flows.account import Current
from entryway.web.render import (
    BROWSER,
    BROWSER_MAX_AGE,
    FLOW,
    IDENT,
    PARTIAL,
    REMEMBER_ASKED,
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
from entryway.web.security import clear_cookie, cookie_name, set_cookie, site_of

router = APIRouter(include_in_schema=False)
SETTINGS = "/account/two-step"


def _partial(request: Request) -> str:
    return request.cookies.get(cookie_name(site_of(request), PARTIAL), "")


# --- the challenge -------------------------------------------------------------------------


TEMPLATES = {"backup": "two_step_backup.html"}


async def _challenge(
    request: Request, method: str, return_to: str, *, status: int = 200, **extra: Any
) -> Response:
    """The challenge page for one method; phones first offer a text or a call."""
    try:
        options = await second_step.options(
            web_of(request).deps, site_of(request).code, _partial(request)
        )
    except Unauthenticated:
        return redirect("/signin")
    if method not in second_step.METHODS:
        method = (
            "app"
            if options.preferred == "app"
            else ("backup" if options.preferred == "backup" else "phone")
        )
    phone = next(
        (p for p in options.phones if p.factor_id == options.preferred),
        options.phones[0] if options.phones else None,
    )
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
async def challenge_form(request: Request, return_to: str = "", method: str = "") -> Response:
    return await _challenge(request, method, return_to)


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
        sent_to = await second_step.send_phone_code(
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
        return await _challenge(request, "phone", target, problem=exc.message, status=422)
    return await _challenge(
        request,
        "phone",
        target,
        sent_to=sent_to,
        channel=text(form, "channel"),
        phone_id=text(form, "phone_id"),
    )


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
    except EntrywayError as exc:
        return await _challenge(
            request,
            method,
            target,
            errors={"code": exc.message},
            sent_to=text(form, "sent_to"),
            channel=text(form, "channel"),
            remember_browser=text(form, "remember_browser") == "yes",
            status=422,
        )
    if passed.backup_codes_left is not None and passed.backup_codes_left <= 3:
        target = SETTINGS + "?few=1"
    response = redirect(target)
    start_session(response, request, site, passed.session_token, remember=remember)
    clear_cookie(response, site, PARTIAL)
    clear_cookie(response, site, REMEMBER_ASKED)
    clear_cookie(response, site, IDENT)  # as after a sign-in without the second step
    if passed.browser_token:
        set_cookie(response, site, BROWSER, passed.browser_token, max_age=BROWSER_MAX_AGE)
    return response


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
            errors={"message": exc.message},
            status=422,
        )
    return page(request, "two_step_contact_done.html", number=number)


@router.post("/signin/two-step/cancel")
async def challenge_cancel(request: Request) -> Response:
    await form_of(request)
    site = site_of(request)
    await second_step.sign_out_pending(web_of(request).deps, site.code, _partial(request))
    response = redirect("/signin")
    clear_cookie(response, site, PARTIAL)
    return response


# --- settings ------------------------------------------------------------------------------


async def _settings_page(request: Request, me: Current, **extra: Any) -> Response:
    deps = web_of(request).deps
    try:
        two_step.require_recent(deps, me)
    except Forbidden:
        return page(request, "reauth.html", me=me, back=request.url.path, **extra)
    info = await two_step.overview(deps, me)
    return page(
        request,
        "two_step_settings.html",
        me=me,
        info=info,
        few=request.query_params.get("few") == "1",
        done=request.query_params.get("done"),
        **extra,
    )


@router.get(SETTINGS)
async def settings(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    return await _settings_page(request, me)


@router.post("/account/reauth")
async def reauth(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    form = await form_of(request)
    back = text(form, "back") if text(form, "back").startswith("/account") else SETTINGS
    try:
        await two_step.reauthenticate(
            web_of(request).deps, me, text(form, "password"), who(request)
        )
    except EntrywayError as exc:
        return page(
            request, "reauth.html", me=me, back=back, errors={"password": exc.message}, status=422
        )
    return redirect(back)


def _qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (no JavaScript, no external requests)."""
    return str(
        segno.make(uri, error="m").svg_inline(scale=5, border=2, title="QR code", omitsize=True)
    )


@router.get(SETTINGS + "/app")
async def app_form(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    deps = web_of(request).deps
    try:
        enrolment = await two_step.start_app(deps, me)
    except Forbidden:
        return page(request, "reauth.html", me=me, back=request.url.path)
    except EntrywayError as exc:
        return await _settings_page(request, me, problem=exc.message)
    return page(request, "two_step_app.html", me=me, enrolment=enrolment, qr=_qr_svg(enrolment.uri))


@router.post(SETTINGS + "/app")
async def app_submit(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    form = await form_of(request)
    deps = web_of(request).deps
    try:
        fresh = await two_step.confirm_app(
            deps, me, text(form, "factor_id"), text(form, "code"), who(request)
        )
    except Forbidden:
        return page(request, "reauth.html", me=me, back=SETTINGS)
    except EntrywayError as exc:
        return page(
            request,
            "two_step_app.html",
            me=me,
            errors={"code": exc.message},
            enrolment=two_step.AppEnrolment(
                text(form, "factor_id"), text(form, "key"), text(form, "uri")
            ),
            qr=_qr_svg(text(form, "uri")),
            status=422,
        )
    if fresh:
        return page(request, "two_step_codes.html", me=me, codes=fresh, first=True)
    return redirect(SETTINGS + "?done=app")


@router.post(SETTINGS + "/app/{factor_id}/remove")
async def app_remove(
    request: Request, factor_id: str, me: Current = Depends(signed_in_page)
) -> Response:
    await form_of(request)
    try:
        await two_step.remove_app(web_of(request).deps, me, factor_id, who(request))
    except Forbidden:
        return page(request, "reauth.html", me=me, back=SETTINGS)
    return redirect(SETTINGS + "?done=removed")


@router.post(SETTINGS + "/backup-codes")
async def backup_codes(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    await form_of(request)
    try:
        fresh = await two_step.new_backup_codes(web_of(request).deps, me, who(request))
    except Forbidden:
        return page(request, "reauth.html", me=me, back=SETTINGS)
    return page(request, "two_step_codes.html", me=me, codes=fresh, first=False)


@router.post(SETTINGS + "/backup-codes.txt")
async def backup_codes_file(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    """The codes just shown, as a text file: they come from the form, never from storage."""
    form = await form_of(request)
    site = site_of(request)
    codes = [c for c in form.getlist("codes") if isinstance(c, str)][:10]
    body = (
        f"{site.brand} {site.name} backup codes for {me.account.email or me.account.phone}\n"
        "Each code works once. Keep them somewhere safe.\n\n" + "\n".join(codes) + "\n"
    )
    return PlainTextResponse(
        body,
        headers={
            "content-disposition": 'attachment; filename="backup-codes.txt"',
            "cache-control": "no-store",
        },
    )


@router.get(SETTINGS + "/phone")
async def phone_form(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    try:
        two_step.require_recent(web_of(request).deps, me)
    except Forbidden:
        return page(request, "reauth.html", me=me, back=request.url.path)
    return page(request, "two_step_phone.html", me=me, value=me.account.phone or "")


@router.post(SETTINGS + "/phone")
async def phone_submit(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    form = await form_of(request)
    try:
        token, sent_to = await two_step.start_phone(
            web_of(request).deps,
            me,
            text(form, "identifier"),
            text(form, "channel") or "sms",
            who(request),
        )
    except Forbidden:
        return page(request, "reauth.html", me=me, back=SETTINGS + "/phone")
    except EntrywayError as exc:
        return page(
            request,
            "two_step_phone.html",
            me=me,
            value=text(form, "identifier"),
            errors={exc.field or "identifier": exc.message},
            status=422,
        )
    response = page(
        request,
        "two_step_phone_code.html",
        me=me,
        sent_to=sent_to,
        channel=text(form, "channel") or "sms",
    )
    set_cookie(response, site_of(request), FLOW, token, max_age=1800)
    return response


@router.post(SETTINGS + "/phone/verify")
async def phone_verify(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    form = await form_of(request)
    site = site_of(request)
    try:
        fresh = await two_step.confirm_phone(
            web_of(request).deps,
            me,
            request.cookies.get(cookie_name(site, FLOW), ""),
            text(form, "code"),
            who(request),
        )
    except Forbidden:
        return page(request, "reauth.html", me=me, back=SETTINGS)
    except FlowExpired:
        return redirect(SETTINGS + "/phone")
    except EntrywayError as exc:
        return page(
            request,
            "two_step_phone_code.html",
            me=me,
            sent_to=text(form, "sent_to"),
            channel=text(form, "channel"),
            errors={"code": exc.message},
            status=422,
        )
    response = (
        page(request, "two_step_codes.html", me=me, codes=fresh, first=True)
        if fresh
        else redirect(SETTINGS + "?done=phone")
    )
    clear_cookie(response, site, FLOW)
    return response


@router.post(SETTINGS + "/preferred/{factor_id}")
async def preferred(
    request: Request, factor_id: str, me: Current = Depends(signed_in_page)
) -> Response:
    await form_of(request)
    try:
        await two_step.set_preferred(web_of(request).deps, me, factor_id, who(request))
    except Forbidden:
        return page(request, "reauth.html", me=me, back=SETTINGS)
    except EntrywayError:
        pass  # removed in the meantime: the settings page shows what is left
    return redirect(SETTINGS)


@router.post(SETTINGS + "/off")
async def off(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    await form_of(request)
    try:
        await two_step.turn_off(web_of(request).deps, me, who(request))
    except Forbidden:
        return page(request, "reauth.html", me=me, back=SETTINGS)
    return redirect(SETTINGS + "?done=off")


@router.post("/account/browsers/{public_id}/forget")
async def forget_browser(
    request: Request, public_id: str, me: Current = Depends(signed_in_page)
) -> Response:
    await form_of(request)
    await two_step.forget_browser(web_of(request).deps, me, public_id, who(request))
    return redirect("/account?done=browser")


@router.post("/account/browsers/forget-all")
async def forget_all_browsers(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    await form_of(request)
    await two_step.forget_browser(web_of(request).deps, me, None, who(request))
    return redirect("/account?done=browser")
