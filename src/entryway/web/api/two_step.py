"""The JSON API's two-step verification settings."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from entryway.flows.account import two_step
from entryway.web.api.contract import (
    Code,
    CodeIn,
    FlowOut,
    In,
    Me,
    PathId,
    Secret,
    Text,
    answers,
)
from entryway.web.render import web_of, who

router = APIRouter(prefix="/api/v1", tags=["two-step"])


class PhoneIn(In):
    identifier: Text
    channel: Literal["sms", "voice"] = "sms"


class MethodIn(In):
    method_id: Text


class PasswordConfirmIn(In):
    password: Secret


class MethodOut(BaseModel):
    id: str
    kind: Literal["totp", "phone"]
    label: str


class TwoStepOut(BaseModel):
    enabled: bool
    methods: list[MethodOut]
    backup_codes_left: int
    preferred: str | None


class AppEnrolmentOut(BaseModel):
    factor_id: str
    key: str
    otpauth_uri: str


class AppConfirmIn(In):
    factor_id: Text
    code: Code


class BackupCodesOut(BaseModel):
    backup_codes: list[str]


@router.post("/account/reauthenticate", status_code=204, responses=answers(401))
async def reauthenticate(body: PasswordConfirmIn, me: Me, request: Request) -> Response:
    """Confirm the password: two-step changes need one given in the last ten minutes."""
    await two_step.reauthenticate(web_of(request).deps, me, body.password, who(request))
    return Response(status_code=204)


@router.get("/account/two-step", response_model=TwoStepOut, responses=answers(401, body=False))
async def two_step_settings(me: Me, request: Request) -> TwoStepOut:
    info = await two_step.overview(web_of(request).deps, me)
    return TwoStepOut(
        enabled=info.enabled,
        methods=[MethodOut(id=m.id, kind=m.kind, label=m.label) for m in info.methods],
        backup_codes_left=info.backup_codes_left,
        preferred=info.preferred,
    )


@router.post(
    "/account/two-step/apps",
    response_model=AppEnrolmentOut,
    status_code=201,
    responses=answers(401, 403, 422, body=False),
)
async def add_app(me: Me, request: Request) -> AppEnrolmentOut:
    """A new authenticator key; it counts once confirmed with a code from the app."""
    enrolment = await two_step.start_app(web_of(request).deps, me)
    return AppEnrolmentOut(
        factor_id=enrolment.factor_id, key=enrolment.key, otpauth_uri=enrolment.uri
    )


@router.post(
    "/account/two-step/apps/verify",
    response_model=BackupCodesOut,
    responses=answers(401, 403, 404, 410),
)
async def confirm_app(body: AppConfirmIn, me: Me, request: Request) -> BackupCodesOut:
    """Turning 2SV on answers with the first backup codes, shown this once."""
    fresh = await two_step.confirm_app(
        web_of(request).deps, me, body.factor_id, body.code, who(request)
    )
    return BackupCodesOut(backup_codes=fresh or [])


@router.post(
    "/account/two-step/phones",
    response_model=FlowOut,
    status_code=202,
    responses=answers(401, 403),
)
async def add_phone(body: PhoneIn, me: Me, request: Request) -> FlowOut:
    """A phone as a second step: a code goes to it first."""
    token, sent_to = await two_step.start_phone(
        web_of(request).deps, me, body.identifier, body.channel, who(request)
    )
    return FlowOut(flow_id=token, sent_to=sent_to)


@router.post(
    "/account/two-step/phones/verify",
    response_model=BackupCodesOut,
    responses=answers(401, 403, 410),
)
async def confirm_phone(body: CodeIn, me: Me, request: Request) -> BackupCodesOut:
    fresh = await two_step.confirm_phone(
        web_of(request).deps, me, body.flow_id, body.code, who(request)
    )
    return BackupCodesOut(backup_codes=fresh or [])


@router.put("/account/two-step/preferred", status_code=204, responses=answers(401, 403, 404))
async def put_preferred(body: MethodIn, me: Me, request: Request) -> Response:
    await two_step.set_preferred(web_of(request).deps, me, body.method_id, who(request))
    return Response(status_code=204)


@router.delete(
    "/account/two-step/methods/{factor_id}", status_code=204, responses=answers(401, 403, 404)
)
async def remove_method(factor_id: PathId, me: Me, request: Request) -> Response:
    """Remove an app or a phone; removing the last method turns 2SV off."""
    await two_step.remove_app(web_of(request).deps, me, factor_id, who(request))
    return Response(status_code=204)


@router.post(
    "/account/two-step/backup-codes",
    response_model=BackupCodesOut,
    responses=answers(401, 403, 422, body=False),
)
async def replace_backup_codes(me: Me, request: Request) -> BackupCodesOut:
    fresh = await two_step.new_backup_codes(web_of(request).deps, me, who(request))
    return BackupCodesOut(backup_codes=fresh)


@router.post("/account/two-step/off", status_code=204, responses=answers(401, 403, 422, body=False))
async def two_step_off(me: Me, request: Request) -> Response:
    await two_step.turn_off(web_of(request).deps, me, who(request))
    return Response(status_code=204)
