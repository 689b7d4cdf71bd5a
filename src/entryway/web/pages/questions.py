"""The Verification questions page of Login & security."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from entryway.core.questions import ANSWER_COUNT
from entryway.errors import AnswersRejected, EntrywayError, Forbidden
from entryway.flows.account import questions
from entryway.flows.account.account import Current
from entryway.flows.account.two_step import require_recent
from entryway.web.i18n import gettext_for, said
from entryway.web.render import form_of, page, redirect, signed_in_page, text, web_of, who

router = APIRouter(include_in_schema=False)
PATH = "/account/questions"
CHANGING = "questions"  # which sentence reauth.html says


def _reauth(request: Request, me: Current) -> Response:
    """The password-again step of two-step changes, coming back here when done."""
    return page(request, "reauth.html", me=me, back=PATH, changing=CHANGING)


@router.get(PATH)
async def questions_form(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    deps = web_of(request).deps
    try:
        require_recent(deps, me)
    except Forbidden:
        return _reauth(request, me)
    info = await questions.current(deps, me)
    chosen = [q.id for q in info.chosen] or [""] * ANSWER_COUNT  # questions, never answers
    return page(request, "questions.html", me=me, info=info, chosen=chosen)


@router.post(PATH)
async def questions_submit(request: Request, me: Current = Depends(signed_in_page)) -> Response:
    form = await form_of(request)
    deps = web_of(request).deps
    picked = [text(form, f"question_{n}") for n in range(1, ANSWER_COUNT + 1)]
    answers = [text(form, f"answer_{n}") for n in range(1, ANSWER_COUNT + 1)]
    try:
        await questions.set_answers(deps, me, list(zip(picked, answers, strict=True)), who(request))
    except Forbidden:
        return _reauth(request, me)
    except EntrywayError as exc:
        if isinstance(exc, AnswersRejected):
            gettext = gettext_for(request)
            errors = {name: gettext(problem) for name, problem in exc.problems.items()}
        else:
            errors = {"question_1": said(request, exc)}
        info = await questions.current(deps, me)
        return page(
            request,
            "questions.html",
            me=me,
            info=info,
            chosen=picked,  # what was chosen stays chosen; answers are typed again
            errors=errors,
            status=422,
        )
    return redirect("/account?done=questions")
