"""Console sign-in (Email, Password, Enter OTP), enrolment, the home page and sign-out."""

from __future__ import annotations

import segno
from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from entryway.core.staff import Actor, StaffLevel
from entryway.errors import (
    CodeRejected,
    EntrywayError,
    FlowExpired,
    PasswordRejected,
    SignInFailed,
    SignInLocked,
    Unauthenticated,
)
from entryway.flows.staff import enrol, signin
from entryway.flows.staff import session as staff_session
from entryway.web.console.render import (
    ENROL,
    STAFF,
    actor_or_none,
    actor_page,
    clear_cookie,
    console_form,
    console_of,
    console_page,
    cookie,
    redirect,
    set_cookie,
    start_session,
    text,
    who,
)

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request, actor: Actor = Depends(actor_page)) -> Response:
    return console_page(request, "home.html")


@router.get("/signin")
async def signin_form(request: Request) -> Response:
    if await actor_or_none(request) is not None:
        return redirect("/")
    return console_page(request, "signin.html", email="", errors={})


@router.post("/signin")
async def signin_submit(request: Request) -> Response:
    form = await console_form(request)
    email = text(form, "email")
    deps = console_of(request).deps
    try:
        token = await signin.sign_in(
            deps, email=email, password=text(form, "password"), who=who(request)
        )
    except SignInLocked as exc:
        return console_page(
            request, "signin.html", status=exc.status, email=email, locked=exc.message, errors={}
        )
    except SignInFailed as exc:
        errors = {"password": exc.message}
        return console_page(request, "signin.html", status=exc.status, email=email, errors=errors)
    response: Response = redirect("/signin/otp")
    start_session(request, response, token)
    return response


async def _partial(request: Request) -> bool:
    deps = console_of(request).deps
    try:
        await staff_session.session_of(deps, cookie(request, STAFF), StaffLevel.PARTIAL)
    except Unauthenticated:
        return False
    return True


@router.get("/signin/otp")
async def otp_form(request: Request) -> Response:
    if not await _partial(request):
        return redirect("/signin")
    return console_page(request, "otp.html", errors={})


@router.post("/signin/otp")
async def otp_submit(request: Request) -> Response:
    form = await console_form(request)
    deps = console_of(request).deps
    try:
        token = await signin.second_step(
            deps, cookie(request, STAFF), text(form, "code"), who(request)
        )
    except Unauthenticated:
        return redirect("/signin")
    except SignInLocked as exc:
        locked = console_page(
            request, "signin.html", status=exc.status, email="", locked=exc.message, errors={}
        )
        clear_cookie(request, locked, STAFF)
        return locked
    except (CodeRejected, SignInFailed) as exc:
        return console_page(request, "otp.html", status=exc.status, errors={"code": exc.message})
    response = redirect("/")
    start_session(request, response, token)
    return response


@router.post("/signout")
async def sign_out(request: Request) -> Response:
    await console_form(request)
    await staff_session.sign_out(console_of(request).deps, cookie(request, STAFF), who(request))
    response = redirect("/signin")
    clear_cookie(request, response, STAFF)
    return response


def _token_free(response: Response) -> Response:
    """Pages that carry or follow a token (SECURITY.md 15); ``Referrer-Policy: no-referrer``
    is on every console answer already (ConsoleGuard)."""
    response.headers["cache-control"] = "no-store"
    return response


@router.get("/enrol/password")
async def password_form(request: Request) -> Response:
    deps = console_of(request).deps
    try:
        member = await enrol.link_member(deps, cookie(request, ENROL) or "")
    except FlowExpired as exc:
        return _token_free(
            console_page(request, "error.html", status=exc.status, message=exc.message)
        )
    return _token_free(
        console_page(
            request,
            "enrol_password.html",
            email=member.email,
            errors={},
            min_length=deps.passwords.min_length,
        )
    )


@router.post("/enrol/password")
async def password_submit(request: Request) -> Response:
    form = await console_form(request)
    deps = console_of(request).deps
    link = cookie(request, ENROL) or ""
    try:
        token = await enrol.create_password(
            deps, link, text(form, "password"), text(form, "password_again"), who(request)
        )
    except PasswordRejected as exc:
        member = await enrol.link_member(deps, link)
        errors = {exc.field or "password": exc.message}
        return _token_free(
            console_page(
                request,
                "enrol_password.html",
                status=exc.status,
                email=member.email,
                errors=errors,
                min_length=deps.passwords.min_length,
            )
        )
    response = redirect("/enrol/app")
    clear_cookie(request, response, ENROL)
    start_session(request, response, token)
    return _token_free(response)


def _qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (no JavaScript, no external requests)."""
    svg = str(
        segno.make(uri, error="m").svg_inline(scale=5, border=2, title="QR code", omitsize=True)
    )
    return svg


async def _app_page(
    request: Request, status: int = 200, errors: dict[str, str] | None = None
) -> Response:
    deps = console_of(request).deps
    try:
        step = await enrol.app_step(deps, cookie(request, STAFF))
    except (Unauthenticated, FlowExpired):
        return redirect("/signin")
    page = console_page(
        request,
        "enrol_app.html",
        status=status,
        enrolment=step,
        qr=_qr_svg(step.uri),
        errors=errors or {},
    )
    return _token_free(page)


@router.get("/enrol/app")
async def app_form(request: Request) -> Response:
    return await _app_page(request)


@router.post("/enrol/app")
async def app_submit(request: Request) -> Response:
    form = await console_form(request)
    deps = console_of(request).deps
    try:
        token = await enrol.confirm_app(
            deps, cookie(request, STAFF), text(form, "code"), who(request)
        )
    except (Unauthenticated, FlowExpired):
        return redirect("/signin")
    except EntrywayError as exc:
        return await _app_page(request, status=exc.status, errors={"code": exc.message})
    response = redirect("/")
    start_session(request, response, token)
    return response


@router.get("/enrol/{token}")
async def enrol_landing(request: Request, token: str) -> Response:
    """Swap the link's token for a cookie and go on to a token-free page; reading the link
    does not use it up (SECURITY.md 15): Create password does."""
    deps = console_of(request).deps
    try:
        await enrol.link_member(deps, token)
    except FlowExpired as exc:
        return _token_free(
            console_page(request, "error.html", status=exc.status, message=exc.message)
        )
    response = redirect("/enrol/password")
    set_cookie(request, response, ENROL, token)
    return _token_free(response)
