"""The JSON API's contract, shared by every journey's module: strict input types, the one
error shape, the bearer token, and the answers several journeys return.

Rules every route keeps (README "JSON API" says the same to app developers):
- input is strict JSON: a string is never read as a boolean or a number, and no string may
  hold a NUL character or half a surrogate pair (PostgreSQL and the hasher refuse them);
- every error is ``{"error": {"code", "message", "field"}}`` and never repeats the input;
- session tokens, full and partial, travel only in ``Authorization: Bearer``; flow ids and
  the remembered-browser token travel in the body.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, Literal, Protocol

from fastapi import Depends, Path
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError
from starlette.requests import Request
from starlette.types import Scope

from entryway.errors import Unauthenticated
from entryway.flows.account import account as account_flow
from entryway.flows.account.account import Current
from entryway.flows.ports import Requester
from entryway.flows.recovery import password_reset
from entryway.web.render import web_of, who
from entryway.web.security import site_of


def clean_text(value: str) -> str:
    """Refuse what no column or hash can hold: NUL characters and lone surrogates."""
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "This must not contain a NUL character.")
    return value  # lone surrogates: pydantic refuses them itself (``string_unicode``)


Clean = AfterValidator(clean_text)
Secret = Annotated[str, Field(max_length=4096), Clean]
Text = Annotated[str, Field(max_length=400), Clean]
Code = Annotated[str, Field(max_length=40), Clean]
PathId = Annotated[str, Path(max_length=100), Clean]  # ids in paths: a device, a method
# At least 128 bits of the app's own randomness, so nobody else can claim to be that device.
DeviceId = Annotated[str, Field(pattern=r"^([A-Za-z0-9_-]{22,64})?$")]


class In(BaseModel):
    """Every request body: strict types, so ``"true"`` is not a boolean nor ``"1"`` a number."""

    model_config = ConfigDict(strict=True)


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable: match on this, never on the message.")
    message: str = Field(description="For people; may change.")
    field: str | None = Field(description="The request field at fault, when there is one.")


class ErrorOut(BaseModel):
    """The one shape of every error the API answers."""

    error: ErrorDetail


WHY: dict[int, str] = {
    400: "`malformed_request`: the body is not readable JSON (or not UTF-8)",
    401: "`unauthenticated`: no valid bearer token (at `/sign-in`: `sign_in_failed`, one "
    "answer for every wrong pair)",
    403: "`forbidden`: enter the password again first (`/account/reauthenticate`)",
    404: "`not_found`: nothing of that id on this site",
    405: "`method_not_allowed`: see the `Allow` header",
    409: "`conflict`: already done, or one already open",
    410: "`flow_expired`: the flow id is unknown, finished or expired; start again",
    413: "`payload_too_large`: the body is over 64 KiB",
    422: "`invalid_input` (names the field), `invalid_identifier`, `password_rejected` "
    "or `code_rejected`",
    423: "`account_locked`: refused before any password check",
    429: "`sign_in_throttled`: wait `Retry-After` seconds",
    503: "`unavailable`: the database cannot be reached just now; nothing was done that "
    "was not committed; try again after `Retry-After` seconds",
}
HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer`"}},
    405: {"Allow": {"schema": {"type": "string"}, "description": "the methods this path takes"}},
    429: {"Retry-After": {"schema": {"type": "string"}, "description": "seconds to wait"}},
    503: {"Retry-After": {"schema": {"type": "string"}, "description": "seconds to wait"}},
}
# What any route with a body may answer: an unreadable, oversized or invalid body.
COMMON = (400, 413, 422)
# What every route may answer: the database out of reach for a moment.
EVERYWHERE = (503,)


class SuspendedDetail(ErrorDetail):
    notice_token: str = Field(
        description="Shows the statement of reasons (`/suspension/notice`) and takes an "
        "appeal (`/suspension/appeal`) for up to an hour; it opens no session."
    )
    notice_url: str = Field(description="The notice page on this site, for a browser.")


class SuspendedOut(BaseModel):
    """The right password (and second step) met a suspension: no session was opened."""

    error: SuspendedDetail


SUSPENDED = (
    "`account_suspended`: the password (and any second step or code) was right, but the "
    "account is suspended; no session was opened"
)


class ClosedDetail(ErrorDetail):
    until: datetime = Field(
        description="When the account is erased; until then Customer Service can reopen it."
    )
    ask_url: str = Field(description="Ask us on this site, with Reopen my closed account chosen.")


class RefusedOut(BaseModel):
    """The right password or passkey met a suspended or a closed account: no session."""

    error: SuspendedDetail | ClosedDetail


CLOSED = (
    " or `account_closed`: the password or passkey was right, but its owner closed the "
    "account (`until`: when it is erased)"
)


def answers(
    *statuses: int, body: bool = True, suspended: bool = False, closed: bool = False
) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of the error statuses a route can answer, in the error shape
    (``body=False``: a route that reads no body, so only ``statuses``; ``suspended``: a
    route that finishes a sign-in, whose 403 is ``account_suspended``; ``closed``: one
    whose right password or passkey may also meet a closed account)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in sorted({*(COMMON if body else ()), *EVERYWHERE, *statuses}):
        entry: dict[str, Any] = {"model": ErrorOut, "description": WHY[status]}
        if status in HEADERS:
            entry["headers"] = HEADERS[status]
        out[status] = entry
    if suspended and closed:
        out[403] = {"model": RefusedOut, "description": SUSPENDED + CLOSED}
    elif suspended:
        out[403] = {"model": SuspendedOut, "description": SUSPENDED}
    return out


bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A session token from sign-in: a full one, or the partial one that only the "
    "second step (`/sign-in/two-step/...`), `/session` and `/sign-out` accept.",
)


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> str:
    """The token of ``Authorization: Bearer <token>``; without one the answer is 401. (A
    coroutine: FastAPI runs a plain function dependency in its thread pool, a thread hop
    on every request for a few string operations.)"""
    if credentials is None or not credentials.credentials:
        raise Unauthenticated("Send Authorization: Bearer <session token>.")
    return credentials.credentials.strip()


async def maybe_bearer(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> str | None:
    """The bearer token if one was sent (sign-out accepts a missing one)."""
    return credentials.credentials.strip() if credentials else None


Token = Annotated[str, Depends(bearer_token)]


class SessionBearer(HTTPBearer):
    """The bearer scheme, resolved to the API's full session in the one dependency: each
    nested dependency costs FastAPI a solve on every request (a session check paid three).
    The same scheme in the OpenAPI document as ``bearer_scheme``."""

    async def __call__(self, request: Request) -> Current:  # type: ignore[override]
        token = bearer_credentials(request.scope)
        if not token:
            raise Unauthenticated("Send Authorization: Bearer <session token>.")
        return await account_flow.current(web_of(request).deps, site_of(request).code, token)


def bearer_credentials(scope: Scope) -> str:
    """The credentials of the request's ``Authorization: Bearer`` header ("" if none), read
    as ``HTTPBearer`` reads them (the first such header; the scheme in any case), from the
    scope itself: building the request's headers for it cost more than the parsing."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            return credentials.strip() if scheme.lower() == "bearer" else ""
    return ""


