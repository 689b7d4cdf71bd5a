"""The recovery, case, Ask us, help and suspension pages in French on the Canada site.

Every French label is looked up in the fr-CA catalog, never written here, so the test says
"this page speaks the catalog's French" and keeps passing when a translation is reworded.
The same pages with ``Accept-Language: en-CA`` stay in the English of the source."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from html import unescape

import httpx
import pytest

from entryway.adapters.i18n import load_catalogs
from entryway.bootstrap import app_for
from entryway.core.cases import CUSTOMER_STATE_LABELS, TOPIC_LABELS, CaseState, Topic
from entryway.core.questions import SHIPPED
from entryway.core.suspension import DEMO_REASONS
from entryway.core.troubleshoot import SIGN_IN_HELP
from entryway.settings import demo_sites
from tests.conftest import World
from tests.web.helpers import csrf_of, sign_in, submit
from tests.web.test_security_cases import PASSWORD, make_account
from tests.web.test_suspension_pages import suspend, world_with_reasons

CATALOGS = load_catalogs(["fr-CA"])
CA = next(s for s in demo_sites(8000) if s.code == "ca")
FRENCH = {"accept-language": "fr-CA,fr;q=0.9,en;q=0.5"}
ENGLISH = {"accept-language": "en-CA,en;q=0.9"}
CASE_LINK = re.compile(r"http://ca\.localhost:8000(/cases/open/[A-Za-z0-9_-]+)")
MakeClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def fr(message: str) -> str:
    """The catalog's French for ``message``; a missing entry fails here, not later."""
    found = CATALOGS.gettext("fr-CA", message)
    assert found != message, f"no French for {message!r}"
    return found


@pytest.fixture
async def world(database_url: tuple[str, str | None]) -> AsyncIterator[World]:
    """The store offers the demo suspension reasons, so the notice has its demo words."""
    made = world_with_reasons(*database_url)
    yield made
    await made.runtime.close()


@pytest.fixture
def clients(world: World) -> MakeClient:
    """Clients on the Canada site speaking one language (each with its own cookies)."""
    app = app_for(world.runtime, deliver=False)

    @asynccontextmanager
    async def make(headers: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.12", 51000))
        async with httpx.AsyncClient(transport=transport, base_url=CA.origin, headers=headers) as c:
            yield c

    return make


def main_of(page: httpx.Response) -> str:
    """The page's main part, unescaped (the header and footer are other pages' words)."""
    found = re.search(r'<main id="main">(.*)</main>', page.text, re.S)
    assert found, "page has no main"
    return unescape(found.group(1))


def h1(page: httpx.Response) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page.text, re.S)
    assert found, "page has no h1"
    return unescape(found.group(1))


def title(page: httpx.Response) -> str:
    found = re.search(r"<title>(.*?)</title>", page.text, re.S)
    assert found, "page has no title"
    return unescape(found.group(1))


def in_french(page: httpx.Response) -> str:
    assert page.status_code == 200, page.text
    assert '<html lang="fr-CA">' in page.text
    assert page.headers["content-language"] == "fr-CA"
    return main_of(page)


# -- the help center and the troubleshooter --------------------------------------------------


async def test_help_index_in_french(clients: MakeClient) -> None:
    async with clients(FRENCH) as c:
        page = await c.get("/help")
    body = in_french(page)
    assert h1(page) == fr("Help center")
    assert title(page).startswith(fr("Help center") + " · ")
    for label in ("Can't sign in?", "Find the right help", "Need more help?", "Ask us"):
        assert fr(label) in body, label
    assert "Find the right help" not in body and "Need more help?" not in body


async def test_help_index_in_english(clients: MakeClient) -> None:
    async with clients(ENGLISH) as c:
        page = await c.get("/help")
    assert '<html lang="en-CA">' in page.text and page.headers["content-language"] == "en-CA"
    body = main_of(page)
    assert h1(page) == "Help center"
    assert "Find the right help" in body and fr("Find the right help") not in body


