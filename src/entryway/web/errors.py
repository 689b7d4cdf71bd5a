"""How errors leave the JSON API: always ``{"error": {"code", "message", "field"}}``.

FastAPI's own answers (``{"detail": ...}``, the input echoed back inside a 422) never reach
an app: request validation, unreadable bodies, wrong methods and oversized bodies are all
mapped here to stable codes, with messages of our own that never repeat the input.

Messages are in the request's language (``Accept-Language`` among the site's locales, as
``web.i18n.locale_of`` picks it) and say so in ``Content-Language``; codes never change.
A request with no site known yet (an unknown host, a body refused before routing) gets
the English source text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entryway.core.locales import N_
from entryway.errors import (
    AccountClosed,
    AccountSuspended,
    EntrywayError,
    SignInThrottled,
    Unauthenticated,
)
from entryway.web import i18n
from entryway.web.security import site_of

MAX_BODY = 64 * 1024  # no journey needs more; larger bodies are refused before parsing

HTTP_CODES = {
    400: "malformed_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}
HTTP_MESSAGES = {
    400: N_("The request body is not readable JSON."),
    404: N_("Not found."),
    405: N_("This path does not take that method."),
    413: N_("The request body is too large."),
}
NOT_ACCEPTED = N_("The request was not accepted.")
CRASHED = N_("Something went wrong on our side.")
NO_BODY = N_("The request needs a JSON object as its body.")
# "field: sentence", where the field is the JSON path as the app sent it (never translated).
FIELD_SAID = N_("{field}: {sentence}")
# Our own words for pydantic's error types, so nothing of the input is repeated.
SENTENCES = {
    "missing": N_("This field is required."),
    "string_type": N_("This must be a string."),
    "bool_type": N_("This must be true or false."),
    "int_type": N_("This must be a whole number."),
    "int_from_float": N_("This must be a whole number."),
    "string_too_long": N_("This is too long: at most {max_length} characters."),
    "string_too_short": N_("This is too short: at least {min_length} characters."),
    "string_pattern_mismatch": N_("This is not in the expected format."),
    "greater_than_equal": N_("This must be at least {ge}."),
    "less_than_equal": N_("This must be at most {le}."),
    "literal_error": N_("This must be one of {expected}."),
    "nul_character": N_("This must not contain a NUL character."),
    "string_unicode": N_("This is not valid Unicode text."),
    "model_attributes_type": N_("The request body must be a JSON object."),
    "model_type": N_("The request body must be a JSON object."),
    "dict_type": N_("The request body must be a JSON object."),
}
FALLBACK = N_("This value is not accepted.")


def api_error(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    *,
    locale: str | None = None,
    **headers: str,
) -> JSONResponse:
    """The one error shape; ``locale`` is the language ``message`` is written in."""
    response = JSONResponse(
        {"error": {"code": code, "message": message, "field": field}}, status_code=status
    )
    response.headers.update(headers)
    if locale:
        response.headers["content-language"] = locale
    return response


def _gettext(request: Request | None) -> tuple[Callable[[str], str], str | None]:
    """The request's catalog and locale; the source text (English) when no site is known
    (the host was refused) or the app has no catalogs yet."""
    if request is None or getattr(request.state, "site", None) is None:
        return (lambda text: text), None
    try:
        return i18n.gettext_for(request), i18n.locale_of(request)
    except (AttributeError, LookupError):
        return (lambda text: text), None


def our_sentence(request: Request | None, text: str) -> tuple[str, str | None]:
    """One of our own sentences in the request's language, and that language."""
    gettext, locale = _gettext(request)
    return gettext(text), locale


def is_api(request: Request) -> bool:
    """Errors under ``/api/`` answer in JSON; everywhere else, as a page."""
    return str(request.scope.get("path", "")).startswith("/api/")  # no URL to build


def from_entryway(request: Request, exc: EntrywayError) -> JSONResponse:
    """A deliberate error; 401s name the scheme (RFC 6750 §3)."""
    headers: dict[str, str] = {}
    if isinstance(exc, SignInThrottled):
        headers["retry-after"] = str(exc.retry_after)
    if exc.status == 401:
        sent = request.headers.get("authorization", "")[:7].lower() == "bearer "
        wrong_token = isinstance(exc, Unauthenticated) and sent
        headers["www-authenticate"] = 'Bearer error="invalid_token"' if wrong_token else "Bearer"
    if isinstance(exc, AccountSuspended):
        return suspended_error(request, exc)
    if isinstance(exc, AccountClosed):
        return closed_error(request, exc)
    message, locale = _said_error(request, exc)
    return api_error(exc.status, exc.code, message, exc.field, locale=locale, **headers)


