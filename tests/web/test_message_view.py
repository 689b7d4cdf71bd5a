"""The Message Center's view of an email as it looks: the customer's own message only, its
HTML part served under a strict policy of its own inside a sandboxed frame, with codes and
link tokens out and everything a person wrote escaped."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from entryway.adapters.clock import FrozenClock
from entryway.adapters.i18n import load_catalogs
from entryway.adapters.messages import MessageTemplates
from entryway.bootstrap import Runtime, app_for, build
from entryway.core.events import Channel, MessageKind
from entryway.core.identifiers import Identifier, IdentifierKind
from entryway.flows.ports import Message
from entryway.web.email_view import email_policy
from tests.conftest import World
from tests.conftest import test_settings as settings_for
from tests.web.helpers import register

TOKEN = "Tk_abcdefghijklmnopqrstuvwxyz012345"
SCRIPT = "<script>alert(1)</script>"
POLICY = (
    "default-src 'none'; img-src http://us.localhost:8000 data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox"
)
IFRAME = re.compile(r"<iframe[^>]*>")


def rendered(tmp_path: Path, world: World, **values: str) -> tuple[str, str, str]:
    """An email from an operator's template that quotes what people wrote."""
    folder = tmp_path / "messages"
    folder.mkdir(exist_ok=True)
    (folder / "quoted.txt").write_text(
        "{% block subject %}A reply for {{ customer }}{% endblock %}\n"
        "{% block body %}\nHello {{ customer }},\n\n{{ reply }}\n\n"
        "Open: {{ url('/unlock?token=' ~ token) }}\n{% endblock %}\n"
    )
    templates = MessageTemplates(load_catalogs(["en-US"]), tmp_path)
    out = templates.email("quoted", world.deps.site("us"), "en-US", token=TOKEN, **values)
    return out.subject, out.text, out.html


async def account_id(world: World, email: str) -> str:
    async with world.deps.uow() as uow:
        found = await uow.accounts.find("us", Identifier(IdentifierKind.EMAIL, email))
    assert found is not None
    return found.id


async def file(
    world: World, id: str, owner: str, kind: MessageKind, subject: str, body: str, html: str
) -> None:
    now = world.clock.now()
    async with world.deps.uow() as uow:
        await uow.outbox.add(
            Message(
                id=id,
                site="us",
                account_id=owner,
                channel=Channel.EMAIL,
                kind=kind,
                to="ana@example.com",
                subject=subject,
                body=body,
                created_at=now,
                next_attempt_at=now,
                html=html,
            )
        )
        await uow.commit()


@pytest.fixture
async def ana(client: httpx.AsyncClient, world: World, tmp_path: Path) -> str:
    """Ana signed in, with an agent's reply (a link message) in her Message Center."""
    r = await register(client, world, name=f"Ana {SCRIPT}")
    assert r.status_code == 303, r.text
    owner = await account_id(world, "ana@example.com")
    subject, body, html = rendered(tmp_path, world, customer=f"Ana {SCRIPT}", reply=f"Hi {SCRIPT}")
    await file(world, "reply1", owner, MessageKind.CASE_REPLY, subject, body, html)
    return owner


async def test_the_list_links_to_the_email_as_it_looks(client: httpx.AsyncClient, ana: str) -> None:
    r = await client.get("/account/messages")
    assert r.status_code == 200
    assert '<a href="/account/messages/reply1">View as the email looks</a>' in r.text
    assert SCRIPT not in r.text and "&lt;script&gt;" in r.text


async def test_the_page_frames_the_html_part_in_a_sandbox(
    client: httpx.AsyncClient, ana: str
) -> None:
    r = await client.get("/account/messages/reply1")
    assert r.status_code == 200, r.text
    frames = IFRAME.findall(r.text)
    assert len(frames) == 1
    assert ' sandbox src="/account/messages/reply1/html"' in frames[0]
    assert "allow-" not in frames[0]
    assert SCRIPT not in r.text and TOKEN not in r.text
    assert "unlock?token=hidden" in r.text  # the text part, as the list shows it


