"""The help center and the "Can't sign in?" troubleshooter over HTTP."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from urllib.parse import urlencode

import httpx
import pytest

from entryway.bootstrap import app_for
from entryway.core.articles import SHIPPED
from entryway.core.troubleshoot import ASK_US, SIGN_IN_HELP
from entryway.settings import demo_sites
from tests.conftest import World
from tests.web.helpers import register

SITES = demo_sites(8000)
NOT_FOUND = "We couldn't find that page."
MakeClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def clients(world: World) -> MakeClient:
    """Clients on any demo site, all on one app (each with its own cookies)."""
    app = app_for(world.runtime, deliver=False)

    @asynccontextmanager
    async def make(site: str = "us") -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 51000))
        origin = next(s.origin for s in SITES if s.code == site)
        async with httpx.AsyncClient(transport=transport, base_url=origin) as c:
            yield c

    return make


def main_of(page: str) -> str:
    found = re.search(r"<main id=\"main\">(.*)</main>", page, re.S)
    assert found, "page has no main"
    return found.group(1)


def h1(page: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page, re.S)
    assert found, "page has no h1"
    return html.unescape(found.group(1))


def answer_url(question: str, answer: str) -> str:
    base = "/help/sign-in" if question == SIGN_IN_HELP.start else f"/help/sign-in/{question}"
    return base + "?" + urlencode({"asked": "1", "answer": answer})


# -- the help center -----------------------------------------------------------------------


async def test_every_article_on_every_site_is_there_with_the_sites_name(
    clients: MakeClient,
) -> None:
    for site in SITES:
        async with clients(site.code) as client:
            index = await client.get("/help")
            assert index.status_code == 200
            assert h1(index.text) == "Help center"
            body = main_of(index.text)
            assert f"{site.brand} {site.name}" in body
            assert 'href="/help/sign-in"' in body and f'href="{ASK_US}">Ask us<' in body
            for slug in SHIPPED:
                assert f'href="/help/{slug}"' in body, slug
                r = await client.get(f"/help/{slug}")
                assert r.status_code == 200, (site.code, slug)
                title = h1(r.text)
                assert f"<title>{html.escape(title)} · {site.brand} {site.name}</title>" in (
                    r.text.replace("&#39;", "'")
                )
                assert not re.search(r"\{[a-z_]+\}", main_of(r.text)), (site.code, slug)
                assert 'href="/help"' in main_of(r.text)  # back to the index
    async with clients("uk") as client:
        wrong = main_of((await client.get("/help/wrong-site")).text)
    assert "You are on Acme Market United Kingdom." in wrong
    assert 'href="http://us.localhost:8000/signin"' in wrong


async def test_every_link_in_the_articles_stays_on_our_sites(clients: MakeClient) -> None:
    origins = tuple(s.origin + "/" for s in SITES)
    async with clients("ca") as client:
        for slug in SHIPPED:
            body = main_of((await client.get(f"/help/{slug}")).text)
            for href in re.findall(r'href="([^"]*)"', body):
                assert (
                    (href.startswith("/") and not href.startswith("//"))
                    or href.startswith(origins)
                    or href == "mailto:help@acme-market.example"
                ), (slug, href)


async def test_an_unknown_article_is_the_normal_404(client: httpx.AsyncClient) -> None:
    for path in ("/help/no-such-thing", "/help/Locked", "/help/locked.md", "/help/..%2Fsecret"):
        r = await client.get(path)
        assert r.status_code == 404 and NOT_FOUND in html.unescape(r.text), path


async def test_no_access_keeps_its_address_as_an_article(client: httpx.AsyncClient) -> None:
    r = await client.get("/help/no-access")
    assert r.status_code == 200 and h1(r.text) == "No access to your email or phone?"
    assert 'href="/password/forgot"' in r.text and f'href="{ASK_US}"' in r.text


async def test_contact_us_from_messages_leads_to_ask_us(client: httpx.AsyncClient) -> None:
    r = await client.get("/help/contact")
    assert r.status_code == 303 and r.headers["location"] == ASK_US


async def test_the_footer_offers_help_and_ask_us(client: httpx.AsyncClient) -> None:
    for path in ("/", "/help", "/help/locked", "/help/sign-in", "/no-such-page"):
        foot = (await client.get(path)).text.split('<footer class="foot">')[1]
        assert '<a href="/help/sign-in">Can\'t sign in?</a>' in foot, path
        assert '<a href="/help">Help center</a>' in foot, path
        assert 'Need more help? <a href="/help/ask">Ask us</a>.' in foot, path
        assert "Contact us" not in foot and "/help/contact" not in foot, path


# -- the troubleshooter --------------------------------------------------------------------


async def test_the_first_question_asks_about_the_problem_never_the_account(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/help/sign-in")
    assert r.status_code == 200
    body = main_of(r.text)
    assert '<form method="get" action="/help/sign-in"' in body
    assert "What&#39;s stopping you from signing in?" in body
    radios = re.findall(r'<input type="radio" id="answer-([a-z-]+)" name="answer"', body)
    assert radios == [a.id for a in SIGN_IN_HELP.questions["start"].answers]
    assert re.findall(r'<input type="(\w+)"', body) == ["hidden"] + ["radio"] * len(radios)
    assert "<textarea" not in body and 'name="csrf"' not in body
    assert '<button type="submit" class="primary">Continue</button>' in body
    assert "Start again" not in body  # this is the start


async def test_every_answer_path_reaches_its_outcome_page(client: httpx.AsyncClient) -> None:
    for path in SIGN_IN_HELP.paths():
        at = "/help/sign-in"
        for question, answer in path:
            shown = await client.get(at)
            assert shown.status_code == 200, at
            assert f'value="{answer}"' in shown.text, (at, answer)
            r = await client.get(answer_url(question, answer))
            assert r.status_code == 303, (question, answer)
            at = r.headers["location"]
        outcome = SIGN_IN_HELP.outcomes[SIGN_IN_HELP.next(*path[-1]) or ""]
        assert at == f"/help/sign-in/{outcome.id}"
        page = await client.get(at)
        assert page.status_code == 200 and h1(page.text) == outcome.heading, path
        body = main_of(page.text)
        if outcome.go:
            assert f'<a class="button" href="{outcome.go}">' in body, outcome.id
        if outcome.article:
            assert f'href="/help/{outcome.article}"' in body, outcome.id
        assert 'href="/help/sign-in">Start again' in body


async def test_the_wrong_site_outcome_lists_the_other_sites(clients: MakeClient) -> None:
    async with clients("uk") as client:
        body = main_of((await client.get("/help/sign-in/other-site")).text)
    assert 'href="http://us.localhost:8000/signin">Sign in on Acme Market United States' in body
    assert 'href="http://ca.localhost:8000/signin">Sign in on Acme Market Canada' in body
    assert "uk.localhost:8000/signin" not in body
    assert "You're on Acme Market United Kingdom now." in body


async def test_which_site_names_this_one(clients: MakeClient) -> None:
    async with clients("ca") as client:
        body = main_of((await client.get("/help/sign-in/which-site")).text)
    assert "Yes, on Acme Market Canada" in body
    assert 'aria-describedby="answer-hint"' in body


@pytest.mark.parametrize("query", ["asked=1", "asked=1&answer=", "asked=1&answer=nope",
                                   "answer=nope", "asked=1&answer=yes"])  # fmt: skip
async def test_no_answer_or_an_unknown_one_asks_again(
    client: httpx.AsyncClient, query: str
) -> None:
    r = await client.get("/help/sign-in?" + query)
    assert r.status_code == 422
    body = main_of(r.text)
    assert "What&#39;s stopping you from signing in?" in body
    assert '<p class="error" id="answer-error">Choose one of the answers.</p>' in body
    assert 'aria-describedby="answer-error"' in body
    assert body.count('aria-invalid="true"') == len(SIGN_IN_HELP.questions["start"].answers)
    later = await client.get("/help/sign-in/reach?" + query.replace("yes", "forgot"))
    assert later.status_code == 422 and "Choose one of the answers." in later.text
    assert "Start again" in later.text


async def test_unknown_steps_are_404(client: httpx.AsyncClient) -> None:
    for path in ("/help/sign-in/nope", "/help/sign-in/start", "/help/sign-in/reset/more"):
        r = await client.get(path)
        assert r.status_code == 404 and NOT_FOUND in html.unescape(r.text), path


async def test_every_outcome_goes_to_a_real_route_or_article(
    client: httpx.AsyncClient, world: World
) -> None:
    for outcome in SIGN_IN_HELP.outcomes.values():
        for url in filter(None, (outcome.go, outcome.article and f"/help/{outcome.article}")):
            r = await client.get(url)
            assert r.status_code == 200, (outcome.id, url)


async def test_the_same_answers_whatever_the_cookies(clients: MakeClient, world: World) -> None:
    """Nothing in the troubleshooter depends on who asks: signed in, half-way through a
    sign-in, carrying a remembered identifier or odd cookies, the pages are the same."""
    urls = ["/help", "/help/locked", "/help/sign-in", "/help/sign-in?asked=1"]
    for path in SIGN_IN_HELP.paths():
        urls += [answer_url(q, a) for q, a in path]
    urls += [f"/help/sign-in/{o}" for o in SIGN_IN_HELP.outcomes]

    async def answers(client: httpx.AsyncClient) -> list[tuple[int, str, str]]:
        seen = []
        for url in urls:
            r = await client.get(url)
            body = main_of(r.text) if r.status_code != 303 else ""
            seen.append((r.status_code, r.headers.get("location", ""), body))
        return seen

    async with clients() as anonymous:
        expected = await answers(anonymous)
    async with clients() as signed_in:
        await register(signed_in, world)
        assert "Ana Lopez" in (await signed_in.get("/help")).text  # really signed in
        assert await answers(signed_in) == expected
    async with clients() as odd:
        for name, value in [("ew_ident", "ana@example.com"), ("ew_partial", "x" * 43),
                            ("ew_session", "forged"), ("ew_reset", "y" * 43)]:  # fmt: skip
            odd.cookies.set(name, value, domain="us.localhost")
        assert await answers(odd) == expected
