"""The JSON API's second step of sign-in. Each route takes the partial token from
``/sign-in`` as ``Authorization: Bearer``; nothing else accepts that token (SECURITY.md 21)."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.requests import Request

from entryway.flows.passkeys import second_step as passkey_step
from entryway.flows.signin import second_step
from entryway.flows.support import cases as support
from entryway.web.api.contract import Clean, Code, Done, In, SentOut, Text, Token, answers, done
from entryway.web.api.passkeys import Credential, passkey_options
from entryway.web.api.passkeys import OptionsOut as PasskeyOptionsOut
from entryway.web.render import web_of, who
from entryway.web.security import site_of

router = APIRouter(prefix="/api/v1", tags=["sign-in"])


class SecondStepIn(In):
    code: Code
    method: Literal["app", "phone", "backup"] = "app"
    keep_signed_in: bool = False
    remember_browser: bool = False


class SecondStepDone(Done):
    remembered_browser_token: str | None = Field(
        default=None,
        description="With `remember_browser`: send it with `/sign-in` to skip this step "
        "for 30 days.",
    )


class PhoneOption(BaseModel):
    id: str
    masked: str


class OptionsOut(BaseModel):
    app: bool
    phones: list[PhoneOption]
    backup: bool
    preferred: str
    passkey: bool = Field(
        description="The account has a passkey: `/sign-in/two-step/passkey/options` asks for it."
    )


class PasskeyStepIn(In):
    flow_id: Text
    credential: Credential
    keep_signed_in: bool = False
    remember_browser: bool = False


class SendIn(In):
    phone_id: Text
    channel: Literal["sms", "voice"] = "sms"


class CaseIn(In):
    message: Annotated[str, Field(max_length=4000), Clean]


class CaseOut(BaseModel):
    case_number: str


@router.post(
    "/sign-in/two-step",
    response_model=SecondStepDone,
    responses=answers(401, suspended=True),
)
async def pass_second_step(body: SecondStepIn, token: Token, request: Request) -> SecondStepDone:
    """A code from an authenticator app (``method=app``), one texted or read out by
    ``/sign-in/two-step/send`` (``phone``), or a backup code (``backup``)."""
    passed = await second_step.pass_second_step(
        web_of(request).deps,
        site_of(request).code,
        token,
        body.code,
        method=body.method,
        remember=body.keep_signed_in,
        who=who(request),
        client="api",
        remember_browser=body.remember_browser,
    )
    session = done(passed)
    return SecondStepDone(**session.model_dump(), remembered_browser_token=passed.browser_token)


@router.get(
    "/sign-in/two-step/options", response_model=OptionsOut, responses=answers(401, body=False)
)
async def second_step_options(token: Token, request: Request) -> OptionsOut:
    """The methods this account can use at the second step, phones masked."""
    options = await second_step.options(web_of(request).deps, site_of(request).code, token)
    return OptionsOut(
        app=options.app,
        phones=[PhoneOption(id=p.factor_id, masked=p.masked) for p in options.phones],
        backup=options.backup,
        preferred=options.preferred,
        passkey=options.passkeys,
    )


@router.post(
    "/sign-in/two-step/passkey/options",
    response_model=PasskeyOptionsOut,
    responses=answers(401, 422, body=False),
)
async def second_step_passkey_options(token: Token, request: Request) -> PasskeyOptionsOut:
    """A challenge for one of the account's passkeys (they are listed in it), bound to this
    partial token; ``bad_request`` when the account has none."""
    begun = await passkey_step.begin(web_of(request).deps, site_of(request).code, token)
    return passkey_options(begun)


@router.post(
    "/sign-in/two-step/passkey",
    response_model=SecondStepDone,
    responses=answers(401, 410, suspended=True),
)
async def pass_with_passkey(body: PasskeyStepIn, token: Token, request: Request) -> SecondStepDone:
    """Finish with the assertion the platform returned for that challenge; a failed one
    (`code_rejected`) counts like a wrong code. A spent or expired `flow_id`, or another
    partial token's, answers `flow_expired`."""
    passed = await passkey_step.pass_with_passkey(
        web_of(request).deps,
        site_of(request).code,
        token,
        token=body.flow_id,
        credential=json.dumps(body.credential),
        remember=body.keep_signed_in,
        who=who(request),
        client="api",
        remember_browser=body.remember_browser,
    )
    session = done(passed)
    return SecondStepDone(**session.model_dump(), remembered_browser_token=passed.browser_token)


@router.post("/sign-in/two-step/send", response_model=SentOut, responses=answers(401, 404))
async def second_step_send(body: SendIn, token: Token, request: Request) -> SentOut:
    """Text or call a one-time code to one of the account's phones (by its id)."""
    sent_to = await second_step.send_phone_code(
        web_of(request).deps,
        site_of(request).code,
        token,
        body.phone_id,
        body.channel,
        who(request),
    )
    return SentOut(sent_to=sent_to)


@router.post(
    "/sign-in/two-step/contact",
    response_model=CaseOut,
    status_code=201,
    responses=answers(401, 409),
)
async def contact_customer_service(body: CaseIn, token: Token, request: Request) -> CaseOut:
    """Stuck at the second step: open a Customer Service case from the partial session;
    the agent sees that the password step was passed."""
    number = await support.contact_from_second_step(
        web_of(request).deps, site_of(request).code, token, body.message, who(request)
    )
    return CaseOut(case_number=number)
