"""The JSON API's sign-in: identifier, password, the second step, Customer Service from
the second step, and sign-out."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from entryway.flows import account as account_flow
from entryway.flows import (
    second_step,
    sign_in,
    support,
)
from entryway.web.api.contract import (
    DeviceId,
    Secret,
    SentOut,
    SessionOut,
    Text,
    api_who,
    bearer_token,
)
from entryway.web.render import web_of, who
from entryway.web.security import site_of

router = APIRouter(prefix="/api/v1", tags=["v1"])


class IdentifierIn(BaseModel):
    identifier: Text


class NextStep(BaseModel):
    next: Literal["password"]


class SignInIn(BaseModel):
    identifier: Text
    password: Secret
    keep_signed_in: bool = False
    remembered_browser_token: Annotated[str, Field(max_length=100)] = ""
    # An app's own install id (kept by the app): once it signed in, it keeps its own failure
    # budget, so guesses from elsewhere cannot lock the owner's app out.
    device_id: DeviceId = ""


class SecondStepNeeded(BaseModel):
    next: Literal["two_step"]
    partial_token: str


class SecondStepIn(BaseModel):
    partial_token: Text
    code: Annotated[str, Field(max_length=40)]
    method: Literal["app", "phone", "backup"] = "app"
    keep_signed_in: bool = False
    remember_browser: bool = False


class SecondStepOut(BaseModel):
    session_token: str
    account_id: str
    remembered_browser_token: str | None = None


class PartialIn(BaseModel):
    partial_token: Text


class OptionsOut(BaseModel):
    app: bool
    phones: list[dict[str, str]]
    backup: bool
    preferred: str


class SendIn(BaseModel):
    partial_token: Text
    phone_id: Text
    channel: Literal["sms", "voice"] = "sms"


class CaseIn(BaseModel):
    partial_token: Text
    message: Annotated[str, Field(max_length=4000)]


class CaseOut(BaseModel):
    case_number: str


class VerifyNeeded(BaseModel):
    next: Literal["verify"]
    flow_id: str


class ConfirmNeeded(BaseModel):
    """A right password from a device we don't recognise after failures: a code went to
    ``sent_to``; finish at ``/sign-in/confirm``."""

    next: Literal["confirm"]
    flow_id: str
    sent_to: str


@router.post("/sign-in/identifier", response_model=NextStep)
async def identifier_step(body: IdentifierIn, request: Request) -> NextStep:
    """Step one: the same answer for every well-formed identifier, known or not."""
    sign_in.check_identifier(web_of(request).deps, site_of(request).code, body.identifier)
    return NextStep(next="password")


@router.post(
    "/sign-in",
    response_model=SessionOut | SecondStepNeeded | VerifyNeeded | ConfirmNeeded,
    responses={
        401: {"description": "sign_in_failed (one answer for every cause)"},
        423: {"description": "account_locked: refused before any password check"},
        429: {"description": "sign_in_throttled: wait Retry-After seconds"},
    },
)
async def sign_in_step(
    body: SignInIn, request: Request
) -> SessionOut | SecondStepNeeded | VerifyNeeded | ConfirmNeeded:
    """Step two. With two-step verification on, the answer is a ``partial_token`` that can
    only be used at ``/sign-in/two-step`` (for ten minutes)."""
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
        return VerifyNeeded(next="verify", flow_id=result.flow_token)
    if isinstance(result, sign_in.MustConfirm):
        return ConfirmNeeded(next="confirm", flow_id=result.flow_token, sent_to=result.sent_to)
    if isinstance(result, sign_in.SecondStep):
        return SecondStepNeeded(next="two_step", partial_token=result.partial_token)
    return SessionOut(session_token=result.session_token, account_id=result.account_id)


@router.post("/sign-in/two-step", response_model=SecondStepOut)
async def pass_second_step(body: SecondStepIn, request: Request) -> SecondStepOut:
    """A code from an authenticator app (``method=app``), one texted or read out by
    ``/sign-in/two-step/send`` (``phone``), or a backup code (``backup``).
    ``remember_browser`` returns a token that skips this step for 30 days when sent with
    ``/sign-in``."""
    passed = await second_step.pass_second_step(
        web_of(request).deps,
        site_of(request).code,
        body.partial_token,
        body.code,
        method=body.method,
        remember=body.keep_signed_in,
        who=who(request),
        client="api",
        remember_browser=body.remember_browser,
    )
    return SecondStepOut(
        session_token=passed.session_token,
        account_id=passed.account_id,
        remembered_browser_token=passed.browser_token,
    )


@router.post("/sign-in/two-step/options", response_model=OptionsOut)
async def second_step_options(body: PartialIn, request: Request) -> OptionsOut:
    """The methods this account can use at the second step, phones masked."""
    options = await second_step.options(
        web_of(request).deps, site_of(request).code, body.partial_token
    )
    return OptionsOut(
        app=options.app,
        phones=[{"id": p.factor_id, "masked": p.masked} for p in options.phones],
        backup=options.backup,
        preferred=options.preferred,
    )


@router.post("/sign-in/two-step/send", response_model=SentOut)
async def second_step_send(body: SendIn, request: Request) -> SentOut:
    """Text or call a one-time code to one of the account's phones (by its id)."""
    sent_to = await second_step.send_phone_code(
        web_of(request).deps,
        site_of(request).code,
        body.partial_token,
        body.phone_id,
        body.channel,
        who(request),
    )
    return SentOut(sent_to=sent_to)


@router.post("/sign-in/two-step/contact", response_model=CaseOut, status_code=201)
async def contact_customer_service(body: CaseIn, request: Request) -> CaseOut:
    """Stuck at the second step: open a Customer Service case from the partial session."""
    number = await support.contact_from_second_step(
        web_of(request).deps,
        site_of(request).code,
        body.partial_token,
        body.message,
        who(request),
    )
    return CaseOut(case_number=number)


@router.post("/sign-out", status_code=204)
async def sign_out(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Response:
    await account_flow.sign_out(
        web_of(request).deps, site_of(request).code, bearer_token(authorization), who(request)
    )
    return Response(status_code=204)