async def test_troubleshooter_questions_and_outcome_in_french(clients: MakeClient) -> None:
    start = SIGN_IN_HELP.questions[SIGN_IN_HELP.start]
    async with clients(FRENCH) as c:
        first = await c.get("/help/sign-in")
        unanswered = await c.get("/help/sign-in?asked=1")
        which = await c.get("/help/sign-in/which-site")
        outcome = await c.get("/help/sign-in/no-access")
    body = in_french(first)
    assert h1(first) == fr("Can't sign in?")
    assert f"<legend>{fr(start.prompt)}</legend>" in body
    assert title(first).startswith(fr(start.prompt))
    for answer in start.answers:
        assert f">{fr(answer.label)}</label>" in body, answer.label
        assert answer.label not in body
    assert fr("Continue") in body and ">Continue<" not in body

    assert unanswered.status_code == 422
    assert fr("Choose one of the answers.") in main_of(unanswered)

    # {brand} and {site} are filled in after translating, wherever French puts them.
    which_body = in_french(which)
    question = SIGN_IN_HELP.questions["which-site"]
    here = fr(question.answers[0].label).format(brand=CA.brand, site=CA.name)
    assert here in which_body and fr(question.hint) in which_body
    assert fr("Start again") in which_body

    out = SIGN_IN_HELP.outcomes["no-access"]
    out_body = in_french(outcome)
    assert h1(outcome) == fr(out.heading)
    for paragraph in out.why:
        assert fr(paragraph) in out_body
    assert f'href="/recovery">{fr(out.go_label)}</a>' in out_body
    assert out.heading not in out_body


async def test_other_sites_outcome_names_them_in_french(clients: MakeClient) -> None:
    async with clients(FRENCH) as c:
        page = await c.get("/help/sign-in/other-site")
    body = in_french(page)
    on_us = fr("Sign in on %(brand)s %(site_name)s") % {
        "brand": CA.brand,
        "site_name": "United States",
    }
    assert on_us in body
    assert (
        fr("You're on %(brand)s %(site_name)s now.")
        % {
            "brand": CA.brand,
            "site_name": CA.name,
        }
        in body
    )


# -- Ask us and the case pages ---------------------------------------------------------------


async def test_ask_us_form_in_french(clients: MakeClient) -> None:
    async with clients(FRENCH) as c:
        page = await c.get("/help/ask")
    body = in_french(page)
    assert h1(page) == fr("Ask us")
    for label in ("Your name", "Email or mobile phone number", "Topic", "Send"):
        assert f">{fr(label)}<" in body, label
    for topic in (Topic.FORGOT_PASSWORD, Topic.LOCKED, Topic.OTHER):
        assert f">{fr(TOPIC_LABELS[topic])}</option>" in body
        assert TOPIC_LABELS[topic] not in body
    # The limit is written the French way (4 000, with a no-break space).
    assert fr("Up to %(limit)s characters.") % {"limit": "4\u202f000"} in body or (
        fr("Up to %(limit)s characters.") % {"limit": "4\u00a0000"} in body
    )
    assert "Your name" not in body and "Choose a topic" not in body


async def test_ask_us_form_in_english(clients: MakeClient) -> None:
    async with clients(ENGLISH) as c:
        page = await c.get("/help/ask")
    body = main_of(page)
    assert '<html lang="en-CA">' in page.text
    assert ">Your name<" in body and ">I forgot my password</option>" in body
    assert "Up to 4,000 characters." in body
    assert fr("Your name") not in body


