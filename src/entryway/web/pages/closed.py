"""The page a right password or passkey of a closed account gets, from any sign-in page
(flows/account/closing.py): closed, until when it can be reopened, and how to ask."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from entryway.errors import AccountClosed
from entryway.web.i18n import said
from entryway.web.render import FLOW, IDENT, PARTIAL, REMEMBER_ASKED, page
from entryway.web.security import clear_cookie, site_of


def refused(request: Request, exc: AccountClosed) -> Response:
    """The closed page with the refusal's words; the half-done sign-in's cookies go (the
    identifier typed, too: on a shared computer the next person need not see it)."""
    response = page(
        request, "account_closed.html", me=None, refused=said(request, exc), status=exc.status
    )
    for name in (PARTIAL, FLOW, REMEMBER_ASKED, IDENT):
        clear_cookie(response, site_of(request), name)
    return response
