"""An email's HTML part: sent beside the text part over SMTP, and stored without codes or
link tokens in either part (SQLite and, with --db=postgresql, PostgreSQL)."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from entryway.adapters.mail import SmtpMailer
from entryway.core.events import AccountStatus, Channel, MessageKind
from entryway.flows.outbox.delivery import Courier
from entryway.flows.ports import Account, Message
from tests.adapters.test_delivery import free_port
from tests.conftest import World

TOKEN = "Tk_abcdefghijklmnopqrstuvwxyz012345"
TEXT = f"Unlock: http://us.localhost:8000/unlock?token={TOKEN}\n\nThanks."
HTML = (
    f'<p><a href="http://us.localhost:8000/unlock?flow=1&amp;token={TOKEN}">'
    f"http://us.localhost:8000/unlock?token={TOKEN}</a></p>"
    f'<p><a href="http://us.localhost:8000/cases/open/{TOKEN}">View your case</a>'
    f'<a href="http://us.localhost:8000/x?a=1&#38;token={TOKEN}">x</a></p>'
)


class Inbox:
    """An SMTP peer that keeps each message's bytes as they arrived."""

    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope.original_content or envelope.content)
        return "250 OK"


def parsed(raw: bytes) -> EmailMessage:
    found = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(found, EmailMessage)
    return found


async def test_smtp_sends_text_then_html_as_alternatives() -> None:
    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", timeout=5)
        await mailer.send_email(
            sender="Acme <no-reply@acme.example>",
            to="ana@example.com",
            subject="Bonjour",
            body="Le texte, é.",
            html="<p>Le <b>texte</b>, é.</p>",
        )
        await mailer.send_email(
            sender="Acme <no-reply@acme.example>", to="ana@example.com", subject="Plain", body="x"
        )
    finally:
        controller.stop()
    both, plain = (parsed(raw) for raw in inbox.received)
    assert both.get_content_type() == "multipart/alternative"
    parts = list(both.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content().strip() == "Le texte, é."  # type: ignore[attr-defined]
    assert "<b>texte</b>, é." in parts[1].get_content()  # type: ignore[attr-defined]
    assert plain.get_content_type() == "text/plain" and not plain.is_multipart()


async def add(world: World, id: str, kind: MessageKind, body: str, html: str) -> None:
    now = world.clock.now()
    async with world.deps.uow() as uow:
        await uow.outbox.add(
            Message(
                id=id,
                site="us",
                account_id=None,
                channel=Channel.EMAIL,
                kind=kind,
                to="ana@example.com",
                subject="S",
                body=body,
                created_at=now,
                next_attempt_at=now,
                html=html,
            )
        )
        await uow.commit()


async def stored(world: World) -> dict[str, Message]:
    async with world.deps.uow() as uow:
        return {m.id: m for m in await uow.outbox.latest()}


def courier(world: World, *, demo: bool) -> Courier:
    return Courier(
        uow=world.deps.uow,
        clock=world.clock,
        mailer=world.mailer,
        texter=world.texter,
        sender="no-reply@acme.example",
        keep_code_bodies=demo,
    )


async def test_stored_parts_lose_codes_and_link_tokens_once_sent(world: World) -> None:
    await add(world, "link", MessageKind.ACCOUNT_LOCKED, TEXT, HTML)
    await add(world, "code", MessageKind.VERIFY_ACCOUNT, "Your code: 123456", "<p>123456</p>")
    await add(world, "plain", MessageKind.PASSWORD_CHANGED, "Changed.", "<p>Changed.</p>")
    assert await courier(world, demo=False).run_once() == 3
    sent = {m.subject + m.body[:4]: m for m in world.mailer.sent}
    assert any(TOKEN in m.html for m in sent.values())  # the customer's copy has the link
    kept = await stored(world)
    link = kept["link"]
    assert TOKEN not in link.body and TOKEN not in link.html
    assert "unlock?token=hidden" in link.body
    assert "&amp;token=hidden" in link.html and "/cases/open/hidden" in link.html
    assert "&#38;token=hidden" in link.html
    assert "123456" not in kept["code"].body and kept["code"].html == ""
    assert kept["code"].body.startswith("A one-time code was sent to")
    assert kept["plain"].html == "<p>Changed.</p>" and kept["plain"].body == "Changed."


async def test_the_demo_keeps_every_part(world: World) -> None:
    await add(world, "code", MessageKind.VERIFY_ACCOUNT, "Your code: 123456", "<p>123456</p>")
    assert await courier(world, demo=True).run_once() == 1
    assert (await stored(world))["code"].html == "<p>123456</p>"


async def test_account_update_writes_its_language(world: World) -> None:
    account = Account(
        id="a1",
        site="ca",
        name="Zoé",
        email="zoe@example.com",
        phone=None,
        password_hash="$argon2id$x",
        status=AccountStatus.ACTIVE,
        created_at=world.clock.now(),
        locale="fr-CA",
    )
    async with world.deps.uow() as uow:
        await uow.accounts.add(account)
        await uow.commit()
    async with world.deps.uow() as uow:
        found = await uow.accounts.get("ca", "a1")
        assert found is not None and found.locale == "fr-CA"
        await uow.accounts.update("ca", "a1", locale="en-CA")
        await uow.commit()
    async with world.deps.uow() as uow:
        found = await uow.accounts.get("ca", "a1")
        assert found is not None and found.locale == "en-CA"
        assert await uow.accounts.get("us", "a1") is None  # scoped by site
