"""The identity check's pages, for a customer who lost both the email and the phone on the
account: Verify your identity, Confirm a recent order, New email or mobile phone number,
Enter OTP, then Recovery requested.

Every identifier walks the same pages in the same order, whatever is behind it (an unknown
one gets decoy questions from the flow): nothing here branches on what the flow found, and
every outcome ends on the one Recovery requested page (SECURITY.md 17). The flow token lives
in a cookie, so no address carries it. The emailed links of a pending recovery have their
pages in ``recovery_links.py``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from entryway.core.locales import N_
from entryway.core.questions import ANSWER_COUNT
from entryway.errors import EntrywayError, FlowExpired
from entryway.flows.recovery import identity_check
from entryway.flows.recovery.identity_check import CheckStep
from entryway.web import once
from entryway.web.i18n import gettext_for, said
from entryway.web.render import CSRF, IDENT, form_of, page, redirect, text, web_of, who
from entryway.web.security import (
    clear_cookie,
    cookie_name,
    set_cookie,
    site_of,
    unsign_value,
)

router = APIRouter(include_in_schema=False)

COOKIE = "ew_recovery"
COOKIE_AGE = 1800  # seconds: about the flow's own life; the flow decides when it ends
START = "/recovery"
REQUESTED = "/recovery/requested"
URLS = {
    "questions": "/recovery/questions",
    "order": "/recovery/order",
    "contact": "/recovery/contact",
    "code": "/recovery/code",
    "done": REQUESTED,
}
EXPIRED = START + "?expired=1"
HANDED = "recovery_requested"  # the once.py kind: where the Recovery requested page says we write
TOO_LONG = N_("That took too long, so we stopped. Please start again.")
RESENT = N_("We sent a new OTP to {sent_to}.")


def _token(request: Request) -> str:
    return request.cookies.get(cookie_name(site_of(request), COOKIE), "")


def _to_step(step: CheckStep) -> Response:
    return redirect(URLS.get(step.stage, START))


async def _step(request: Request) -> CheckStep | None:
    """Where this browser's check stands, or None when it has none (or it ended)."""
    try:
        return await identity_check.status(
            web_of(request).deps, site_of(request).code, _token(request)
        )
    except FlowExpired:
        return None


def _remembered(request: Request) -> str:
    """The identifier this browser typed last (at sign-in or Forgot your password?)."""
    site = site_of(request)
    found = unsign_value(
        web_of(request).config, site, IDENT, request.cookies.get(cookie_name(site, IDENT))
    )
    return found or ""


def _status_of(exc: EntrywayError) -> int:
    """Too many checks is 429 like every quota; anything else wrong with a field is 422."""
    return 429 if exc.status == 429 else 422


async def _start(request: Request, identifier: str) -> Response:
    """Begin a check for ``identifier``: the flow cookie, then its first page."""
    site = site_of(request)
    try:
        step = await identity_check.start(
            web_of(request).deps, site.code, identifier=identifier, who=who(request)
        )
    except EntrywayError as exc:
        return page(
            request,
            "recovery_start.html",
            identifier=identifier,
            errors={"identifier": said(request, exc)},
            status=_status_of(exc),
        )
    response = _to_step(step)
    set_cookie(response, site, COOKIE, step.flow_token, max_age=COOKIE_AGE)
    return response


@router.get(START)
async def start_form(request: Request, expired: str = "", start: str = "") -> Response:
    """The start for someone who comes from help; from a reset's **I no longer have access
    to this phone number/email** link (``?start=reset``) the check opens at once for the
    identifier that reset was for, which this browser still holds."""
    remembered = _remembered(request)
    if start == "reset" and remembered:
        return await _start(request, remembered)
    notice = gettext_for(request)(TOO_LONG) if expired else None
    return page(request, "recovery_start.html", identifier=remembered, notice=notice)


@router.post(START)
async def start_submit(request: Request) -> Response:
    form = await form_of(request)
    return await _start(request, text(form, "identifier").strip())


def _ask(request: Request, step: CheckStep, name: str, **ctx: Any) -> Response:
    # The shipped questions are in the catalog; a store's own read as it wrote them.
    gettext = gettext_for(request)
    asked = [gettext(q.text) if q.text else "" for q in step.questions]
    return page(request, name, step=step, urls=URLS, asked=asked, **ctx)


async def _shown(request: Request, stage: str, name: str, **ctx: Any) -> Response:
    """The page of ``stage``, or a redirect to the page the check is really at."""
    step = await _step(request)
    if step is None:
        return redirect(EXPIRED)
    if step.stage != stage:
        return _to_step(step)
    return _ask(request, step, name, **ctx)


async def _refused(
    request: Request, stage: str, name: str, exc: EntrywayError, field: str, **ctx: Any
) -> Response:
    """A step's own page again, with the error beside its field (or the start again if the
    flow ended meanwhile)."""
    step = await _step(request)
    if step is None or step.stage != stage:
        return redirect(EXPIRED) if step is None else _to_step(step)
    return _ask(
        request, step, name, errors={field: said(request, exc)}, status=_status_of(exc), **ctx
    )


