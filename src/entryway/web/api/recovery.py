"""The JSON API for getting back in: a forgotten password, and unlocking an account from
the emailed link, with the code steps they share (``/password-resets/...`` and
``/unlocks/...``).

The same counters and locks apply as on the pages: ``/api/v1/sign-in`` answers
``account_locked`` (423) or ``sign_in_throttled`` (429, with ``Retry-After``) before any
password is checked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter
from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from entryway.core.events import FlowPurpose
from entryway.flows.recovery import password_reset, unlock
from entryway.web.api.contract import (
    ChooseIn,
    Clean,
    CodeIn,
    FlowIn,
    In,
    NewPasswordIn,
    ResetIn,
    ResetOut,
    Secret,
    Text,
    again,
    answers,
    reset_out,
)
from entryway.web.api.suspension import NOTICE_ANSWER, done_or_notice
from entryway.web.render import web_of, who
from entryway.web.security import site_of

router = APIRouter(prefix="/api/v1", tags=["recovery"])
UNLOCK = FlowPurpose.UNLOCK


@router.post("/password-resets", response_model=ResetOut, status_code=202, responses=answers())
async def reset_start(body: ResetIn, request: Request) -> ResetOut:
    """Forgotten password, step one: the same kind of answer for known and unknown
    identifiers. ``next`` says what to send next: ``choose`` or ``code``."""
    progress = await password_reset.start(
        web_of(request).deps, site_of(request).code, identifier=body.identifier, who=who(request)
    )
    return reset_out(progress)


@router.post(
    "/password-resets/complete",
    status_code=204,
    responses={**answers(410), **NOTICE_ANSWER},
)
async def reset_complete(body: NewPasswordIn, request: Request) -> Response:
    """Save the new password. Every session ends; sign in again afterwards (200 with a
    ``notice_token`` instead: saved, but the account is suspended)."""
    notice_token = await password_reset.complete(
        web_of(request).deps,
        site_of(request).code,
        flow_token=body.flow_id,
        password=body.password,
        password_again=again(body.password, body.password_again),
        who=who(request),
    )
    return done_or_notice(request, notice_token)


class UnlockIn(In):
    token: Annotated[str, Field(max_length=100), Clean]


class UnlockOut(ResetOut):
    must_change_password: bool


class UnlockCompleteIn(In):
    flow_id: Text
    password: Secret = ""
    password_again: Secret | None = None
    keep_password: bool = False


async def _unlock_out(request: Request, progress: password_reset.Progress) -> UnlockOut:
    must = await unlock.must_change_password(
        web_of(request).deps, site_of(request).code, progress.flow_token
    )
    return UnlockOut(**reset_out(progress).model_dump(), must_change_password=must)


@router.post("/unlocks", response_model=UnlockOut, status_code=201, responses=answers(410))
async def unlock_start(body: UnlockIn, request: Request) -> UnlockOut:
    """Open the emailed unlock link (the ``token`` from its address). This does not use the
    link up; picking a contact at ``/unlocks/choose`` does."""
    deps, site = web_of(request).deps, site_of(request).code
    flow = await unlock.open_link(deps, site, body.token, who(request))
    return await _unlock_out(request, await password_reset.status(deps, site, flow, UNLOCK))


Shape = Callable[[Request, password_reset.Progress], Awaitable[ResetOut]]


async def _reset_shape(_request: Request, progress: password_reset.Progress) -> ResetOut:
    return reset_out(progress)


def _code_steps(prefix: str, purpose: FlowPurpose, model: type[ResetOut], shape: Shape) -> None:
    """Pick a contact, resend, enter the code: the same three steps for a forgotten
    password and an unlock (the flow ids of one are refused by the other)."""

    async def choose(body: ChooseIn, request: Request) -> ResetOut:
        """Pick a contact by its index in ``choices`` and a channel it offers; the code is
        sent. For an unlock this is what uses the emailed link up."""
        progress = await password_reset.choose(
            web_of(request).deps,
            site_of(request).code,
            flow_token=body.flow_id,
            index=body.index,
            channel=body.channel,
            who=who(request),
            purpose=purpose,
        )
        return await shape(request, progress)

    async def resend(body: FlowIn, request: Request) -> ResetOut:
        """A new code to the same contact, once ``resend_after_seconds`` has passed."""
        progress = await password_reset.resend(
            web_of(request).deps,
            site_of(request).code,
            flow_token=body.flow_id,
            who=who(request),
            purpose=purpose,
        )
        return await shape(request, progress)

    async def verify(body: CodeIn, request: Request) -> ResetOut:
        """The code; ``next`` becomes ``verified`` and the journey ends at ``/complete``."""
        deps, site = web_of(request).deps, site_of(request).code
        await password_reset.verify(
            deps, site, flow_token=body.flow_id, code=body.code, purpose=purpose
        )
        return await shape(request, await password_reset.status(deps, site, body.flow_id, purpose))

    name = prefix.strip("/").replace("-", "_")
    for step, endpoint in (("choose", choose), ("resend", resend), ("verify", verify)):
        router.add_api_route(
            f"{prefix}/{step}",
            endpoint,
            methods=["POST"],
            response_model=model,
            name=f"{name}_{step}",
            responses=answers(410),
        )


_code_steps("/password-resets", FlowPurpose.PASSWORD_RESET, ResetOut, _reset_shape)
_code_steps("/unlocks", UNLOCK, UnlockOut, _unlock_out)


@router.post("/unlocks/complete", status_code=204, responses={**answers(410), **NOTICE_ANSWER})
async def unlock_complete(body: UnlockCompleteIn, request: Request) -> Response:
    """A new password (required when ``must_change_password``), or ``keep_password``. The
    account unlocks; nobody is signed in: sign in afterwards (two-step still applies; 200
    with a ``notice_token`` instead: the account is suspended)."""
    deps, site = web_of(request).deps, site_of(request).code
    if body.keep_password:
        notice_token = await unlock.keep_password(
            deps, site, flow_token=body.flow_id, who=who(request)
        )
    else:
        notice_token = await password_reset.complete(
            deps,
            site,
            flow_token=body.flow_id,
            password=body.password,
            password_again=again(body.password, body.password_again),
            who=who(request),
            purpose=UNLOCK,
        )
    return done_or_notice(request, notice_token)
