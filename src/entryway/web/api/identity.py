"""The JSON API of the identity check (``/identity-checks/...``) and of a pending recovery's
two links (``/recovery/cancel`` and ``/recovery/finish``), for a customer who lost both the
email and the phone on the account.

Every identifier gets the same answers in the same order, whatever is behind it: an unknown
one gets decoy questions, a code still goes to the new contact, and ``/verify`` ends every
check with ``{"next": "done"}``. What follows is written to the new contact; nothing here
says what the evidence was, and nothing here signs anyone in (SECURITY.md 17).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from entryway.core.questions import ANSWER_COUNT
from entryway.flows.recovery import finish, identity_check, pending
from entryway.flows.recovery.identity_check import CheckStep
from entryway.web.api.contract import Clean, Code, In, Secret, Text, again, answers
from entryway.web.api.questions import QuestionOut
from entryway.web.api.suspension import NOTICE_ANSWER, done_or_notice
from entryway.web.render import web_of, who
from entryway.web.security import site_of

router = APIRouter(prefix="/api/v1", tags=["identity check"])
Stage = Literal["questions", "order", "contact", "code", "done"]
LinkToken = Annotated[str, Field(max_length=100), Clean]


class CheckStartIn(In):
    identifier: Text


class CheckStepIn(In):
    flow_id: Text = Field(description="From the answer that started the check.")


class CheckAnswersIn(CheckStepIn):
    answers: list[Text] = Field(
        description="One answer per question, in the order `questions` listed them.",
        min_length=ANSWER_COUNT,
        max_length=ANSWER_COUNT,
    )


class CheckOrderIn(CheckStepIn):
    order_number: Text
    order_total: Text = Field(
        description='The amount paid, as a decimal number in `currency` (`"42.50"`).'
    )


class CheckContactIn(CheckStepIn):
    contact: Text = Field(description="The new email address or mobile phone number.")


class CheckCodeIn(CheckStepIn):
    code: Code


class CheckOut(BaseModel):
    flow_id: str
    next: Stage = Field(description="The step to send next; `done` has none.")
    questions: list[QuestionOut] = Field(
        description="At `next` `questions`: the three to answer, in order."
    )
    currency: str = Field(description="ISO 4217 code of the site's currency (`order_total`).")
    sent_to: str = Field(default="", description="At `next` `code`: where the code went, masked.")
    channel: Literal["", "email", "sms"] = ""
    resend_after_seconds: int = 0


class CheckDoneOut(BaseModel):
    next: Literal["done"] = "done"


class RecoveryCancelIn(In):
    token: LinkToken = Field(description="From the This wasn't me link's address.")


class RecoveryFinishIn(In):
    token: LinkToken = Field(description="From the Finish recovering your account link.")
    password: Secret
    password_again: Secret | None = Field(
        default=None, description="Optional for apps; when sent it must match `password`."
    )


def check_out(step: CheckStep) -> CheckOut:
    """One step of the check as the API tells it."""
    return CheckOut(
        flow_id=step.flow_token,
        next=step.stage,
        questions=[QuestionOut(id=q.id, text=q.text) for q in step.questions],
        currency=step.currency,
        sent_to=step.sent_to,
        channel=step.channel,
        resend_after_seconds=step.wait_seconds,
    )


STEP = answers(410)


@router.post("/identity-checks", response_model=CheckOut, status_code=201, responses=answers())
async def check_start(body: CheckStartIn, request: Request) -> CheckOut:
    """Start an identity check for the email or phone number of the account; the same
    kind of answer for every identifier. Answer its `questions` next."""
    step = await identity_check.start(
        web_of(request).deps, site_of(request).code, identifier=body.identifier, who=who(request)
    )
    return check_out(step)


@router.post("/identity-checks/answers", response_model=CheckOut, responses=answers(410, 429))
async def check_answers(body: CheckAnswersIn, request: Request) -> CheckOut:
    """The three answers. Nothing says whether they were right: the check always moves on
    to the order (`next: order`). Too soon after failed attempts, 429 like sign-in."""
    step = await identity_check.answer_questions(
        web_of(request).deps,
        site_of(request).code,
        flow_token=body.flow_id,
        answers=body.answers,
        who=who(request),
    )
    return check_out(step)


@router.post("/identity-checks/order", response_model=CheckOut, responses=STEP)
async def check_order(body: CheckOrderIn, request: Request) -> CheckOut:
    """A recent order's number and total. Only their form is checked (a 422 names the
    field): nothing is looked up before the check is over."""
    step = await identity_check.confirm_order(
        web_of(request).deps,
        site_of(request).code,
        flow_token=body.flow_id,
        order_number=body.order_number,
        order_total=body.order_total,
        who=who(request),
    )
    return check_out(step)


@router.post("/identity-checks/contact", response_model=CheckOut, responses=STEP)
async def check_contact(body: CheckContactIn, request: Request) -> CheckOut:
    """The new email or mobile number; a code goes there (`next: code`)."""
    step = await identity_check.new_contact(
        web_of(request).deps,
        site_of(request).code,
        flow_token=body.flow_id,
        contact=body.contact,
        who=who(request),
    )
    return check_out(step)


@router.post("/identity-checks/resend", response_model=CheckOut, responses=STEP)
async def check_resend(body: CheckStepIn, request: Request) -> CheckOut:
    """A new code to the new contact, once `resend_after_seconds` has passed."""
    step = await identity_check.resend(
        web_of(request).deps, site_of(request).code, flow_token=body.flow_id, who=who(request)
    )
    return check_out(step)


@router.post("/identity-checks/verify", response_model=CheckDoneOut, responses=STEP)
async def check_verify(body: CheckCodeIn, request: Request) -> CheckDoneOut:
    """The code sent to the new contact. Every check ends here the same way: we write to
    the new contact about what happens next. Nobody is signed in."""
    await identity_check.verify(
        web_of(request).deps,
        site_of(request).code,
        flow_token=body.flow_id,
        code=body.code,
        who=who(request),
    )
    return CheckDoneOut()


@router.post("/recovery/cancel", status_code=204, responses=answers(410))
async def recovery_cancel(body: RecoveryCancelIn, request: Request) -> Response:
    """This wasn't me: stop the recovery the link was sent about. Every session of the
    account ends. A used link, or a recovery that has ended, is 410."""
    deps, site = web_of(request).deps, site_of(request).code
    flow = await pending.open_cancel_link(deps, site, body.token, who(request))
    await pending.cancel(deps, site, flow_token=flow, who=who(request))
    return Response(status_code=204)


@router.post("/recovery/finish", status_code=204, responses={**answers(409, 410), **NOTICE_ANSWER})
async def recovery_finish(body: RecoveryFinishIn, request: Request) -> Response:
    """Finish recovering your account with a new password: the new contact replaces the
    old ones, every session ends and two-step verification is off. Sign in afterwards.
    409 `contact_taken`: the new contact went to another account meanwhile; nothing
    changed. 200 with a ``notice_token`` instead: recovered, but the account is suspended."""
    deps, site = web_of(request).deps, site_of(request).code
    flow = await finish.open_link(deps, site, body.token, who(request))
    notice_token = await finish.complete(
        deps,
        site,
        flow_token=flow,
        password=body.password,
        password_again=again(body.password, body.password_again),
        who=who(request),
    )
    return done_or_notice(request, notice_token)
