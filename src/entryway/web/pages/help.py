"""The help center: the article index, the articles and the "Can't sign in?" troubleshooter.

Nothing here takes an identifier or looks at who is asking beyond the page header, so no
answer depends on whether an account exists. The troubleshooter's forms are GETs: they
change nothing, so they carry no CSRF token and work without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from entryway.core.articles import fill
from entryway.core.locales import N_
from entryway.core.sites import Site
from entryway.core.troubleshoot import ASK_US, SIGN_IN_HELP, Outcome, Question
from entryway.web.i18n import gettext_for, locale_of
from entryway.web.render import page, redirect, web_of
from entryway.web.security import site_of

router = APIRouter(include_in_schema=False)
TROUBLESHOOTER = "/help/sign-in"
CHOOSE_ONE = N_("Choose one of the answers.")


def _step_url(node: str) -> str:
    return TROUBLESHOOTER if node == SIGN_IN_HELP.start else f"{TROUBLESHOOTER}/{node}"


def _texts(site: Site) -> dict[str, str]:
    return {"brand": site.brand, "site": site.name}


def _words(request: Request) -> Callable[[str], str]:
    """The troubleshooter's texts in the request's language, placeholders filled in after
    translating (so a catalog entry keeps ``{brand}`` where its language puts it)."""
    gettext, texts = gettext_for(request), _texts(site_of(request))
    return lambda text: fill(gettext(text), texts) if text else ""


@router.get("/help")
async def help_index(request: Request) -> Response:
    site = site_of(request)
    return page(
        request,
        "help_index.html",
        articles=web_of(request).articles.index(site.code, locale_of(request, site)),
        ask_us=ASK_US,
    )


@router.get("/help/contact")
async def help_contact(request: Request) -> Response:
    """Messages link "Contact us" here (flows.outbox.notices.CONTACT): it is Ask us now."""
    return redirect(ASK_US)


@router.get(TROUBLESHOOTER)
async def troubleshoot_start(request: Request, asked: str = "", answer: str = "") -> Response:
    return _question(request, SIGN_IN_HELP.start, asked, answer)


@router.get(TROUBLESHOOTER + "/{node}")
async def troubleshoot_step(
    request: Request, node: str, asked: str = "", answer: str = ""
) -> Response:
    outcome = SIGN_IN_HELP.outcomes.get(node)
    if outcome is not None:
        return _outcome(request, outcome)
    if node == SIGN_IN_HELP.start or node not in SIGN_IN_HELP.questions:
        # The first question lives at /help/sign-in itself, so each question has one address.
        raise HTTPException(404)
    return _question(request, node, asked, answer)


def _question(request: Request, node: str, asked: str, answer: str) -> Response:
    """The question, or on to where ``answer`` leads; a missing or unknown answer gets the
    question again with the error on the radio group."""
    if asked or answer:
        leads_to = SIGN_IN_HELP.next(node, answer)
        if leads_to is not None:
            return redirect(_step_url(leads_to))
    question: Question = SIGN_IN_HELP.questions[node]
    say = _words(request)
    return page(
        request,
        "troubleshoot_question.html",
        title=say(question.prompt),
        question=question,
        prompt=say(question.prompt),
        hint=say(question.hint),
        answers=[(a.id, say(a.label)) for a in question.answers],
        action=_step_url(node),
        first=node == SIGN_IN_HELP.start,
        error=say(CHOOSE_ONE) if asked or answer else "",
        status=422 if asked or answer else 200,
    )


def _outcome(request: Request, outcome: Outcome) -> Response:
    site = site_of(request)
    say = _words(request)
    articles = web_of(request).articles
    locale = locale_of(request, site)
    article = articles.article(site.code, outcome.article, locale) if outcome.article else None
    return page(
        request,
        "troubleshoot_outcome.html",
        title=say(outcome.heading),
        outcome=outcome,
        heading=say(outcome.heading),
        go_label=say(outcome.go_label),
        why=[say(p) for p in outcome.why],
        article=article,
        others=web_of(request).deps.sites.others(site) if outcome.other_sites else [],
        ask_us=ASK_US,
        restart=TROUBLESHOOTER,
    )


@router.get("/help/{slug}")
async def help_article(request: Request, slug: str) -> Response:
    """One article; an unknown slug is the ordinary 404 page."""
    site = site_of(request)
    article = web_of(request).articles.article(site.code, slug, locale_of(request, site))
    if article is None:
        raise HTTPException(404)
    return page(
        request,
        "help_article.html",
        title=article.title,
        article=article,
        troubleshooter=TROUBLESHOOTER,
        ask_us=ASK_US,
    )
