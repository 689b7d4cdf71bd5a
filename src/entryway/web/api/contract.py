"""Shared parts of the JSON API: field types, the bearer session, the answers several
journeys return."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Literal

from fastapi import Depends, Header
from pydantic import BaseModel, Field
from starlette.requests import Request

from entryway.errors import Unauthenticated
from entryway.flows import account as account_flow
from entryway.flows import (
    password_reset,
)
from entryway.flows.account import Current
from entryway.flows.ports import Requester
from entryway.web.render import web_of, who
from entryway.web.security import site_of

Secret = Annotated[str, Field(max_length=4096)]
# At least 128 bits of the app's own randomness, so nobody else can claim to be that device.
DeviceId = Annotated[str, Field(pattern=r"^([A-Za-z0-9_-]{22,64})?$")]
Text = Annotated[str, Field(max_length=400)]


class SessionOut(BaseModel):
    session_token: str
    account_id: str


class SentOut(BaseModel):
    sent_to: str


class FlowOut(BaseModel):
    flow_id: str
    sent_to: str


class CodeIn(BaseModel):
    flow_id: Text
    code: Annotated[str, Field(max_length=20)]


class FlowIn(BaseModel):
    flow_id: Text


class ResetIn(BaseModel):
    identifier: Text


class ChoiceOut(BaseModel):
    index: int
    kind: Literal["email", "phone"]
    masked: str
    channels: list[Literal["email", "sms", "voice"]]


class ResetOut(BaseModel):
    flow_id: str
    next: Literal["choose", "code", "verified"]
    choices: list[ChoiceOut] = []
    sent_to: str = ""
    channel: str = ""
    resend_after_seconds: int = 0


class ChooseIn(BaseModel):
    flow_id: Text
    index: int
    channel: Literal["email", "sms", "voice"]


class NewPasswordIn(BaseModel):
    flow_id: Text
    password: Secret
    password_again: Secret


class Ended(BaseModel):
    ended: int


def api_who(request: Request, device_id: str) -> Requester:
    """The requester, with the app's install id as its device (apps keep no cookies)."""
    found = who(request)
    return replace(found, device=device_id) if device_id else found


def bearer_token(authorization: str | None) -> str | None:
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return None


async def signed_in(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Current:
    """The API's session: ``Authorization: Bearer <session_token>``."""
    token = bearer_token(authorization)
    if not token:
        raise Unauthenticated("Send Authorization: Bearer <session_token>.")
    return await account_flow.current(web_of(request).deps, site_of(request).code, token)


Me = Annotated[Current, Depends(signed_in)]


def reset_out(p: password_reset.Progress) -> ResetOut:
    return ResetOut(
        flow_id=p.flow_token,
        next=p.stage,
        choices=[
            ChoiceOut(
                index=c.index,
                kind=c.kind.value,
                masked=c.masked,
                channels=[ch.value for ch in c.channels],
            )
            for c in p.choices
        ],
        sent_to=p.sent_to,
        channel=p.channel,
        resend_after_seconds=p.wait_seconds,
    )
