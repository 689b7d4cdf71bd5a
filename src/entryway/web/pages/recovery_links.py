"""The two emailed links of a pending recovery: **This wasn't me** (to the old contacts) and
**Finish recovering your account** (to the new one).

Each link's landing GET only swaps its token for a flow in a cookie and redirects to a
token-free page, with ``Cache-Control: no-store`` (``Referrer-Policy: no-referrer`` is on
every answer): a mail scanner that opens the link spends nothing, and the token never sits
in history, a cache or a Referer (SECURITY.md 15). The button on that page is what acts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from entryway.errors import ContactTaken, EntrywayError, FlowExpired
from entryway.flows.recovery import finish, pending
from entryway.web import once
from entryway.web.i18n import said
from entryway.web.pages import suspension
from entryway.web.render import CSRF, form_of, page, redirect, text, web_of, who
from entryway.web.security import clear_cookie, cookie_name, set_cookie, site_of

router = APIRouter(include_in_schema=False)
COOKIE_AGE = 1800  # seconds: long enough to read the page; the flow decides when it ends
FINISHED = "recovery_finished"  # the once.py kind: which contact the done page names


@dataclass(frozen=True, slots=True)
class Link:
    """One emailed link: where it lands, its page, its ending and its dead end."""

    cookie: str
    landing: str
    step: str
    done: str
    expired: str


CANCEL = Link(
    cookie="ew_rcancel",
    landing="/recovery/cancel",
    step="/recovery/cancel/confirm",
    done="/recovery/cancel/done",
    expired="/recovery/cancel/expired",
)
FINISH = Link(
    cookie="ew_rfinish",
    landing="/recovery/finish",
    step="/recovery/finish/password",
    done="/recovery/finish/done",
    expired="/recovery/finish/expired",
)


def _no_store(response: Response) -> Response:
    response.headers["cache-control"] = "no-store"  # the request carried a token
    return response


def _flow(request: Request, link: Link) -> str:
    return request.cookies.get(cookie_name(site_of(request), link.cookie), "")


def _finished(request: Request, link: Link) -> Response:
    response = redirect(link.done)
    clear_cookie(response, site_of(request), link.cookie)
    return response


@router.get(CANCEL.landing)
async def cancel_link(request: Request, token: str = "") -> Response:
    """This wasn't me: the token becomes a flow; nothing is cancelled until the button."""
    site = site_of(request)
    try:
        flow = await pending.open_cancel_link(web_of(request).deps, site.code, token, who(request))
    except FlowExpired:
        return _no_store(redirect(CANCEL.expired))
    response = _no_store(redirect(CANCEL.step))
    set_cookie(response, site, CANCEL.cookie, flow, max_age=COOKIE_AGE)
    return response


@router.get(CANCEL.step)
async def cancel_form(request: Request) -> Response:
    if not _flow(request, CANCEL):
        return redirect(CANCEL.expired)
    return page(request, "recovery_cancel.html", link=CANCEL)


@router.post(CANCEL.step)
async def cancel_submit(request: Request) -> Response:
    await form_of(request)
    try:
        await pending.cancel(
            web_of(request).deps,
            site_of(request).code,
            flow_token=_flow(request, CANCEL),
            who=who(request),
        )
    except FlowExpired:
        return redirect(CANCEL.expired)
    return _finished(request, CANCEL)


@router.get(CANCEL.done)
async def cancel_done(request: Request) -> Response:
    return page(request, "recovery_cancel_done.html")


@router.get(FINISH.landing)
async def finish_link(request: Request, token: str = "") -> Response:
    """Finish recovering your account: the token becomes a flow; the password form uses
    the link up, once."""
    site = site_of(request)
    try:
        flow = await finish.open_link(web_of(request).deps, site.code, token, who(request))
    except FlowExpired:
        return _no_store(redirect(FINISH.expired))
    response = _no_store(redirect(FINISH.step))
    set_cookie(response, site, FINISH.cookie, flow, max_age=COOKIE_AGE)
    return response


async def _finishing(request: Request) -> finish.Finishing | None:
    try:
        return await finish.status(
            web_of(request).deps, site_of(request).code, _flow(request, FINISH)
        )
    except FlowExpired:
        return None


@router.get(FINISH.step)
async def finish_form(request: Request) -> Response:
    """Create new password, naming the new contact that will replace the lost ones."""
    finishing = await _finishing(request)
    if finishing is None:
        return redirect(FINISH.expired)
    return page(request, "recovery_finish.html", link=FINISH, finishing=finishing)


@router.post(FINISH.step)
async def finish_submit(request: Request) -> Response:
    form = await form_of(request)
    finishing = await _finishing(request)  # read before the flow ends, for the done page
    try:
        notice_token = await finish.complete(
            web_of(request).deps,
            site_of(request).code,
            flow_token=_flow(request, FINISH),
            password=text(form, "password"),
            password_again=text(form, "password_again"),
            who=who(request),
        )
    except FlowExpired:
        return redirect(FINISH.expired)
    except ContactTaken as exc:  # not about the password: said above the form
        return await _finish_again(request, status=exc.status, problem=said(request, exc))
    except EntrywayError as exc:  # the password refused: said beside its field
        errors = {exc.field or "password": said(request, exc)}
        return await _finish_again(request, status=422, errors=errors)
    if notice_token:  # recovered, but suspended: the notice, not the sign-in page
        response = suspension.to_notice(request, notice_token)
        clear_cookie(response, site_of(request), FINISH.cookie)
        return response
    response = _finished(request, FINISH)
    binding = request.cookies.get(cookie_name(site_of(request), CSRF), "")
    if binding and finishing is not None:  # the done page names the contact to sign in with
        shown = {"new_contact": finishing.new_contact, "new_kind": finishing.new_kind}
        once.hand_over(request, response, FINISHED, binding, shown)
    return response


async def _finish_again(request: Request, *, status: int, **ctx: Any) -> Response:
    finishing = await _finishing(request)
    if finishing is None:
        return redirect(FINISH.expired)
    return page(
        request, "recovery_finish.html", link=FINISH, finishing=finishing, status=status, **ctx
    )


@router.get(FINISH.done)
async def finish_done(request: Request) -> Response:
    """Recovered: sign in with the new password (never signed in here); names the new
    contact when this browser just finished (a reload or another browser gets the words
    without it)."""
    binding = request.cookies.get(cookie_name(site_of(request), CSRF), "")
    handed = once.take(request, FINISHED, binding) or {}
    contact, kind = handed.get("new_contact"), handed.get("new_kind")
    response = page(
        request,
        "recovery_finish_done.html",
        new_contact=contact if isinstance(contact, str) else "",
        new_kind=kind if kind in ("email", "phone") else "",
    )
    if handed:
        once.used(request, response)
    return response


@router.get(CANCEL.expired)
async def cancel_expired(request: Request) -> Response:
    return page(request, "recovery_link_expired.html", kind="cancel", status=410)


@router.get(FINISH.expired)
async def finish_expired(request: Request) -> Response:
    return page(request, "recovery_link_expired.html", kind="finish", status=410)
