"""The JSON API's forgotten-password start and finish (the code steps are in recovery.py)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from entryway.flows import (
    password_reset,
)
from entryway.web.api.contract import (
    NewPasswordIn,
    ResetIn,
    ResetOut,
    reset_out,
)
from entryway.web.render import web_of, who
from entryway.web.security import site_of

router = APIRouter(prefix="/api/v1", tags=["v1"])


@router.post("/password-resets", response_model=ResetOut, status_code=202)
async def reset_start(body: ResetIn, request: Request) -> ResetOut:
    """Forgotten password, step one: the same kind of answer for known and unknown
    identifiers. ``next`` says what to send next: ``choose`` or ``code`` (the steps are in
    ``web/api/recovery.py``, shared with the unlock journey)."""
    progress = await password_reset.start(
        web_of(request).deps, site_of(request).code, identifier=body.identifier, who=who(request)
    )
    return reset_out(progress)


@router.post("/password-resets/complete", status_code=204)
async def reset_complete(body: NewPasswordIn, request: Request) -> Response:
    """Save the new password. Every session ends; sign in again afterwards."""
    await password_reset.complete(
        web_of(request).deps,
        site_of(request).code,
        flow_token=body.flow_id,
        password=body.password,
        password_again=body.password_again,
        who=who(request),
    )
    return Response(status_code=204)
