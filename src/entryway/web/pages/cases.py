"""Ask us and the customer's side of a case: the form, the case number, the case page.

The case page is reached two ways: by the **View your case** link of our messages (its
token is swapped for a cookie at once, SECURITY.md 15) or, signed in, from **Your support
cases** on Login & security. Both run the same flows in ``flows.support``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from babel.numbers import format_decimal
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from entryway.core.cases import CUSTOMER_TOPICS, MAX_MESSAGE, TOPIC_LABELS
from entryway.core.locales import N_, babel_name
from entryway.errors import EntrywayError, FlowExpired, NotFound, Unauthenticated
from entryway.flows.signin import second_step
from entryway.flows.support import cases as support
from entryway.flows.support import verify
from entryway.flows.support.cases import Access, ViaLink, ViaSession
from entryway.web import once
from entryway.web.i18n import gettext_for, locale_of, said
from entryway.web.render import (
    CSRF,
    PARTIAL,
    SESSION,
    form_of,
    me_or_none,
    page,
    redirect,
    signed_in_page,
    text,
    web_of,
    who,
)
from entryway.web.security import clear_cookie, cookie_name, set_cookie, site_of

router = APIRouter(include_in_schema=False)

ASK = "/help/ask"
SENT = "/help/ask/sent"
CASE = "/cases/view"
CASE_COOKIE = "ew_case"
CASE_COOKIE_AGE = 7 * 24 * 3600  # the link itself is checked on every visit
RESET_COOKIE = "ew_reset"  # the Forgot your password? journey's flow cookie (pages/reset.py)
TOPICS = [(t.value, TOPIC_LABELS[t]) for t in CUSTOMER_TOPICS]  # translated by ask.html
NOTICES = {
    "sent": N_("Your reply was sent. We'll answer by email or text message."),
    "verified": N_("Thank you: that's the right code. The agent can see you confirmed it."),
}


def shown_number(request: Request, value: int) -> str:
    """A count as the request's language writes it (4,000; 4 000)."""
    return format_decimal(value, locale=babel_name(locale_of(request)))


def _ask_page(request: Request, **ctx: Any) -> Response:
    return page(
        request,
        "ask.html",
        topics=TOPICS,
        max_message=MAX_MESSAGE,
        max_message_shown=shown_number(request, MAX_MESSAGE),
        **ctx,
    )


def _digest(value: str | None) -> str:
    return hashlib.sha256(value.encode()).hexdigest() if value else ""


def _session(request: Request) -> str | None:
    return request.cookies.get(cookie_name(site_of(request), SESSION))


def _binding(request: Request) -> str:
    """What ties a handed-over case number to this browser: its session, else its CSRF
    cookie (a signed-out visitor has nothing else)."""
    site = site_of(request)
    return _digest(_session(request) or request.cookies.get(cookie_name(site, CSRF)))


@router.get(ASK)
async def ask_form(request: Request) -> Response:
    me = await me_or_none(request)
    if me is None and await _partial(request):
        # Password passed, second step pending: that case knows the account already.
        return redirect("/signin/two-step/help")
    # A page may send the customer here with the topic chosen (?topic=reopen).
    topic = request.query_params.get("topic", "")
    chosen = {"topic": topic} if topic in {value for value, _ in TOPICS} else {}
    return _ask_page(request, me=me, values=chosen)


async def _partial(request: Request) -> bool:
    site = site_of(request)
    token = request.cookies.get(cookie_name(site, PARTIAL))
    if not token:
        return False
    try:
        await second_step.pending(web_of(request).deps, site.code, token)
    except Unauthenticated:
        return False
    return True


@router.post(ASK)
async def ask_submit(request: Request) -> Response:
    form = await form_of(request)
    deps = web_of(request).deps
    site = site_of(request)
    me = await me_or_none(request)
    values = {k: text(form, k) for k in ("name", "contact", "topic", "message")}
    try:
        if me is not None:
            number = await support.open_signed_in(
                deps, site.code, _session(request), values["topic"], values["message"], who(request)
            )
        else:
            number = await support.open_signed_out(
                deps,
                site.code,
                values["name"],
                values["contact"],
                values["topic"],
                values["message"],
                who(request),
            )
    except EntrywayError as exc:
        if exc.field is None:
            raise
        return _ask_page(
            request, me=me, values=values, errors={exc.field: said(request, exc)}, status=422
        )
    response = redirect(SENT)  # a reload must not open a second case
    once.hand_over(request, response, "asked", _binding(request), {"number": number})
    return response


