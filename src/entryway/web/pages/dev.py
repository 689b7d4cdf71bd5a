"""Demo only: every message the service would have sent, and the demo accounts' orders, as
pages and as JSON."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from entryway.core.locales import N_
from entryway.errors import NotFound
from entryway.flows.demo_orders import DemoOrders, order_sheet
from entryway.flows.ports import Message, Order
from entryway.web.email_view import email_html_response
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
        "html": m.html,  # the email's HTML part, "" for texts (and mail without one)
    }


@router.get("/dev/outbox")
async def outbox_page(request: Request) -> Response:
    origins = {s.code: s.origin for s in web_of(request).deps.sites.sites}
    return page(request, "outbox.html", messages=await _latest(request), origins=origins)


async def _one(request: Request, message_id: str) -> Message:
    for found in await _latest(request):
        if found.id == message_id:
            return found
    raise NotFound("We couldn't find that message.")


@router.get("/dev/outbox/{message_id}")
async def outbox_message(request: Request, message_id: str) -> Response:
    """One message of the demo outbox, its HTML part in a sandboxed frame."""
    found = await _one(request, message_id)
    return page(
        request,
        "message.html",
        m=found,
        html_url=f"/dev/outbox/{found.id}/html" if found.html else "",
        origin=web_of(request).deps.site(found.site).origin,
        back="/dev/outbox",
        back_label=N_("Demo outbox"),
    )


@router.get("/dev/outbox/{message_id}/html")
async def outbox_message_html(request: Request, message_id: str) -> Response:
    """The HTML part as the demo would have sent it, under the email's own policy."""
    found = await _one(request, message_id)
    if not found.html:
        raise NotFound("We couldn't find that message.")
    return email_html_response(web_of(request).deps.site(found.site), found.html)


@router.get("/dev/outbox.json")
async def outbox_json(request: Request) -> Response:
    response = JSONResponse({"messages": [as_json(m) for m in await _latest(request)]})
    response.headers["cache-control"] = "no-store"
    return response


SYMBOLS = {"USD": "$", "GBP": "£", "CAD": "CA$"}


def money(order: Order) -> str:
    """A total as a shopper reads it: "$43.96", "£29.54", "CA$54.46"."""
    symbol = SYMBOLS.get(order.currency)
    return f"{symbol}{order.total}" if symbol else f"{order.total} {order.currency}"


def order_json(order: Order) -> dict[str, Any]:
    """An order in the store's own answer format (README "Order lookup")."""
    return {
        "number": order.number,
        "placed_at": order.placed_at.isoformat(),
        "total": str(order.total),
        "currency": order.currency,
        "items": list(order.items),
        "postcode": order.postcode,
    }


def sheet_json(entry: DemoOrders) -> dict[str, Any]:
    """A demo account and its orders (null: the lookup did not answer)."""
    return {
        "site": entry.account.site,
        "name": entry.account.name,
        "email": entry.account.email,
        "phone": entry.account.phone,
        "orders": None if entry.orders is None else [order_json(o) for o in entry.orders],
    }


@router.get("/dev/orders")
async def orders_page(request: Request) -> Response:
    """The demo accounts' orders, for testers answering the identity check."""
    deps = web_of(request).deps
    sheet = await order_sheet(deps)
    names = {s.code: s.name for s in deps.sites.sites}
    response = page(request, "dev_orders.html", sheet=sheet, names=names, money=money)
    response.headers["cache-control"] = "no-store"
    return response


@router.get("/dev/orders.json")
async def orders_json(request: Request) -> Response:
    """The same, as JSON."""
    sheet = await order_sheet(web_of(request).deps)
    response = JSONResponse({"accounts": [sheet_json(e) for e in sheet]})
    response.headers["cache-control"] = "no-store"
    return response
