"""Password assistance and unlock pages: where to send the code, the code, a new password."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from entryway.core.events import FlowPurpose
from entryway.core.locales import N_
from entryway.errors import EntrywayError, FlowExpired, InvalidInput
from entryway.flows.recovery import password_reset, unlock
from entryway.flows.recovery.password_reset import Progress
from entryway.web.i18n import gettext_for, said
from entryway.web.pages import suspension
from entryway.web.pages.auth import resent_notice
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


@dataclass(frozen=True, slots=True)
class Journey:
    """The forgotten-password steps, as run by a reset or by an unlock."""

    purpose: FlowPurpose
    cookie: str
    heading: str  # marked for the catalog; pages show it translated
    restart: str  # where to go when the flow is gone
    urls: dict[str, str]  # stage -> page
    done: str  # where a finished journey lands (never signed in)

    def to_step(self, progress: Progress) -> Response:
        return redirect(self.urls[progress.stage])


RESET = Journey(
    purpose=FlowPurpose.PASSWORD_RESET,
    cookie="ew_reset",
    heading=N_("Password assistance"),
    restart="/password/forgot",
    urls={
        "choose": "/password/forgot/choose",
        "code": "/password/forgot/code",
        "verified": "/password/new",
    },
    done="/signin/password?reset=done",
)
UNLOCK = Journey(
    purpose=FlowPurpose.UNLOCK,
    cookie="ew_unlock",
    heading=N_("Unlock your account"),
    restart="/unlock/expired",
    urls={"choose": "/unlock/choose", "code": "/unlock/code", "verified": "/unlock/new"},
    done="/signin?unlocked=new",  # or the password step: see _unlock_ending
)


def _unlock_ending(request: Request, outcome: str) -> str:
    """Where a finished unlock lands: like a reset, at the password step with the identifier
    filled in, when this browser still has the one it was locked out with; opened elsewhere
    (the email read on another device) at the identifier step. Both show ``outcome``."""
    site = site_of(request)
    known = unsign_value(
        web_of(request).config, site, IDENT, request.cookies.get(cookie_name(site, IDENT))
    )
    return ("/signin/password" if known else "/signin") + "?unlocked=" + outcome


def _token(request: Request, journey: Journey) -> str:
    return request.cookies.get(cookie_name(site_of(request), journey.cookie), "")


async def _progress(request: Request, journey: Journey) -> Progress | None:
    try:
        return await password_reset.status(
            web_of(request).deps, site_of(request).code, _token(request, journey), journey.purpose
        )
    except FlowExpired:
        return None


# The link into the identity check (pages/recovery.py, for the identifier typed here) names
# the contacts the account has (PRODUCT.md 5 gives the label for both); a decoy flow names
# its own plausible set, so nothing is revealed.
NO_ACCESS = {
    ("email", "phone"): N_("I no longer have access to this phone number/email"),
    ("email",): N_("I no longer have access to this email"),
    ("phone",): N_("I no longer have access to this phone number"),
}


def no_access_label(progress: Progress) -> str:
    """The no-access link's label for what this account has on file."""
    return NO_ACCESS.get(progress.reach, NO_ACCESS[("email", "phone")])


def _page(request: Request, journey: Journey, name: str, **ctx: Any) -> Response:
    gettext = gettext_for(request)
    progress = ctx.get("progress")
    if isinstance(progress, Progress):
        ctx.setdefault("no_access", gettext(no_access_label(progress)))
    return page(request, name, journey=journey, heading=gettext(journey.heading), **ctx)


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
            errors={"identifier": said(request, exc)},
            status=422,
        )
    response = RESET.to_step(progress)
    set_cookie(response, site, RESET.cookie, progress.flow_token, max_age=1800)
    set_cookie(
        response,
        site,
        IDENT,
        sign_value(web_of(request).config, site, IDENT, raw.strip()),
        max_age=3600,
    )
    return response


@router.get("/unlock")
async def unlock_link(request: Request, token: str = "") -> Response:
    """The emailed link: the token becomes a flow in a cookie and the browser moves on to a
    token-free address; the link itself is used only when a contact is picked."""
    site = site_of(request)
    try:
        flow = await unlock.open_link(web_of(request).deps, site.code, token, who(request))
    except FlowExpired:
        refused = redirect(UNLOCK.restart)
        refused.headers["cache-control"] = "no-store"
        return refused
    response = redirect(UNLOCK.urls["choose"])
    response.headers["cache-control"] = "no-store"  # the request carried a token
    set_cookie(response, site, UNLOCK.cookie, flow, max_age=1800)
    return response


@router.get("/unlock/expired")
async def unlock_expired(request: Request) -> Response:
    return page(request, "unlock_expired.html", status=410)


