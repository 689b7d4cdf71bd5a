"""The help center over HTTP in the reader's language: French on the Canada site when the
browser or the footer's choice asks for it, English otherwise, the US site untouched."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest

from entryway.adapters.help_articles import SHIPPED_DIR, read_folder
from entryway.bootstrap import app_for
from entryway.core.articles import SHIPPED
from entryway.settings import demo_sites
from entryway.web.i18n import LANG
from tests.conftest import World

SITES = demo_sites(8000)
ENGLISH = {slug: s.title for slug, s in read_folder(SHIPPED_DIR).items()}
FRENCH = {slug: s.title for slug, s in read_folder(SHIPPED_DIR / "fr-CA", "fr-CA").items()}
MakeClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def clients(world: World) -> MakeClient:
    """A client on a demo site asking for ``language`` (Accept-Language), on one app."""
    app = app_for(world.runtime, deliver=False)

    @asynccontextmanager
    async def make(site: str, language: str = "") -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 51000))
        origin = next(s.origin for s in SITES if s.code == site)
        headers = {"accept-language": language} if language else {}
        async with httpx.AsyncClient(
            transport=transport, base_url=origin, headers=headers
        ) as client:
            yield client

    return make


def main_of(page: str) -> str:
    found = re.search(r"<main id=\"main\">(.*)</main>", page, re.S)
    assert found, "page has no main"
    return found.group(1)


def h1(page: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page, re.S)
    assert found, "page has no h1"
    return html.unescape(found.group(1))


def listed(page: str) -> list[str]:
    """The article titles the help index lists, in order."""
    return [
        html.unescape(t)
        for t in re.findall(r'<a href="/help/[a-z-]+"><strong>(.*?)</strong>', page)
    ]


async def test_the_canada_site_in_french_shows_the_french_articles(clients: MakeClient) -> None:
    async with clients("ca", "fr-CA,fr;q=0.9,en;q=0.5") as client:
        index = await client.get("/help")
        assert index.status_code == 200 and index.headers["content-language"] == "fr-CA"
        assert listed(index.text) == [FRENCH[slug] for slug in SHIPPED]
        for slug in SHIPPED:
            r = await client.get(f"/help/{slug}")
            assert r.status_code == 200 and r.headers["content-language"] == "fr-CA", slug
            assert h1(r.text) == FRENCH[slug] != ENGLISH[slug], slug
            assert not re.search(r"\{[a-z_]+\}", main_of(r.text)), slug
        wrong = main_of((await client.get("/help/wrong-site")).text)
    assert "Vous êtes sur Acme Market Canada." in wrong
    assert 'href="http://us.localhost:8000/signin"' in wrong


@pytest.mark.parametrize("language", ["fr", "fr-FR", "fr-ca"])
async def test_any_french_asks_for_the_canadian_french(clients: MakeClient, language: str) -> None:
    async with clients("ca", language) as client:
        r = await client.get("/help/locked")
    assert h1(r.text) == FRENCH["locked"]


@pytest.mark.parametrize("language", ["", "en-CA", "en-US,en;q=0.8", "de-DE", "fr;q=0"])
async def test_the_canada_site_in_english_shows_the_english_articles(
    clients: MakeClient, language: str
) -> None:
    async with clients("ca", language) as client:
        index = await client.get("/help")
        assert listed(index.text) == [ENGLISH[slug] for slug in SHIPPED]
        for slug in ("forgot-password", "wrong-site"):
            r = await client.get(f"/help/{slug}")
            assert r.headers["content-language"] == "en-CA"
            assert h1(r.text) == ENGLISH[slug], slug


async def test_the_footers_choice_wins_over_the_browser(clients: MakeClient) -> None:
    ca = next(s for s in SITES if s.code == "ca")
    async with clients("ca", "en-CA") as client:
        client.cookies.set(LANG, "fr-CA", domain=httpx.URL(ca.origin).host)
        assert h1((await client.get("/help/two-step")).text) == FRENCH["two-step"]
    async with clients("ca", "fr-CA") as client:
        client.cookies.set(LANG, "en-CA", domain=httpx.URL(ca.origin).host)
        assert h1((await client.get("/help/two-step")).text) == ENGLISH["two-step"]


@pytest.mark.parametrize("site", ["us", "uk"])
async def test_sites_without_french_are_unaffected(clients: MakeClient, site: str) -> None:
    async with clients(site, "fr-CA,fr") as client:
        index = await client.get("/help")
        assert listed(index.text) == [ENGLISH[slug] for slug in SHIPPED]
        for slug in SHIPPED:
            assert h1((await client.get(f"/help/{slug}")).text) == ENGLISH[slug], (site, slug)


async def test_the_troubleshooter_points_to_the_article_in_the_readers_language(
    clients: MakeClient,
) -> None:
    async with clients("ca", "fr-CA") as client:
        body = main_of((await client.get("/help/sign-in/unlock")).text)
    assert f'<a href="/help/locked">{html.escape(FRENCH["locked"])}</a>' in body
    async with clients("ca", "en-CA") as client:
        body = main_of((await client.get("/help/sign-in/unlock")).text)
    assert f'<a href="/help/locked">{html.escape(ENGLISH["locked"])}</a>' in body


async def test_an_unknown_article_is_still_404_in_french(clients: MakeClient) -> None:
    async with clients("ca", "fr-CA") as client:
        assert (await client.get("/help/no-such-thing")).status_code == 404
