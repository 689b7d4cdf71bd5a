"""The JSON API's support cases: Ask us, the case by its link, a signed-in customer's cases.

A case link's token travels in the body (never in a URL an app might log); a signed-in
customer's cases need the bearer token. Signed out, every input gets the same answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.requests import Request

from entryway.core.cases import CUSTOMER_TOPICS, MAX_MESSAGE, CaseState, Topic
from entryway.errors import InvalidInput
from entryway.flows.support import cases as support
from entryway.flows.support import verify
from entryway.flows.support.cases import Access, CustomerCase, ViaLink, ViaSession
from entryway.web.api.contract import (
    Clean,
    Code,
    In,
    PathId,
    Text,
    Token,
    answers,
    maybe_bearer,
)
from entryway.web.render import web_of, who
from entryway.web.security import site_of

router = APIRouter(prefix="/api/v1", tags=["support"])

# No longer than the flow takes: at 12 bytes a character (an escaped surrogate pair), the
# longest body still fits under the 64 KiB cap, so it is refused as too long, not as too big.
Message = Annotated[str, Field(max_length=MAX_MESSAGE), Clean]
CaseToken = Annotated[str, Field(max_length=200, description="From the View your case link.")]


class AskIn(In):
    topic: Text = Field(
        description="One of the Ask us topics: " + ", ".join(t.value for t in CUSTOMER_TOPICS)
    )
    message: Message
    name: Text | None = Field(default=None, description="Signed out only: who is asking.")
    contact: Text | None = Field(
        default=None, description="Signed out only: the email or mobile number we reply to."
    )


class AskOut(BaseModel):
    number: str = Field(description="The case number shown to the customer.")


class EntryOut(BaseModel):
    author: str = Field(description="`customer` or `agent`; internal notes are never shown.")
    body: str
    at: datetime


class CaseOut(BaseModel):
    number: str
    topic: Topic
    topic_label: str
    state: CaseState
    created_at: datetime
    can_reply: bool = Field(description="False once closed: open a new case instead.")
    code_asked: bool = Field(description="An agent sent a Verify it's you code to enter.")
    verified: bool
    entries: list[EntryOut]


class CaseItemOut(BaseModel):
    number: str
    topic_label: str
    state: CaseState
    created_at: datetime


class LinkIn(In):
    token: CaseToken


class LinkReplyIn(LinkIn):
    message: Message


class LinkCodeIn(LinkIn):
    code: Code


class ReplyIn(In):
    message: Message


class CodeIn(In):
    code: Code


def _out(case: CustomerCase) -> CaseOut:
    return CaseOut(
        number=case.number,
        topic=case.topic,
        topic_label=case.topic_label,
        state=case.state,
        created_at=case.created_at,
        can_reply=case.can_reply,
        code_asked=case.code_asked,
        verified=case.verified,
        entries=[EntryOut(author=e.author.value, body=e.body, at=e.at) for e in case.entries],
    )


MaybeToken = Annotated[str | None, Depends(maybe_bearer)]


@router.post("/cases", response_model=AskOut, status_code=201, responses=answers(401, 429))
async def ask(body: AskIn, request: Request, token: MaybeToken) -> AskOut:
    """Ask us. With a bearer token the case is the account's; without one, `name` and
    `contact` are needed and the answer is the same whatever contact is given."""
    deps = web_of(request).deps
    site = site_of(request).code
    if token:
        number = await support.open_signed_in(
            deps, site, token, body.topic, body.message, who(request)
        )
    else:
        if not body.name:
            raise InvalidInput("Enter your name.", field="name")
        if not body.contact:
            raise InvalidInput("Enter an email address or mobile number.", field="contact")
        number = await support.open_signed_out(
            deps, site, body.name, body.contact, body.topic, body.message, who(request)
        )
    return AskOut(number=number)


@router.post("/cases/by-link", response_model=CaseOut, responses=answers(404, 410))
async def by_link(body: LinkIn, request: Request) -> CaseOut:
    """The case a View your case link opens, while it is open (410 once closed)."""
    case = await support.view(web_of(request).deps, site_of(request).code, ViaLink(body.token))
    return _out(case)


@router.post("/cases/by-link/replies", response_model=CaseOut, responses=answers(404, 410))
async def reply_by_link(body: LinkReplyIn, request: Request) -> CaseOut:
    """Your reply on a case opened by its link; a solved case reopens."""
    return await _reply(request, ViaLink(body.token), body.message)


@router.post("/cases/by-link/verify", response_model=CaseOut, responses=answers(404, 410))
async def verify_by_link(body: LinkCodeIn, request: Request) -> CaseOut:
    """The Verify it's you code an agent sent to a contact on file."""
    return await _verify(request, ViaLink(body.token), body.code)


@router.get("/account/cases", response_model=list[CaseItemOut], responses=answers(401, body=False))
async def my_cases(request: Request, token: Token) -> list[CaseItemOut]:
    """Your support cases, newest first."""
    found = await support.cases_of_account(web_of(request).deps, site_of(request).code, token)
    return [CaseItemOut(**vars_of(c)) for c in found]


def vars_of(item: support.CaseListItem) -> dict[str, object]:
    return {
        "number": item.number,
        "topic_label": item.topic_label,
        "state": item.state,
        "created_at": item.created_at,
    }


@router.get(
    "/account/cases/{number}", response_model=CaseOut, responses=answers(401, 404, 422, body=False)
)
async def my_case(number: PathId, request: Request, token: Token) -> CaseOut:
    """One of your cases, closed ones included."""
    access = ViaSession(token, number)
    return _out(await support.view(web_of(request).deps, site_of(request).code, access))


@router.post(
    "/account/cases/{number}/replies", response_model=CaseOut, responses=answers(401, 404, 410)
)
async def my_case_reply(number: PathId, body: ReplyIn, request: Request, token: Token) -> CaseOut:
    """Your reply on one of your cases."""
    return await _reply(request, ViaSession(token, number), body.message)


@router.post(
    "/account/cases/{number}/verify", response_model=CaseOut, responses=answers(401, 404, 410)
)
async def my_case_verify(number: PathId, body: CodeIn, request: Request, token: Token) -> CaseOut:
    """The Verify it's you code, on one of your cases."""
    return await _verify(request, ViaSession(token, number), body.code)


async def _reply(request: Request, access: Access, message: str) -> CaseOut:
    case = await support.reply_as_customer(
        web_of(request).deps, site_of(request).code, access, message, who(request)
    )
    return _out(case)


async def _verify(request: Request, access: Access, code: str) -> CaseOut:
    case = await verify.enter_verification_code(
        web_of(request).deps, site_of(request).code, access, code, who(request)
    )
    return _out(case)
