"""Demo only: every message the service would have sent, as a page and as JSON."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from entryway.flows.ports import Message
from entryway.web.render import page, web_of

router = APIRouter(include_in_schema=False)


async def _latest(request: Request) -> list[Message]:
    """What was sent or is being sent: a notice written for later may still be taken back."""
    deps = web_of(request).deps
    async with deps.uow() as uow:
        found = await uow.outbox.latest(200)
    now = deps.clock.now()
    return [m for m in found if not m.waiting(now)]


def as_json(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "site": m.site,
        "channel": m.channel.value,
        "kind": m.kind.value,
        "to": m.to,
        "subject": m.subject,
        "body": m.body,
        "created_at": m.created_at.isoformat(),
        "filed_at": m.filed_at.isoformat(),  # when it went out: the order of the list
        "status": m.status.value,
        "attempts": m.attempts,
    }


@router.get("/dev/outbox")
async def outbox_page(request: Request) -> Response:
    origins = {s.code: s.origin for s in web_of(request).deps.sites.sites}
    return page(request, "outbox.html", messages=await _latest(request), origins=origins)


@router.get("/dev/outbox.json")
async def outbox_json(request: Request) -> Response:
    response = JSONResponse({"messages": [as_json(m) for m in await _latest(request)]})
    response.headers["cache-control"] = "no-store"
    return response