async def test_a_case_from_ask_us_to_its_page_in_french(clients: MakeClient, world: World) -> None:
    async with clients(FRENCH) as c:
        r = await submit(
            c,
            "/help/ask",
            "/help/ask",
            {
                "name": "Élise Tremblay",
                "contact": "elise@example.com",
                "topic": "locked",
                "message": "Mon compte est verrouillé depuis hier.",
            },
        )
        assert r.status_code == 303, r.text
        sent = await c.get("/help/ask/sent")
        sent_body = in_french(sent)
        assert h1(sent) == fr("We received your request")
        number = re.search(r"<strong>(\d{8})</strong>", sent.text)
        assert number, sent.text
        said = fr("Your case number is <strong>%(number)s</strong>.")
        assert unescape(said % {"number": number.group(1)}) in sent_body

        await world.deliver()
        links = [CASE_LINK.search(m.body) for m in world.mailer.sent if m.to == "elise@example.com"]
        link = next(found.group(1) for found in links if found)
        assert (await c.get(link)).status_code == 303
        page = await c.get("/cases/view")
        body = in_french(page)
        assert h1(page) == fr("Case %(number)s") % {"number": number.group(1)}
        assert fr(TOPIC_LABELS[Topic.LOCKED]) in body
        assert fr(CUSTOMER_STATE_LABELS[CaseState.NEW]) in body
        assert f">{fr('Your reply')}</label>" in body and ">Your reply<" not in body
        assert fr("Forget this case on this browser") in body

        r = await submit(c, "/cases/view", "/cases/view/reply", {"reply": "Toujours verrouillé."})
        assert r.status_code == 303
        replied = main_of(await c.get(r.headers["location"]))
        assert fr("Your reply was sent. We'll answer by email or text message.") in replied
        assert fr("You") in replied

        empty = await submit(c, "/cases/view", "/cases/view/reply", {"reply": ""})
        assert empty.status_code == 422 and 'id="reply-error"' in empty.text


async def test_your_support_cases_in_french(clients: MakeClient, world: World) -> None:
    await make_account(world, "luc@example.com", site="ca")
    async with clients(FRENCH) as c:
        await sign_in(c, "luc@example.com", PASSWORD)
        empty = await c.get("/account/cases")
        assert h1(empty) == fr("Your support cases")
        assert fr("You have no support cases.") in in_french(empty)
        ask = await c.get("/help/ask")
        assert fr(
            "Tell us what's wrong and a Customer Service agent will reply by email or text "
            "message. Your request is attached to your account, %(name)s."
        ) % {"name": "Ana Lopez"} in in_french(ask)
        r = await submit(
            c, "/help/ask", "/help/ask", {"topic": "two_step", "message": "Plus de téléphone."}
        )
        assert r.status_code == 303, r.text
        listed = await c.get("/account/cases")
        body = in_french(listed)
        assert fr(TOPIC_LABELS[Topic.TWO_STEP]) in body
        assert fr("Login & security") in body and "Login & security" not in body
        number = re.search(r'href="/account/cases/(\d{8})"', listed.text)
        assert number, listed.text
        page = await c.get(f"/account/cases/{number.group(1)}")
        assert h1(page) == fr("Case %(number)s") % {"number": number.group(1)}
        assert fr("Your support cases") in in_french(page)


async def test_case_missing_in_french(clients: MakeClient) -> None:
    async with clients(FRENCH) as c:
        page = await c.get("/cases/view")
    assert page.status_code == 404 and '<html lang="fr-CA">' in page.text
    assert h1(page) == fr("We couldn't find that case")


# -- the identity check ----------------------------------------------------------------------


async def test_recovery_start_in_french_and_english(clients: MakeClient) -> None:
    async with clients(FRENCH) as c:
        page = await c.get("/recovery")
        expired = await c.get("/recovery?expired=1")
    body = in_french(page)
    assert h1(page) == fr("Recover your account")
    assert f">{fr('Email or mobile phone number')}</label>" in body
    assert fr("The one you used to sign in, even if it no longer works.") in body
    assert "Recover your account" not in body
    assert fr("That took too long, so we stopped. Please start again.") in main_of(expired)
    async with clients(ENGLISH) as c:
        english = await c.get("/recovery")
    assert '<html lang="en-CA">' in english.text and h1(english) == "Recover your account"