def _journey_routes(journey: Journey) -> None:
    """The pick, code and new-password pages of one journey."""
    urls = journey.urls

    async def choose_form(request: Request) -> Response:
        progress = await _progress(request, journey)
        if progress is None:
            return redirect(journey.restart)
        if progress.stage != "choose":
            return journey.to_step(progress)
        return _page(request, journey, "reset_choose.html", progress=progress)

    async def choose_submit(request: Request) -> Response:
        form = await form_of(request)
        index, _, channel = text(form, "choice").partition(":")
        try:
            progress = await password_reset.choose(
                web_of(request).deps,
                site_of(request).code,
                flow_token=_token(request, journey),
                index=int(index) if index.isdigit() else -1,
                channel=channel,
                who=who(request),
                purpose=journey.purpose,
            )
        except FlowExpired:
            return redirect(journey.restart)
        except InvalidInput as exc:
            current = await _progress(request, journey)
            if current is None:
                return redirect(journey.restart)
            return _page(
                request,
                journey,
                "reset_choose.html",
                progress=current,
                errors={"choice": said(request, exc)},
                status=422,
            )
        except EntrywayError as exc:
            return page(request, "error.html", message=said(request, exc), status=429)
        return journey.to_step(progress)

    async def code_form(request: Request, resent: str = "") -> Response:
        progress = await _progress(request, journey)
        if progress is None:
            return redirect(journey.restart)
        if progress.stage != "code":
            return journey.to_step(progress)
        notice = resent_notice(request, progress.sent_to) if resent else None
        return _page(request, journey, "reset_code.html", progress=progress, notice=notice)

    async def code_submit(request: Request) -> Response:
        form = await form_of(request)
        deps = web_of(request).deps
        site = site_of(request)
        token = _token(request, journey)
        try:
            if text(form, "action") == "resend":
                await password_reset.resend(
                    deps, site.code, flow_token=token, who=who(request), purpose=journey.purpose
                )
                return redirect(urls["code"] + "?resent=1")  # a reload sends nothing more
            await password_reset.verify(
                deps,
                site.code,
                flow_token=token,
                code=text(form, "code"),
                purpose=journey.purpose,
            )
        except FlowExpired:
            return redirect(journey.restart)
        except EntrywayError as exc:
            current = await _progress(request, journey)
            if current is None:
                return redirect(journey.restart)
            if text(form, "action") == "resend":  # about the resend, not about a typed code
                return _page(
                    request,
                    journey,
                    "reset_code.html",
                    progress=current,
                    resend_error=said(request, exc),
                    status=429,
                )
            return _page(
                request,
                journey,
                "reset_code.html",
                progress=current,
                errors={"code": said(request, exc)},
                status=422,
            )
        return redirect(urls["verified"])

    async def new_form(request: Request) -> Response:
        progress = await _progress(request, journey)
        if progress is None or progress.stage != "verified":
            return redirect(journey.restart)
        return _page(request, journey, "reset_new.html", optional=await _optional(request))

    async def _optional(request: Request) -> bool:
        if journey.purpose != FlowPurpose.UNLOCK:
            return False
        return not await unlock.must_change_password(
            web_of(request).deps, site_of(request).code, _token(request, journey)
        )

    async def new_submit(request: Request) -> Response:
        form = await form_of(request)
        site = site_of(request)
        deps = web_of(request).deps
        token = _token(request, journey)
        done = journey.done
        try:
            if journey.purpose == FlowPurpose.UNLOCK and text(form, "action") == "keep":
                notice_token = await unlock.keep_password(
                    deps, site.code, flow_token=token, who=who(request)
                )
                done = _unlock_ending(request, "kept")
            else:
                notice_token = await password_reset.complete(
                    deps,
                    site.code,
                    flow_token=token,
                    password=text(form, "password"),
                    password_again=text(form, "password_again"),
                    who=who(request),
                    purpose=journey.purpose,
                )
                if journey.purpose == FlowPurpose.UNLOCK:
                    done = _unlock_ending(request, "new")
        except FlowExpired:
            return redirect(journey.restart)
        except EntrywayError as exc:
            return _page(
                request,
                journey,
                "reset_new.html",
                optional=await _optional(request),
                errors={exc.field or "password": said(request, exc)},
                status=422,
            )
        # A suspended account's password changes too, but nobody signs in with it: the
        # journey ends at the notice instead of the sign-in page.
        response = suspension.to_notice(request, notice_token) if notice_token else redirect(done)
        clear_cookie(response, site, journey.cookie)
        return response

    router.add_api_route(urls["choose"], choose_form, methods=["GET"])
    router.add_api_route(urls["choose"], choose_submit, methods=["POST"])
    router.add_api_route(urls["code"], code_form, methods=["GET"])
    router.add_api_route(urls["code"], code_submit, methods=["POST"])
    router.add_api_route(urls["verified"], new_form, methods=["GET"])
    router.add_api_route(urls["verified"], new_submit, methods=["POST"])


_journey_routes(RESET)
_journey_routes(UNLOCK)