@router.get(URLS["questions"])
async def questions_form(request: Request) -> Response:
    return await _shown(request, "questions", "recovery_questions.html")


@router.post(URLS["questions"])
async def questions_submit(request: Request) -> Response:
    form = await form_of(request)
    typed = [text(form, f"answer_{n}") for n in range(1, ANSWER_COUNT + 1)]
    try:
        step = await identity_check.answer_questions(
            web_of(request).deps,
            site_of(request).code,
            flow_token=_token(request),
            answers=typed,
            who=who(request),
        )
    except FlowExpired:
        return redirect(EXPIRED)
    except EntrywayError as exc:  # a blank answer, or too soon after failures: never wrong
        blank = [n for n, a in enumerate(typed, 1) if not a.strip()]
        field = f"answer_{blank[0] if blank else 1}"
        return await _refused(request, "questions", "recovery_questions.html", exc, field)
    return _to_step(step)


@router.get(URLS["order"])
async def order_form(request: Request) -> Response:
    return await _shown(request, "order", "recovery_order.html", typed={})


@router.post(URLS["order"])
async def order_submit(request: Request) -> Response:
    form = await form_of(request)
    typed = {"order_number": text(form, "order_number"), "order_total": text(form, "order_total")}
    try:
        step = await identity_check.confirm_order(
            web_of(request).deps,
            site_of(request).code,
            flow_token=_token(request),
            order_number=typed["order_number"],
            order_total=typed["order_total"],
            who=who(request),
        )
    except FlowExpired:
        return redirect(EXPIRED)
    except EntrywayError as exc:  # a blank number or a total that is no amount of money
        field = exc.field if exc.field in typed else "order_number"
        return await _refused(request, "order", "recovery_order.html", exc, field, typed=typed)
    return _to_step(step)


@router.get(URLS["contact"])
async def contact_form(request: Request) -> Response:
    return await _shown(request, "contact", "recovery_contact.html", contact="")


@router.post(URLS["contact"])
async def contact_submit(request: Request) -> Response:
    form = await form_of(request)
    contact = text(form, "contact").strip()
    try:
        step = await identity_check.new_contact(
            web_of(request).deps,
            site_of(request).code,
            flow_token=_token(request),
            contact=contact,
            who=who(request),
        )
    except FlowExpired:
        return redirect(EXPIRED)
    except EntrywayError as exc:
        return await _refused(
            request, "contact", "recovery_contact.html", exc, "contact", contact=contact
        )
    return _to_step(step)


@router.get(URLS["code"])
async def code_form(request: Request, resent: str = "") -> Response:
    step = await _step(request)
    if step is None:
        return redirect(EXPIRED)
    if step.stage != "code":
        return _to_step(step)
    notice = gettext_for(request)(RESENT).format(sent_to=step.sent_to) if resent else None
    return _ask(request, step, "recovery_code.html", notice=notice)


@router.post(URLS["code"])
async def code_submit(request: Request) -> Response:
    form = await form_of(request)
    deps, site = web_of(request).deps, site_of(request)
    token = _token(request)
    resend = text(form, "action") == "resend"
    try:
        if text(form, "action") == "change":
            await identity_check.change_contact(deps, site.code, flow_token=token)
            return redirect(URLS["contact"])
        if resend:
            await identity_check.resend(deps, site.code, flow_token=token, who=who(request))
            return redirect(URLS["code"] + "?resent=1")  # a reload sends nothing more
        step = await identity_check.status(deps, site.code, token)
        await identity_check.verify(
            deps, site.code, flow_token=token, code=text(form, "code"), who=who(request)
        )
    except FlowExpired:
        return redirect(EXPIRED)
    except EntrywayError as exc:
        if resend:  # about the resend, not about a typed code
            current = await _step(request)
            if current is None or current.stage != "code":
                return redirect(EXPIRED) if current is None else _to_step(current)
            return _ask(
                request, current, "recovery_code.html", resend_error=said(request, exc), status=429
            )
        return await _refused(request, "code", "recovery_code.html", exc, "code")
    response = redirect(REQUESTED)
    clear_cookie(response, site, COOKIE)
    binding = request.cookies.get(cookie_name(site, CSRF), "")
    if binding:  # the next page names the contact it proved (the customer's own, typed here)
        once.hand_over(request, response, HANDED, binding, {"sent_to": step.sent_to})
    return response


@router.get(REQUESTED)
async def requested(request: Request) -> Response:
    """The one ending of every check, whatever it found: we write to the new contact."""
    site = site_of(request)
    handed = once.take(request, HANDED, request.cookies.get(cookie_name(site, CSRF), ""))
    sent_to = handed.get("sent_to") if handed else None
    response = page(
        request, "recovery_requested.html", sent_to=sent_to if isinstance(sent_to, str) else ""
    )
    if handed is not None:
        once.used(request, response)
    return response