async def test_identity_check_pages_in_french(clients: MakeClient, world: World) -> None:
    """An identifier with no account walks the same pages (decoy questions, SECURITY.md
    17); each one is in French, the shipped questions too."""
    new = "nouveau@example.com"
    async with clients(FRENCH) as c:
        r = await submit(c, "/recovery", "/recovery", {"identifier": "nobody@example.com"})
        assert r.headers["location"] == "/recovery/questions"
        page = await c.get("/recovery/questions")
        body = in_french(page)
        assert h1(page) == fr("Verify your identity")
        asked = re.findall(r'<label for="answer_\d">(.*?)</label>', body)
        assert len(asked) == 3 and set(asked) <= {fr(q.text) for q in SHIPPED}
        answers = {f"answer_{n}": "réponse" for n in range(1, 4)}
        r = await c.post("/recovery/questions", data={"csrf": csrf_of(page.text), **answers})
        assert r.headers["location"] == "/recovery/order"

        page = await c.get("/recovery/order")
        body = in_french(page)
        assert h1(page) == fr("Confirm a recent order")
        assert f">{fr('Order number')}</label>" in body and f">{fr('Order total')}</label>" in body
        assert (
            fr("The amount paid, in %(currency)s, for example 42.50.") % {"currency": "CAD"} in body
        )
        bad = await c.post(
            "/recovery/order",
            data={"csrf": csrf_of(page.text), "order_number": "", "order_total": "12,50"},
        )
        assert bad.status_code == 422 and '<html lang="fr-CA">' in bad.text
        r = await c.post(
            "/recovery/order",
            data={"csrf": csrf_of(page.text), "order_number": "CA-1", "order_total": "12,50"},
        )
        assert r.headers["location"] == "/recovery/contact"

        page = await c.get("/recovery/contact")
        body = in_french(page)
        assert h1(page) == fr("New email or mobile phone number")
        r = await c.post("/recovery/contact", data={"csrf": csrf_of(page.text), "contact": new})
        assert r.headers["location"] == "/recovery/code"

        page = await c.get("/recovery/code")
        body = in_french(page)
        assert h1(page) == fr("Enter OTP")
        assert fr("Resend OTP") in body and fr("Continue") in body and ">Continue<" not in body
        code = await world.code(new)
        r = await c.post("/recovery/code", data={"csrf": csrf_of(page.text), "code": code})
        assert r.headers["location"] == "/recovery/requested"
        done = await c.get("/recovery/requested")
        body = in_french(done)
        assert h1(done) == fr("Recovery requested")
        assert fr("Go to the home page") in body and "Go to the home page" not in body


async def test_dead_recovery_and_unlock_links_in_french(clients: MakeClient) -> None:
    async with clients(FRENCH) as c:
        cancel = await c.get("/recovery/cancel/expired")
        finish = await c.get("/recovery/finish/expired")
        unlock = await c.get("/unlock/expired")
    for page in (cancel, finish, unlock):
        assert page.status_code == 410 and '<html lang="fr-CA">' in page.text
        assert fr("Back to sign in") in main_of(page)
    assert h1(cancel) == h1(finish) == fr("This link can't be used any more")
    assert title(cancel).startswith(fr("Cancel a recovery"))
    assert title(finish).startswith(fr("Finish recovering your account"))
    assert h1(unlock) == fr("Unlock your account")
    assert "Unlock your account" not in main_of(unlock)


# -- the suspension notice -------------------------------------------------------------------


async def test_suspension_notice_in_french(clients: MakeClient, world: World) -> None:
    await make_account(world, "marie@example.com", site="ca")
    await suspend(world, "marie@example.com", site="ca")
    reason = next(r for r in DEMO_REASONS if r.code == "payment_fraud")
    async with clients(FRENCH) as c:
        await submit(c, "/signin", "/signin", {"identifier": "marie@example.com"})
        refused = await submit(c, "/signin/password", "/signin/password", {"password": PASSWORD})
        assert refused.status_code == 403
        page = await c.get("/suspension")
    body = in_french(page)
    assert h1(page) == fr("Your account is suspended")
    for label in (
        "What we did",
        "What it covers",
        "How long",
        "What we found",
        "Why this breaks our terms",
        "How it was decided",
        "If you disagree",
        "Tell us why we should reconsider",
        "Submit appeal",
        "Automated means flagged this account; a person decided.",
        "The whole account on this site: it cannot be signed in to",
    ):
        assert fr(label) in body, label
        assert label not in body, label
    assert fr(reason.title) in body and fr(reason.explanation) in body
    assert reason.title not in body


async def test_suspension_notice_expired_in_english(clients: MakeClient) -> None:
    async with clients(ENGLISH) as c:
        page = await c.get("/suspension/expired")
    assert page.status_code == 410 and '<html lang="en-CA">' in page.text
    assert h1(page) == "This notice can't be shown"
    async with clients(FRENCH) as c:
        page = await c.get("/suspension/expired")
    assert h1(page) == fr("This notice can't be shown")