signed_in = SessionBearer(
    auto_error=False,
    scheme_name=bearer_scheme.scheme_name,
    description=bearer_scheme.model.description,
)
Me = Annotated[Current, Depends(signed_in)]


def api_who(request: Request, device_id: str) -> Requester:
    """The requester, with the app's install id as its device (apps keep no cookies)."""
    found = who(request)
    return replace(found, device=device_id) if device_id else found


class Done(BaseModel):
    """Signed in: the session token, and until when it lives."""

    next: Literal["done"] = "done"
    session_token: str
    account_id: str
    expires_at: datetime = Field(description="Ends here unless used before; each use extends it.")
    ends_at: datetime = Field(description="Ends here however much it is used.")


class Opened(Protocol):
    """What every flow that opens a session returns."""

    @property
    def session_token(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def expires_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...


def done(opened: Opened) -> Done:
    """The ``done`` answer for a session just opened (its deadlines come with it, so no
    sign-in pays a query to read them back)."""
    return Done(
        session_token=opened.session_token,
        account_id=opened.account_id,
        expires_at=opened.expires_at,
        ends_at=opened.ends_at,
    )


class SentOut(BaseModel):
    sent_to: str


class FlowOut(BaseModel):
    flow_id: str
    sent_to: str


class CodeIn(In):
    flow_id: Text
    code: Code


class FlowIn(In):
    flow_id: Text


class ResetIn(In):
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


class ChooseIn(In):
    flow_id: Text
    index: int = Field(ge=0, le=20)
    channel: Literal["email", "sms", "voice"]


class NewPasswordIn(In):
    flow_id: Text
    password: Secret
    password_again: Secret | None = Field(
        default=None, description="Optional for apps; when sent it must match `password`."
    )


def again(password: str, password_again: str | None) -> str:
    """Pages ask for the password twice; apps may send it once."""
    return password if password_again is None else password_again


class Ended(BaseModel):
    ended: int


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