@router.get(SENT)
async def ask_sent(request: Request) -> Response:
    shown = once.take(request, "asked", _binding(request))
    number = shown.get("number") if shown else None
    if not isinstance(number, str):
        return redirect(ASK)
    response = page(request, "ask_sent.html", number=number)
    once.used(request, response)
    return response


@router.get("/cases/open/{token}")
async def open_link(token: str, request: Request) -> Response:
    """The link's landing: keep the token in a cookie and go to a token-free address. It is
    not used up (a case link lasts while the case is open); the case page checks it."""
    response = redirect(CASE)
    set_cookie(response, site_of(request), CASE_COOKIE, token[:200], max_age=CASE_COOKIE_AGE)
    response.headers["cache-control"] = "no-store"  # no-referrer is on every answer
    return response


def _link(request: Request) -> ViaLink:
    return ViaLink(request.cookies.get(cookie_name(site_of(request), CASE_COOKIE), ""))


async def _show(
    request: Request, access: Access, base: str, *, status: int = 200, **extra: Any
) -> Response:
    deps = web_of(request).deps
    site = site_of(request)
    try:
        case = await support.view(deps, site.code, access)
    except FlowExpired as exc:
        return page(request, "case_closed.html", message=said(request, exc), status=410)
    except NotFound:
        return page(request, "case_missing.html", status=404)
    notice = NOTICES.get(request.query_params.get("done", ""))
    if notice is not None:
        notice = gettext_for(request)(notice)
    return page(
        request,
        "case.html",
        case=case,
        base=base,
        notice=notice,
        max_message=MAX_MESSAGE,
        status=status,
        **extra,
    )


@router.get(CASE)
async def case_page(request: Request) -> Response:
    return await _show(request, _link(request), CASE)


async def _act(request: Request, access: Access, base: str, action: str) -> Response:
    """Your reply, a Verify it's you code, or picking up a reset: one form handler."""
    form = await form_of(request)
    deps = web_of(request).deps
    site = site_of(request)
    try:
        if action == "reply":
            await support.reply_as_customer(
                deps, site.code, access, text(form, "reply"), who(request)
            )
            return redirect(base + "?done=sent")
        if action == "verify":
            await verify.enter_verification_code(
                deps, site.code, access, text(form, "code"), who(request)
            )
            return redirect(base + "?done=verified")
        token = await verify.reset_flow_for(deps, site.code, access)
    except EntrywayError as exc:
        if isinstance(exc, FlowExpired | NotFound) or exc.field is None:
            return await _show(request, access, base, status=exc.status, error=said(request, exc))
        return await _show(
            request,
            access,
            base,
            status=exc.status,
            errors={exc.field: said(request, exc)},
            values={exc.field: text(form, exc.field) if exc.field != "code" else ""},
        )
    response = redirect("/password/forgot/code")
    set_cookie(response, site, RESET_COOKIE, token)
    return response


@router.post(CASE + "/{action}")
async def case_action(action: str, request: Request) -> Response:
    if action not in ("reply", "verify", "reset"):
        raise NotFound("We couldn't find that page.")
    return await _act(request, _link(request), CASE, action)


@router.post("/cases/forget")
async def forget_link(request: Request) -> Response:
    """Done with the case on a shared computer: this browser forgets the link."""
    await form_of(request)
    response = redirect("/")
    clear_cookie(response, site_of(request), CASE_COOKIE)
    return response


@router.get("/account/cases")
async def my_cases(request: Request) -> Response:
    me = await signed_in_page(request)
    deps = web_of(request).deps
    found = await support.cases_of_account(deps, site_of(request).code, _session(request))
    return page(request, "my_cases.html", me=me, cases=found)


@router.get("/account/cases/{number}")
async def my_case(number: str, request: Request) -> Response:
    await signed_in_page(request)
    base = f"/account/cases/{number}"
    return await _show(request, ViaSession(_session(request) or "", number), base)


@router.post("/account/cases/{number}/{action}")
async def my_case_action(number: str, action: str, request: Request) -> Response:
    await signed_in_page(request)
    if action not in ("reply", "verify", "reset"):
        raise NotFound("We couldn't find that page.")
    base = f"/account/cases/{number}"
    return await _act(request, ViaSession(_session(request) or "", number), base, action)
