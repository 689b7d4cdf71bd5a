"""One message of the Message Center, and an email's HTML part as the customer saw it."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from entryway.errors import NotFound
from entryway.flows.account import account as account_flow
from entryway.flows.account.account import Current
from entryway.web.email_view import email_html_response
from entryway.web.i18n import gettext_for
from entryway.web.render import page, signed_in_page, web_of
from entryway.web.security import site_of

router = APIRouter(include_in_schema=False)


@router.get("/account/messages/{message_id}")
async def one_message(
    request: Request, message_id: str, me: Current = Depends(signed_in_page)
) -> Response:
    """The text part, and the HTML part in a sandboxed frame when the email has one."""
    found = await account_flow.message(
        web_of(request).deps, me, message_id[:100], gettext_for(request)
    )
    return page(
        request,
        "message.html",
        me=me,
        m=found,
        html_url=f"/account/messages/{found.id}/html" if found.html else "",
    )


@router.get("/account/messages/{message_id}/html")
async def one_message_html(
    request: Request, message_id: str, me: Current = Depends(signed_in_page)
) -> Response:
    """The stored HTML part (tokens and codes already out) under its own strict policy;
    only the customer's own email, and 404 for one without an HTML part."""
    found = await account_flow.message(
        web_of(request).deps, me, message_id[:100], gettext_for(request)
    )
    if not found.html:
        raise NotFound("We couldn't find that message.")
    return email_html_response(site_of(request), found.html)
