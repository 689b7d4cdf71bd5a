"""The suspension notice: the statement of reasons and the appeal form, for a customer whose
right password met a suspension or who opened the emailed appeal link.

The notice is reached only through a notice-view token, kept in the ``ew_notice`` cookie: a
sign-in page sets it when the flow refuses a suspended account (``AccountSuspended``), and
the emailed link's landing GET swaps its token for one and redirects to the token-free
``/suspension`` (SECURITY.md 15: the token never sits in history, a cache or a Referer, and a
mail scanner opening the link changes nothing). The token can show the notice and take an
appeal, nothing else: it opens no session.
"""

from __future__ import annotations

import dataclasses
import hashlib

from babel.numbers import format_decimal
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from entryway.core.locales import babel_name
from entryway.core.suspension import MAX_APPEAL
from entryway.errors import AccountSuspended, Conflict, EntrywayError, FlowExpired, Forbidden
from entryway.flows.trust import appeals, notice
from entryway.flows.trust.measures import Statement
from entryway.web import once
from entryway.web.i18n import gettext_for, locale_of, said
from entryway.web.render import (
    FLOW,
    IDENT,
    PARTIAL,
    REMEMBER_ASKED,
    form_of,
    page,
    redirect,
    text,
    web_of,
    who,
)
from entryway.web.security import clear_cookie, cookie_name, set_cookie, site_of

router = APIRouter(include_in_schema=False)
NOTICE = "ew_notice"
NOTICE_AGE = 3600  # seconds, as long as a view token lives at most; the flow decides the end
LANDING = "/suspension/appeal"  # the emailed link: GET with ?token=, and the form's POST
SHOWN = "/suspension"
SENT = "/suspension/appeal/sent"
EXPIRED = "/suspension/expired"
APPEAL_SENT = "appeal_sent"  # the once.py kind: the case number, shown once


def hand_notice(response: Response, request: Request, token: str) -> None:
    """Keep a notice-view token for ``/suspension`` (the sign-in pages and the reset,
    unlock and finish pages call this when a flow hands one back)."""
    set_cookie(response, site_of(request), NOTICE, token, max_age=NOTICE_AGE)


def to_notice(request: Request, token: str) -> Response:
    """Redirect to the notice, carrying ``token`` in its cookie."""
    response = _no_store(redirect(SHOWN))
    hand_notice(response, request, token)
    return response


def _no_store(response: Response) -> Response:
    response.headers["cache-control"] = "no-store"  # the request or the answer carries a token
    return response


def _view(request: Request) -> str:
    return request.cookies.get(cookie_name(site_of(request), NOTICE), "")


def _binding(request: Request) -> str:
    """What ties a handed-over case number to this notice view (its token's digest)."""
    token = _view(request)
    return hashlib.sha256(token.encode()).hexdigest() if token else ""


@router.get(LANDING)
async def appeal_link(request: Request, token: str = "") -> Response:
    """The emailed appeal link: its token becomes a view token in a cookie; reading the
    notice and appealing happen on the token-free page."""
    try:
        view = await notice.open_link(web_of(request).deps, site_of(request).code, token)
    except FlowExpired:
        return _no_store(redirect(EXPIRED))
    return to_notice(request, view)


def _in_words(request: Request, statement: Statement) -> Statement:
    """The statement with our own words in the request's language: the demo reasons and
    the scope are in the catalog, a store's own reasons read as it configured them."""
    gettext = gettext_for(request)

    def say(text: str) -> str:
        return gettext(text) if text else ""  # gettext("") is the catalog's header

    return dataclasses.replace(
        statement,
        title=say(statement.title),
        explanation=say(statement.explanation),
        scope_label=say(statement.scope_label),
        why_not=say(statement.why_not) if statement.why_not else statement.why_not,
    )


async def _notice_page(
    request: Request, *, status: int = 200, value: str = "", **extra: object
) -> Response:
    try:
        statement = await notice.show(web_of(request).deps, site_of(request).code, _view(request))
    except FlowExpired:
        return redirect(EXPIRED)
    return page(
        request,
        "suspension_notice.html",
        statement=_in_words(request, statement),
        value=value,
        max_appeal=MAX_APPEAL,
        max_appeal_shown=format_decimal(MAX_APPEAL, locale=babel_name(locale_of(request))),
        status=status,
        **extra,
    )


@router.get(SHOWN)
async def notice_page(request: Request) -> Response:
    """The statement of reasons and, while an appeal is possible, the appeal form."""
    return await _notice_page(request)


@router.post(LANDING)
async def appeal_submit(request: Request) -> Response:
    """Submit appeal: a case for the trust team; the case number is shown once."""
    form = await form_of(request)
    written = text(form, "appeal")
    try:
        sent = await appeals.submit(
            web_of(request).deps,
            site_of(request).code,
            _view(request),
            text=written,
            who=who(request),
        )
    except FlowExpired:
        return redirect(EXPIRED)
    except (Conflict, Forbidden) as exc:  # one is open, or none can be: not about the text
        return await _notice_page(
            request, status=exc.status, value=written, problem=said(request, exc)
        )
    except EntrywayError as exc:  # the text refused: said beside its field
        return await _notice_page(
            request, status=422, value=written, errors={"appeal": said(request, exc)}
        )
    # Redirected, so that a reload does not send the appeal twice.
    response = redirect(SENT)
    once.hand_over(
        request,
        response,
        APPEAL_SENT,
        _binding(request),
        {"case_number": sent.case_number, "number": sent.number},
    )
    return response


@router.get(SENT)
async def appeal_sent(request: Request) -> Response:
    """Appeal sent, with its case number (a reload goes back to the notice, which says the
    appeal is with the team)."""
    shown = once.take(request, APPEAL_SENT, _binding(request)) or {}
    number = shown.get("case_number")
    if not isinstance(number, str):
        return redirect(SHOWN)
    response = page(request, "suspension_appeal_sent.html", case_number=number)
    once.used(request, response)
    return response


@router.get(EXPIRED)
async def notice_expired(request: Request) -> Response:
    """The link or the view has ended: say how to see the notice again."""
    return page(request, "suspension_notice.html", statement=None, status=410)


def refused(request: Request, exc: AccountSuspended) -> Response:
    """A sign-in page's answer when the flow refused a suspended account after a right
    password (and second step): the sign-in page says so and links to the notice, whose
    token goes in its cookie; the half-done sign-in's cookies go."""
    response = page(
        request,
        "signin.html",
        identifier="",
        return_to="",
        suspended=said(request, exc),
        status=exc.status,
    )
    hand_notice(response, request, exc.notice_token)
    for name in (PARTIAL, FLOW, REMEMBER_ASKED, IDENT):
        clear_cookie(response, site_of(request), name)
    return response
