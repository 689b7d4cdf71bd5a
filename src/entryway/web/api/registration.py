"""The JSON API's account creation: register, verify with the code, resend it."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field
from starlette.requests import Request

from entryway.core.events import FlowPurpose
from entryway.flows import codes
from entryway.flows.account import registration
from entryway.web.api.contract import (
    CodeIn,
    Done,
    FlowIn,
    FlowOut,
    In,
    Secret,
    Text,
    again,
    answers,
    done,
)
from entryway.web.render import web_of, who
from entryway.web.security import site_of

router = APIRouter(prefix="/api/v1", tags=["registration"])


class RegisterIn(In):
    name: Text
    identifier: Text
    password: Secret
    password_again: Secret | None = Field(
        default=None, description="Optional for apps; when sent it must match `password`."
    )


@router.post("/registrations", response_model=FlowOut, status_code=202, responses=answers())
async def register(body: RegisterIn, request: Request) -> FlowOut:
    """Same answer for new and taken identifiers; the code goes to the identifier."""
    started = await registration.start(
        web_of(request).deps,
        site_of(request).code,
        name=body.name,
        identifier=body.identifier,
        password=body.password,
        password_again=again(body.password, body.password_again),
        who=who(request),
    )
    return FlowOut(flow_id=started.flow_token, sent_to=started.sent_to)


@router.post("/registrations/verify", response_model=Done, responses=answers(410))
async def register_verify(body: CodeIn, request: Request) -> Done:
    """The code we sent: the account becomes usable and this answer signs it in."""
    verified = await registration.verify(
        web_of(request).deps,
        site_of(request).code,
        flow_token=body.flow_id,
        code=body.code,
        who=who(request),
        client="api",
    )
    return done(verified)


@router.post("/registrations/resend", response_model=FlowOut, responses=answers(410))
async def register_resend(body: FlowIn, request: Request) -> FlowOut:
    """A new code to the same identifier, once the wait has passed."""
    sent_to = await codes.resend(
        web_of(request).deps,
        site_of(request).code,
        body.flow_id,
        FlowPurpose.REGISTRATION,
        who(request),
    )
    return FlowOut(flow_id=body.flow_id, sent_to=sent_to)