async def test_the_html_part_has_a_policy_of_its_own(client: httpx.AsyncClient, ana: str) -> None:
    r = await client.get("/account/messages/reply1/html")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers.get_list("content-security-policy") == [POLICY]
    assert r.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "no-referrer"  # the site-wide ones stay
    assert TOKEN not in r.text and "unlock?token=hidden" in r.text
    assert SCRIPT not in r.text and "Hi &lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "Ana &lt;script&gt;" in r.text
    assert 'src="http://us.localhost:8000/static/logo.png"' in r.text
    # Every other page keeps the site-wide policy, framing refused.
    page = await client.get("/account/messages/reply1")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


async def test_another_account_s_message_is_not_found(
    client: httpx.AsyncClient, world: World, ana: str, tmp_path: Path
) -> None:
    await file(world, "theirs", "someone-else", MessageKind.PASSWORD_CHANGED, "S", "B", "<p>B</p>")
    for path in ("/account/messages/theirs", "/account/messages/theirs/html"):
        assert (await client.get(path)).status_code == 404, path
    for path in ("/account/messages/nope", "/account/messages/nope/html"):
        assert (await client.get(path)).status_code == 404, path


async def test_a_code_email_shows_no_html_part(
    client: httpx.AsyncClient, world: World, ana: str
) -> None:
    await file(
        world, "code1", ana, MessageKind.VERIFY_ACCOUNT, "Code", "Code 123456", "<p>123456</p>"
    )
    r = await client.get("/account/messages/code1")
    assert r.status_code == 200 and "123456" not in r.text and "<iframe" not in r.text
    assert (await client.get("/account/messages/code1/html")).status_code == 404


async def test_signed_out_is_sent_to_sign_in(client: httpx.AsyncClient, ana: str) -> None:
    client.cookies.clear()
    r = await client.get("/account/messages/reply1/html")
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")


@pytest.fixture
async def demo(database_url: tuple[str, str | None]) -> AsyncIterator[Runtime]:
    url, schema = database_url
    runtime = build(settings_for(url, demo=True), schema=schema, clock=FrozenClock())
    yield runtime
    await runtime.close()


async def test_the_demo_outbox_frames_the_html_part_too(demo: Runtime) -> None:
    now = demo.deps.clock.now()
    async with demo.deps.uow() as uow:
        await uow.outbox.add(
            Message(
                id="m1",
                site="ca",
                account_id=None,
                channel=Channel.EMAIL,
                kind=MessageKind.PASSWORD_CHANGED,
                to="zoe@example.com",
                subject="Changed",
                body="Changed.",
                created_at=now,
                next_attempt_at=now,
                html=f"<p>Changed {SCRIPT.replace('<', '&lt;')}</p>",
            )
        )
        await uow.commit()
    transport = httpx.ASGITransport(app=app_for(demo, deliver=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://us.localhost:8000") as c:
        listing = await c.get("/dev/outbox")
        assert '<a href="/dev/outbox/m1">View as the email looks</a>' in listing.text
        assert (await c.get("/dev/outbox.json")).json()["messages"][0]["html"].startswith("<p>")
        one = await c.get("/dev/outbox/m1")
        assert one.status_code == 200
        (frame,) = IFRAME.findall(one.text)
        assert ' sandbox src="/dev/outbox/m1/html"' in frame and "allow-" not in frame
        html = await c.get("/dev/outbox/m1/html")
        assert html.headers.get_list("content-security-policy") == [
            POLICY.replace("us.localhost", "ca.localhost")  # the message's own site's logo
        ]
        assert html.headers["x-content-type-options"] == "nosniff"
        assert (await c.get("/dev/outbox/nope/html")).status_code == 404


async def test_the_demo_logo_is_served(client: httpx.AsyncClient, world: World) -> None:
    r = await client.get("/static/logo.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(r.content[16:20]), int.from_bytes(r.content[20:24])
    assert (width, height) == (120, 32)
    assert world.deps.site("us").logo_url == "http://us.localhost:8000/static/logo.png"


def test_without_a_logo_an_email_may_show_no_remote_image(world: World) -> None:
    plain = replace(world.deps.site("us"), logo_url="")
    assert "img-src data:;" in email_policy(plain)
    assert "http" not in email_policy(plain)
