"""The JSON API's verification questions: the list, which are set, and setting them."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from entryway.errors import AnswersRejected
from entryway.flows.account import questions
from entryway.web.api.contract import In, Me, Secret, Text, answers
from entryway.web.i18n import gettext_for
from entryway.web.render import web_of, who

router = APIRouter(prefix="/api/v1", tags=["account"])


class QuestionOut(BaseModel):
    id: str = Field(description="Stable: send it back as `question_id`.")
    text: str


class QuestionsOut(BaseModel):
    questions: list[QuestionOut] = Field(description="The questions to choose from.")
    chosen: list[str] = Field(description="Ids of the questions set, in order; [] if none.")
    set_at: datetime | None = Field(description="When they were set; answers are never shown.")


class AnswerIn(In):
    question_id: Text
    answer: Secret


class AnswersIn(In):
    answers: list[AnswerIn] = Field(
        description="Exactly 3, each for a different question.", max_length=10
    )


@router.get("/account/questions", response_model=QuestionsOut, responses=answers(401, body=False))
async def get_questions(me: Me, request: Request) -> QuestionsOut:
    """The questions on offer and which the account has set (never the answers)."""
    info = await questions.current(web_of(request).deps, me)
    gettext = gettext_for(request)  # the shipped questions are in the catalog; a store's not
    return QuestionsOut(
        questions=[QuestionOut(id=q.id, text=gettext(q.text)) for q in info.offered],
        chosen=[q.id for q in info.chosen],
        set_at=info.set_at,
    )


@router.put("/account/questions", status_code=204, responses=answers(401, 403))
async def put_questions(body: AnswersIn, me: Me, request: Request) -> Response:
    """Set or replace all three answers; needs the password given in the last ten minutes
    (`/account/reauthenticate`). A refused answer names its field, `answers.N.answer`."""
    choices = [(a.question_id, a.answer) for a in body.answers]
    try:
        await questions.set_answers(web_of(request).deps, me, choices, who(request))
    except AnswersRejected as exc:
        raise AnswersRejected(
            {_api_field(name): why for name, why in exc.problems.items()}
        ) from None
    return Response(status_code=204)


def _api_field(name: str) -> str:
    """``answer_2`` (the page's field) as ``answers.1.answer`` (this body's)."""
    kind, _, n = name.rpartition("_")
    return f"answers.{int(n) - 1}.{'question_id' if kind == 'question' else 'answer'}"
