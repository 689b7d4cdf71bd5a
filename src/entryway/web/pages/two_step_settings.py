"""Two-step verification settings: adding and removing methods, backup codes, turning off."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from entryway.core.events import FlowPurpose
from entryway.core.locales import N_
from entryway.errors import EntrywayError, FlowExpired, Forbidden
from entryway.flows import codes
from entryway.flows.account import two_step
from entryway.flows.account.account import Current
from entryway.web import once
from entryway.web.i18n import gettext_for, said
from entryway.web.render import (
    FLOW,
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
SETTINGS = "/account/two-step"
CODES = SETTINGS + "/backup-codes"
# The names flows give new methods ("Authenticator app 2", "Phone ••• 1234") are stored in
# English; the settings page shows them in the reader's language.
APP_LABEL = N_("Authenticator app")
APP_LABEL_N = N_("Authenticator app %(number)s")
PHONE_LABEL = N_("Phone %(masked)s")
_APP_N = re.compile(r"Authenticator app (\d+)")
CODES_FILE_TITLE = N_("%(brand)s %(site)s backup codes for %(account)s")
CODES_FILE_NOTE = N_("Each code works once. Keep them somewhere safe.")
QR_TITLE = N_("QR code")


def method_label(label: str, gettext: Callable[[str], str]) -> str:
    """A method's stored name in the reader's language; a name of another shape as it is."""
    if label == "Authenticator app":
        return gettext(APP_LABEL)
    numbered = _APP_N.fullmatch(label)
    if numbered:
        return gettext(APP_LABEL_N) % {"number": numbered.group(1)}
    if label.startswith("Phone "):
        return gettext(PHONE_LABEL) % {"masked": label.removeprefix("Phone ")}
    return label


async def _settings_page(request: Request, me: Current, **extra: Any) -> Response:
    deps = web_of(request).deps
    try:
        two_step.require_recent(deps, me)
    except Forbidden:
        return page(request, "reauth.html", me=me, back=request.url.path, **extra)
    info = await two_step.overview(deps, me)
    gettext = gettext_for(request)
    return page(
        request,
        "two_step_settings.html",
        me=me,
        info=info,
        labels={m.id: method_label(m.label, gettext) for m in info.methods},
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
            request,
            "reauth.html",
            me=me,
            back=back,
            errors={"password": said(request, exc)},
            status=422,
        )
    return redirect(back)


def _qr_svg(uri: str, title: str = QR_TITLE) -> str:
    """The otpauth URI as an inline SVG QR code (no JavaScript, no external requests)."""
    return str(segno.make(uri, error="m").svg_inline(scale=5, border=2, title=title, omitsize=True))


@router.get(SETTINGS + "/app")
async def app_form(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    deps = web_of(request).deps
    try:
        enrolment = await two_step.start_app(deps, me)
    except Forbidden:
        return page(request, "reauth.html", me=me, back=request.url.path)
    except EntrywayError as exc:
        return await _settings_page(request, me, problem=said(request, exc))
    qr = _qr_svg(enrolment.uri, gettext_for(request)(QR_TITLE))
    return page(request, "two_step_app.html", me=me, enrolment=enrolment, qr=qr)


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
            errors={"code": said(request, exc)},
            enrolment=two_step.AppEnrolment(
                text(form, "factor_id"), text(form, "key"), text(form, "uri")
            ),
            qr=_qr_svg(text(form, "uri"), gettext_for(request)(QR_TITLE)),
            status=422,
        )
    if fresh:
        return _show_codes(request, me, fresh, first=True)
    return redirect(SETTINGS + "?done=app")


def _show_codes(request: Request, me: Current, fresh: list[str], *, first: bool) -> Response:
    """Redirect to the one showing of new backup codes (a reload makes no new set)."""
    response = redirect(CODES)
    once.hand_over(
        request, response, "backup_codes", me.session.public_id, {"codes": fresh, "first": first}
    )
    return response


@router.get(CODES)
async def backup_codes_page(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    """New backup codes, shown once: afterwards this address leads back to the settings."""
    shown = once.take(request, "backup_codes", me.session.public_id)
    fresh = shown.get("codes") if shown else None
    if not shown or not isinstance(fresh, list) or not all(isinstance(c, str) for c in fresh):
        return redirect(SETTINGS)
    response = page(
        request, "two_step_codes.html", me=me, codes=fresh, first=shown.get("first") is True
    )
    once.used(request, response)
    return response


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


@router.post(CODES)
async def backup_codes(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    await form_of(request)
    try:
        fresh = await two_step.new_backup_codes(web_of(request).deps, me, who(request))
    except Forbidden:
        return page(request, "reauth.html", me=me, back=SETTINGS)
    return _show_codes(request, me, fresh, first=False)


@router.post(SETTINGS + "/backup-codes.txt")
async def backup_codes_file(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    """The codes just shown, as a text file: they come from the form, never from storage."""
    form = await form_of(request)
    site = site_of(request)
    kept = [c for c in form.getlist("codes") if isinstance(c, str)][:10]
    gettext = gettext_for(request)
    title = gettext(CODES_FILE_TITLE) % {
        "brand": site.brand,
        "site": site.name,
        "account": me.account.email or me.account.phone,
    }
    body = f"{title}\n{gettext(CODES_FILE_NOTE)}\n\n" + "\n".join(kept) + "\n"
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
        token, _ = await two_step.start_phone(
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
            errors={exc.field or "identifier": said(request, exc)},
            status=422,
        )
    # Redirected, so that a reload of the code page does not text or call again.
    channel = "voice" if text(form, "channel") == "voice" else "sms"
    response = redirect(SETTINGS + "/phone/verify?" + urlencode({"channel": channel}))
    set_cookie(response, site_of(request), FLOW, token, max_age=1800)
    return response


@router.get(SETTINGS + "/phone/verify")
async def phone_code_form(
    request: Request, channel: str = "sms", me: Current = Depends(signed_in_page)
) -> Response:
    site = site_of(request)
    try:
        sent_to = await codes.describe(
            web_of(request).deps,
            site.code,
            request.cookies.get(cookie_name(site, FLOW), ""),
            FlowPurpose.TWO_STEP_PHONE,
        )
    except FlowExpired:
        return redirect(SETTINGS + "/phone")
    return page(
        request,
        "two_step_phone_code.html",
        me=me,
        sent_to=sent_to,
        channel="voice" if channel == "voice" else "sms",
    )


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
            errors={"code": said(request, exc)},
            status=422,
        )
    response = (
        _show_codes(request, me, fresh, first=True) if fresh else redirect(SETTINGS + "?done=phone")
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
