"""The JSON API's sign-in: the identifier, the password, an unusual sign-in's code, the
session's standing and sign-out. The second step is in ``second_step.py``.

Every sign-in answer names its ``next`` step, so an app switches on one field:
``done`` (a session), ``two_step`` (a partial token for the second step), ``confirm``
(a code went out for an unusual sign-in) or ``verify`` (the account was never verified).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from entryway.core.events import FlowPurpose
from entryway.flows import codes
from entryway.flows.account import account as account_flow
from entryway.flows.signin import second_step, sign_in, unusual
from entryway.web.api.contract import (
    Clean,
    Code,
    DeviceId,
    Done,
    FlowIn,
    In,
    Secret,
    SentOut,
    Text,
    Token,
    answers,
    api_who,
    bearer_scheme,
    done,
    maybe_bearer,
)
from entryway.web.render import web_of, who
from entryway.web.security import site_of

router = APIRouter(prefix="/api/v1", tags=["sign-in"])


class IdentifierIn(In):
    identifier: Text


class NextStep(BaseModel):
    next: Literal["password"]


class SignInIn(In):
    identifier: Text
    password: Secret
    keep_signed_in: bool = False
    remembered_browser_token: Annotated[str, Field(max_length=100), Clean] = ""
    # An app's own install id (kept by the app): once it signed in, it keeps its own failure
    # budget, so guesses from elsewhere cannot lock the owner's app out.
    device_id: DeviceId = ""


class TwoStepNext(BaseModel):
    """The password was right; finish at ``/sign-in/two-step`` with this token as bearer."""

    next: Literal["two_step"] = "two_step"
    partial_token: str
    expires_at: datetime


class VerifyNext(BaseModel):
    """The account was never verified: a new code went out; finish at
    ``/registrations/verify``."""

    next: Literal["verify"] = "verify"
    flow_id: str


class ConfirmNext(BaseModel):
    """A right password from a device we don't recognise after failures: a code went to
    ``sent_to``; finish at ``/sign-in/confirm``."""

    next: Literal["confirm"] = "confirm"
    flow_id: str
    sent_to: str
    reason: Literal["account_failures", "suspected", "network_failures"] | None = Field(
        description="Why: failed sign-ins to this account, a recent right password that did "
        "not finish signing in, or many failures from this network (any account)."
    )


SignInOut = Annotated[Done | TwoStepNext | ConfirmNext | VerifyNext, Field(discriminator="next")]


@router.post("/sign-in/identifier", response_model=NextStep, responses=answers())
async def identifier_step(body: IdentifierIn, request: Request) -> NextStep:
    """Step one: the same answer for every well-formed identifier, known or not."""
    sign_in.check_identifier(web_of(request).deps, site_of(request).code, body.identifier)
    return NextStep(next="password")


@router.post(
    "/sign-in",
    response_model=SignInOut,
    responses=answers(401, 423, 429, suspended=True, closed=True),
)
async def sign_in_step(body: SignInIn, request: Request) -> SignInOut:
    """Step two: one 401 ``sign_in_failed`` for every wrong pair; ``account_locked`` and
    ``sign_in_throttled`` are decided before any password check."""
    result = await sign_in.sign_in(
        web_of(request).deps,
        site_of(request).code,
        identifier=body.identifier,
        password=body.password,
        remember=body.keep_signed_in,
        who=api_who(request, body.device_id),
        client="api",
        browser=body.remembered_browser_token,
    )
    if isinstance(result, sign_in.MustVerify):
        return VerifyNext(flow_id=result.flow_token)
    if isinstance(result, sign_in.MustConfirm):
        reason = result.reason.value if result.reason else None
        return ConfirmNext(flow_id=result.flow_token, sent_to=result.sent_to, reason=reason)
    if isinstance(result, sign_in.SecondStep):
        return TwoStepNext(partial_token=result.partial_token, expires_at=result.expires_at)
    return done(result)


class ConfirmIn(In):
    flow_id: Text
    code: Code
    keep_signed_in: bool = False
    device_id: DeviceId = ""


@router.post(
    "/sign-in/confirm", response_model=Done, responses=answers(410, 423, 429, suspended=True)
)
async def confirm_sign_in(body: ConfirmIn, request: Request) -> Done:
    """Finish an unusual sign-in (``next: confirm``) with the code we sent; wrong codes
    count toward the account's lock."""
    passed = await unusual.confirm(
        web_of(request).deps,
        site_of(request).code,
        flow_token=body.flow_id,
        code=body.code,
        remember=body.keep_signed_in,
        who=api_who(request, body.device_id),
        client="api",
    )
    return done(passed)


@router.post("/sign-in/confirm/resend", response_model=SentOut, responses=answers(410))
async def confirm_resend(body: FlowIn, request: Request) -> SentOut:
    """A new code for an unusual sign-in, to the same contact."""
    sent_to = await codes.resend(
        web_of(request).deps,
        site_of(request).code,
        body.flow_id,
        FlowPurpose.UNUSUAL_SIGN_IN,
        who(request),
    )
    return SentOut(sent_to=sent_to)


class SessionStanding(BaseModel):
    level: Literal["partial", "full"] = Field(
        description="`partial`: only the second step, `/session` and `/sign-out` accept it."
    )
    account_id: str | None = Field(description="Set for a full session.")
    expires_at: datetime = Field(description="Ends here unless used before; use extends it.")
    ends_at: datetime = Field(description="Ends here however much it is used.")


@router.get("/session", response_model=SessionStanding, responses=answers(401, body=False))
async def session_standing(token: Token, request: Request) -> SessionStanding:
    """Whether the bearer token is still good, how far it got and until when; asking does
    not extend it."""
    info = await account_flow.describe_session(web_of(request).deps, site_of(request).code, token)
    return SessionStanding(
        level=info.level.value,
        account_id=info.account_id,
        expires_at=info.expires_at,
        ends_at=info.ends_at,
    )


@router.post(
    "/sign-out",
    status_code=204,
    responses=answers(body=False),
    openapi_extra={"security": [{"bearer": []}, {}]},  # the token is optional here
)
async def sign_out(request: Request) -> Response:
    """End the bearer's session, full or partial (leaving the second step tells the owner
    that a right password did not finish signing in); an unknown or missing one changes
    nothing."""
    token = await maybe_bearer(await bearer_scheme(request))
    deps, site = web_of(request).deps, site_of(request).code
    await second_step.sign_out_pending(deps, site, token)  # only if it is a partial one
    await account_flow.sign_out(deps, site, token, who(request))
    return Response(status_code=204)
