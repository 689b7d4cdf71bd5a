"""The Login & security pages of a signed-in customer."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from entryway.core.events import FlowPurpose
from entryway.core.identifiers import IdentifierKind
from entryway.core.locales import N_
from entryway.errors import EntrywayError, FlowExpired, Forbidden, NotFound
from entryway.flows import codes, words
from entryway.flows.account import account as account_flow
from entryway.flows.account import data_export, questions, two_step
from entryway.flows.account.account import Current
from entryway.web.downloads import data_file
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
NOT_FOUND = "We couldn't find that page."

KINDS = {"email": IdentifierKind.EMAIL, "phone": IdentifierKind.PHONE}
SignedInPage = Annotated[Current, Depends(signed_in_page)]
# Whole sentences for each kind of contact, so that each language says them its own way.
VERIFY_HEADINGS = {
    "email": N_("Confirm your new email address"),
    "phone": N_("Confirm your new mobile phone number"),
}
VERIFY_BACK = {
    "email": N_("Wrong email address? Go back and correct it"),
    "phone": N_("Wrong mobile phone number? Go back and correct it"),
}


@router.get("/account")
async def overview(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    info = await account_flow.overview(web_of(request).deps, me)
    browsers = await two_step.remembered(web_of(request).deps, me)
    return page(
        request,
        "account.html",
        browsers=browsers,
        questions=await questions.current(web_of(request).deps, me),
        me=me,
        info=info,
        this_session=me.session.public_id,
        language=words.reader_locale(site_of(request), me.account),
        notice=request.query_params.get("done"),
    )


@router.get("/account/messages")
async def message_center(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    found = await account_flow.messages(web_of(request).deps, me, gettext_for(request))
    kept_days = web_of(request).deps.retention.message_days
    return page(request, "messages.html", me=me, messages=found, kept_days=kept_days)


@router.get("/account/data")
async def data_page(request: Request, me: SignedInPage) -> Response:
    return page(request, "account_data.html", me=me)


@router.post("/account/data")
async def data_download(request: Request, me: SignedInPage) -> Response:
    """The JSON file, once the password was given in the last ten minutes."""
    await form_of(request)
    try:
        document = await data_export.export(web_of(request).deps, me, who(request))
    except Forbidden:
        return page(request, "reauth.html", me=me, back="/account/data", changing="data")
    return data_file(document)


@router.get("/account/name")
async def name_form(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    return page(request, "edit_name.html", me=me, value=me.account.name)


@router.post("/account/name")
async def name_submit(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    form = await form_of(request)
    try:
        await account_flow.change_name(web_of(request).deps, me, text(form, "name"), who(request))
    except EntrywayError as exc:
        return page(
            request,
            "edit_name.html",
            me=me,
            value=text(form, "name"),
            errors={"name": said(request, exc)},
            status=422,
        )
    return redirect("/account?done=name")


@router.get("/account/password")
async def password_form(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    return page(request, "edit_password.html", me=me)


@router.post("/account/password")
async def password_submit(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    form = await form_of(request)
    try:
        await account_flow.change_password(
            web_of(request).deps,
            me,
            current_password=text(form, "current_password"),
            new=text(form, "password"),
            new_again=text(form, "password_again"),
            who=who(request),
        )
    except EntrywayError as exc:
        return page(
            request,
            "edit_password.html",
            me=me,
            errors={exc.field or "password": said(request, exc)},
            status=422,
        )
    return redirect("/account?done=password")


@router.post("/account/sign-out-everywhere")
async def sign_out_everywhere(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    await form_of(request)
    await account_flow.end_all_sessions(web_of(request).deps, me, who(request))
    response = redirect("/signin?signed_out=everywhere")  # the page says it was done
    clear_cookie(response, site_of(request), SESSION)
    return response


async def contact_form(request: Request, kind: str, me: Current) -> Response:
    return page(request, "edit_contact.html", me=me, kind=kind, value="")


async def contact_submit(request: Request, kind: str, me: Current) -> Response:
    form = await form_of(request)
    try:
        started = await account_flow.start_contact_change(
            web_of(request).deps, me, KINDS[kind], text(form, "identifier"), who(request)
        )
    except EntrywayError as exc:
        return page(
            request,
            "edit_contact.html",
            me=me,
            kind=kind,
            value=text(form, "identifier"),
            errors={"identifier": said(request, exc)},
            status=422,
        )
    response = redirect(f"/account/{kind}/verify")
    set_cookie(response, site_of(request), FLOW, started.flow_token, max_age=1800)
    return response


def _purpose(kind: str) -> FlowPurpose:
    return FlowPurpose.CHANGE_EMAIL if kind == "email" else FlowPurpose.CHANGE_PHONE


def _contact_verify_page(
    request: Request, me: Current, kind: str, sent_to: str, *, status: int = 200, **extra: Any
) -> Response:
    return page(
        request,
        "verify.html",
        me=me,
        sent_to=sent_to,
        action=f"/account/{kind}/verify",
        heading=gettext_for(request)(VERIFY_HEADINGS[kind]),
        back=f"/account/{kind}",
        back_label=gettext_for(request)(VERIFY_BACK[kind]),
        status=status,
        **extra,
    )


async def contact_verify_form(request: Request, kind: str, resent: str, me: Current) -> Response:
    site = site_of(request)
    token = request.cookies.get(cookie_name(site, FLOW), "")
    try:
        sent_to = await codes.describe(web_of(request).deps, site.code, token, _purpose(kind))
    except FlowExpired:
        return redirect(f"/account/{kind}")
    notice = resent_notice(request, sent_to) if resent else None
    return _contact_verify_page(request, me, kind, sent_to, notice=notice)


async def contact_verify_submit(request: Request, kind: str, me: Current) -> Response:
    form = await form_of(request)
    site = site_of(request)
    deps = web_of(request).deps
    token = request.cookies.get(cookie_name(site, FLOW), "")
    try:
        if text(form, "action") == "resend":
            await codes.resend(deps, site.code, token, _purpose(kind), who(request))
            return redirect(f"/account/{kind}/verify?resent=1")  # a reload sends nothing
        added = await account_flow.confirm_contact_change(
            deps, me, KINDS[kind], token, text(form, "code"), who(request)
        )
    except FlowExpired:
        return redirect(f"/account/{kind}")
    except EntrywayError as exc:
        sent_to = await codes.describe(deps, site.code, token, _purpose(kind))
        return _contact_verify_page(
            request, me, kind, sent_to, errors={"code": said(request, exc)}, status=422
        )
    # The first of its kind was added, not changed: the notice says so (done=phone_added).
    response = redirect(f"/account?done={kind}_added" if added else f"/account?done={kind}")
    clear_cookie(response, site, FLOW)
    return response


@router.post("/account/devices/{public_id}/sign-out")
async def device_sign_out(
    request: Request, public_id: str, me: Current = Depends(signed_in_page)
) -> Response:
    await form_of(request)
    with contextlib.suppress(NotFound):  # already gone: the list on the next page says so
        await account_flow.end_session(web_of(request).deps, me, public_id, who(request))
    if public_id == me.session.public_id:
        response = redirect("/signin")
        clear_cookie(response, site_of(request), SESSION)
        return response
    return redirect("/account?done=device")


def _contact_routes(kind: str) -> None:
    """``/account/email`` and ``/account/phone`` (and their ``/verify``), each a path of its
    own, so no pattern catches every other ``/account/...`` address."""

    async def form(request: Request, me: SignedInPage) -> Response:
        return await contact_form(request, kind, me)

    async def submit(request: Request, me: SignedInPage) -> Response:
        return await contact_submit(request, kind, me)

    async def verify_form(request: Request, me: SignedInPage, resent: str = "") -> Response:
        return await contact_verify_form(request, kind, resent, me)

    async def verify_submit(request: Request, me: SignedInPage) -> Response:
        return await contact_verify_submit(request, kind, me)

    base = f"/account/{kind}"
    router.add_api_route(base, form, methods=["GET"], include_in_schema=False)
    router.add_api_route(base, submit, methods=["POST"], include_in_schema=False)
    router.add_api_route(base + "/verify", verify_form, methods=["GET"], include_in_schema=False)
    router.add_api_route(base + "/verify", verify_submit, methods=["POST"], include_in_schema=False)


for _kind in KINDS:
    _contact_routes(_kind)