def _said_error(request: Request, exc: EntrywayError) -> tuple[str, str | None]:
    _, locale = _gettext(request)
    if locale is None:
        return exc.message, None
    return i18n.said(request, exc), locale


NOTICE_PATH = "/suspension"  # the notice page (web/pages/suspension.py), for a browser
ASK_REOPEN = "/help/ask?topic=reopen"  # Ask us, with Reopen my closed account chosen


def suspended_error(request: Request, exc: AccountSuspended) -> JSONResponse:
    """403 ``account_suspended``, the one error that carries more: the notice-view token
    (for ``/suspension/notice`` and ``/suspension/appeal``) and the page that shows the
    notice, on the site's configured origin."""
    message, locale = _said_error(request, exc)
    error = {
        "code": exc.code,
        "message": message,
        "field": None,
        "notice_token": exc.notice_token,
        "notice_url": site_of(request).url(NOTICE_PATH),
    }
    response = JSONResponse({"error": error}, status_code=exc.status)
    if locale:
        response.headers["content-language"] = locale
    return response


def closed_error(request: Request, exc: AccountClosed) -> JSONResponse:
    """403 ``account_closed``, with ``until``: the moment it is erased (ISO 8601), before
    which Customer Service can reopen it (``ask_url``: the Ask us page, topic chosen)."""
    message, locale = _said_error(request, exc)
    error = {
        "code": exc.code,
        "message": message,
        "field": None,
        "until": exc.until.isoformat(),
        "ask_url": site_of(request).url(ASK_REOPEN),
    }
    response = JSONResponse({"error": error}, status_code=exc.status)
    if locale:
        response.headers["content-language"] = locale
    return response


def from_validation(errors: Sequence[Any], request: Request | None = None) -> JSONResponse:
    """Request validation: 400 for an unreadable body, else 422 naming the first bad field."""
    gettext, locale = _gettext(request)
    if any(e.get("type") == "json_invalid" for e in errors):
        return api_error(400, "malformed_request", gettext(HTTP_MESSAGES[400]), locale=locale)
    first = errors[0] if errors else {}
    loc = [str(part) for part in first.get("loc", ())]
    if loc and loc[0] in {"body", "query", "path", "header"}:
        loc = loc[1:]
    field = ".".join(loc) or None
    kind = str(first.get("type"))
    template = SENTENCES.get(kind, FALLBACK)
    if field is None and kind == "missing":
        template = NO_BODY
    try:
        sentence = gettext(template).format(**_safe_context(first.get("ctx") or {}))
    except (KeyError, IndexError):
        sentence = gettext(FALLBACK)
    message = gettext(FIELD_SAID).format(field=field, sentence=sentence) if field else sentence
    return api_error(422, "invalid_input", message, field, locale=locale)


def _safe_context(ctx: dict[str, Any]) -> dict[str, str]:
    """Only the limits we set ourselves; values longer than a limit could be input."""
    keep = {"max_length", "min_length", "ge", "le", "expected"}
    return {k: str(v)[:200] for k, v in ctx.items() if k in keep}


def from_http(exc: HTTPException, request: Request | None = None) -> JSONResponse:
    """Starlette's and FastAPI's own errors (404, 405, unreadable bodies), in our shape."""
    status = exc.status_code
    code = HTTP_CODES.get(status, "error")
    message, locale = our_sentence(request, HTTP_MESSAGES.get(status, NOT_ACCEPTED))
    return api_error(status, code, message, locale=locale, **dict(exc.headers or {}))


def crashed(request: Request | None = None) -> JSONResponse:
    """500 ``internal_error``: nothing of what went wrong, in the request's language."""
    message, locale = our_sentence(request, CRASHED)
    return api_error(500, "internal_error", message, locale=locale)


class BodyLimit:
    """Refuse bodies over ``limit`` bytes before anything parses them (413).

    A declared Content-Length over the limit is answered at once; a body that streams past
    it raises 413 from ``receive``, which FastAPI and Starlette pass on unchanged.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await _too_large(scope, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise HTTPException(413, HTTP_MESSAGES[413])
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else MAX_BODY * 1024  # unreadable: too large
    return None


async def _too_large(scope: Scope, send: Send) -> None:
    if str(scope.get("path", "")).startswith("/api/"):
        body = json.dumps(
            {"error": {"code": "payload_too_large", "message": HTTP_MESSAGES[413], "field": None}}
        ).encode()
        kind = b"application/json"
    else:
        body, kind = b"That request is too large.", b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
