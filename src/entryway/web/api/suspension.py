"""The JSON API of a suspension notice: the statement of reasons, and an appeal against it.

Both take the ``notice_token`` of a 403 ``account_suspended`` (from ``/sign-in``, its second
step or its confirm code) or of a finished reset, unlock or recovery; the token shows the
notice and takes an appeal, nothing else (it opens no session). The same flows serve the
``/suspension`` pages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from entryway.core.suspension import MAX_APPEAL
from entryway.flows.trust import appeals, measures, notice
from entryway.web.api.contract import Clean, ErrorOut, In, Text, answers
from entryway.web.errors import NOTICE_PATH
from entryway.web.i18n import gettext_for
from entryway.web.render import web_of, who
from entryway.web.security import site_of

router = APIRouter(prefix="/api/v1", tags=["suspension"])


class NoticeIn(In):
    notice_token: Text


class AppealIn(In):
    notice_token: Text
    text: Annotated[str, Field(max_length=MAX_APPEAL), Clean]


class AppealOut(BaseModel):
    """Appeal sent: a case for our team, decided by a person; the decision is emailed."""

    case_number: str
    number: int = Field(description="1 for a first appeal, 2 for a second.")


class AppealSummaryOut(BaseModel):
    number: int
    state: Literal["open", "upheld", "reinstated", "withdrawn"]
    created_at: datetime
    decided_at: datetime | None
    decision_reason: str = Field(description="Our reason, once decided; empty before.")
    case_number: str


class StatementOut(BaseModel):
    """The statement of reasons: what was done, for how long, on what facts and ground,
    whether automated means were used, and the redress."""

    measure: Literal["suspension", "warning"]
    scope: Literal["account"]
    scope_label: str
    reason_code: str
    title: str = Field(description="The ground, in a few words.")
    explanation: str
    terms_section: str = Field(description="The section of the terms the ground rests on.")
    facts: str
    automated: bool = Field(description="Whether automated means flagged the account.")
    starts_at: datetime
    until: datetime | None = Field(description="None: no end date, until lifted.")
    applies: bool = Field(description="Whether it stops sign-in now.")
    lifted_at: datetime | None
    can_appeal: bool
    appeal_until: datetime | None
    why_not: str | None = Field(description="Why no appeal can be sent now, when none can.")
    appeals: list[AppealSummaryOut]


class NoticeOut(BaseModel):
    """Done, but the account is suspended: nobody can sign in to it. ``notice_token`` shows
    the notice (``/suspension/notice``) and takes an appeal."""

    notice_token: str
    notice_url: str


NO_APPEAL = (
    "`forbidden`: no appeal can be sent now (it no longer applies, cannot be appealed "
    "here, was reviewed twice, or the time to appeal has ended)"
)
# For the routes that end a reset, an unlock or a recovery: 204, or this when suspended.
NOTICE_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"model": NoticeOut, "description": "Done, but the account is suspended."}
}


def done_or_notice(request: Request, notice_token: str | None) -> Response:
    """204 as before; 200 with the notice when the flow handed back a notice token."""
    if not notice_token:
        return Response(status_code=204)
    out = NoticeOut(notice_token=notice_token, notice_url=site_of(request).url(NOTICE_PATH))
    return JSONResponse(out.model_dump())


def statement_out(
    s: measures.Statement, gettext: Callable[[str], str] = lambda text: text
) -> StatementOut:
    """The statement as the API gives it; our own sentences in the reader's language (the
    store's reason texts and the facts are the store's words, as written)."""
    return StatementOut(
        measure=s.measure.value,
        scope=s.scope.value,
        scope_label=gettext(s.scope_label),
        reason_code=s.reason_code,
        title=s.title,
        explanation=s.explanation,
        terms_section=s.terms_section,
        facts=s.facts,
        automated=s.automated,
        starts_at=s.starts_at,
        until=s.until,
        applies=s.applies,
        lifted_at=s.lifted_at,
        can_appeal=s.can_appeal,
        appeal_until=s.appeal_until,
        why_not=gettext(s.why_not) if s.why_not else s.why_not,
        appeals=[
            AppealSummaryOut(
                number=a.number,
                state=a.state.value,
                created_at=a.created_at,
                decided_at=a.decided_at,
                decision_reason=a.decision_reason,
                case_number=a.case_number,
            )
            for a in s.appeals
        ],
    )


@router.post("/suspension/notice", response_model=StatementOut, responses=answers(410))
async def show_notice(body: NoticeIn, request: Request) -> StatementOut:
    """The statement of reasons for the suspension the token was given for. 410
    ``flow_expired``: the token is unknown, expired, or of another site."""
    shown = await notice.show(web_of(request).deps, site_of(request).code, body.notice_token)
    return statement_out(shown, gettext_for(request))


@router.post(
    "/suspension/appeal",
    response_model=AppealOut,
    status_code=201,
    responses={
        **answers(409, 410),
        403: {"model": ErrorOut, "description": NO_APPEAL},
    },
)
async def send_appeal(body: AppealIn, request: Request) -> AppealOut:
    """Appeal the suspension: ``text`` says why we should reconsider. 409 ``conflict``:
    an appeal is already open; 403 ``forbidden``: none can be sent now (the message, like
    the notice's ``why_not``, says why)."""
    sent = await appeals.submit(
        web_of(request).deps,
        site_of(request).code,
        body.notice_token,
        text=body.text,
        who=who(request),
    )
    return AppealOut(case_number=sent.case_number, number=sent.number)
