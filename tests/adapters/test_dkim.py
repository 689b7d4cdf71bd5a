"""Signed mail: what a real SMTP peer (aiosmtpd) received verifies with dkimpy's own
verifier against the key ``entryway dkim keygen`` wrote and the TXT record it printed, and
carries a stable Message-ID, a Date and Auto-Submitted."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from dataclasses import replace
from email import message_from_bytes
from pathlib import Path
from typing import Any

import dkim
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import update

from entryway.adapters.dkim_signing import DkimKeyError, DkimSigner, new_key
from entryway.adapters.mail import SmtpMailer, email_message
from entryway.adapters.sql import tables as t
from entryway.bootstrap import UnsafeSettings, build
from entryway.flows.outbox.delivery import Courier
from tests.adapters.test_delivery import free_port, queue
from tests.conftest import World
from tests.conftest import test_settings as settings_for

SENDER = "Acme Market <no-reply@acme-market.example>"
EMAIL_PARTS = ("sender", "to", "subject", "body", "html", "message_id")


class RawInbox:
    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope.original_content)
        return "250 OK"


async def keygen(tmp_path: Path) -> tuple[Path, str, str]:
    """Run ``entryway dkim keygen``; the key file, the record's name and its TXT value."""
    out = tmp_path / "keys" / "dkim.pem"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "entryway", "dkim", "keygen", "--selector", "ew1",
        "--domain", "acme-market.example", "--out", str(out),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    printed, _err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0
    found = re.search(r"^\s+(\S+) IN TXT \( (.+) \)$", printed.decode(), re.M)
    assert found, printed
    strings = re.findall(r'"([^"]*)"', found.group(2))
    assert strings and all(len(part) <= 255 for part in strings)  # DNS caps each string
    return out, found.group(1), "".join(strings)


async def test_mail_received_by_the_smtp_peer_verifies_against_the_published_key(
    world: World, tmp_path: Path
) -> None:
    key, name, record = await keygen(tmp_path)
    assert name == "ew1._domainkey.acme-market.example."
    assert record.startswith("v=DKIM1; k=rsa; p=")
    assert os.stat(key).st_mode & 0o777 == 0o600
    port = free_port()
    inbox = RawInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    signer = DkimSigner.from_file("ew1", "acme-market.example", key)
    courier = Courier(
        uow=world.deps.uow,
        clock=world.clock,
        mailer=SmtpMailer(f"smtp://127.0.0.1:{port}", timeout=5, signer=signer),
        texter=world.texter,
        sender=SENDER,
    )
    try:
        await queue(world, 2)
        async with world.deps.uow() as uow:  # French words: non-ASCII, as most mail is
            await uow.sweeper.conn.execute(
                update(t.messages).where(t.messages.c.id == "m1")
                .values(body="Body 1 — votre code : 123456, Réinitialisez-le.")
            )  # fmt: skip
            await uow.commit()
        assert await courier.run_once() == 2
    finally:
        controller.stop()
    assert len(inbox.received) == 2

    def dns(qname: bytes, timeout: int = 5) -> bytes:
        assert qname.decode() == name  # the verifier asks for exactly the published name
        return record.encode()

    for raw in inbox.received:
        assert dkim.verify(raw, dnsfunc=dns)
        assert all(byte < 128 for byte in raw)  # 7-bit clean: no relay converts it
        forged = b"Subject: Urgent: confirm your card\r\nReply-To: thief@evil.example\r\n" + raw
        assert not dkim.verify(forged, dnsfunc=dns)  # oversigned: nothing can be added
        tampered = raw.replace(b"Body 0", b"Body X").replace(b"123456", b"654321")
        assert not dkim.verify(tampered, dnsfunc=dns)
        parsed = message_from_bytes(raw)
        assert parsed["Auto-Submitted"] == "auto-generated"
        assert parsed["Date"]
        assert re.fullmatch(r"<m[01]\.entryway@acme-market\.example>", parsed["Message-ID"])
        signature = parsed["DKIM-Signature"]
        assert "d=acme-market.example" in signature and "s=ew1" in signature
        assert "message-id" in signature.lower()


async def test_a_retried_email_keeps_its_message_id(world: World) -> None:
    """Every attempt, the failed one too, carries the same Message-ID header."""
    headers: list[str] = []

    class Flaky:
        async def send_email(self, **parts: str) -> None:
            built = email_message(**{k: parts.get(k, "") for k in EMAIL_PARTS})
            headers.append(str(built["Message-ID"]))
            if len(headers) == 1:
                raise ConnectionError("the SMTP server went away")

    await queue(world, 1)
    courier = replace(world.runtime.delivery.courier, mailer=Flaky())
    await courier.run_once()
    world.clock.advance(seconds=10)
    await courier.run_once()
    assert headers == ["<m0.entryway@acme-market.example>"] * 2


async def test_keygen_never_replaces_a_key(tmp_path: Path) -> None:
    key, _name, _record = await keygen(tmp_path)
    before = key.read_bytes()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "entryway", "dkim", "keygen", "--selector", "ew2",
        "--domain", "acme-market.example", "--out", str(key),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2 and b"exists already" in err
    assert key.read_bytes() == before


def test_a_key_that_cannot_sign_refuses_to_start(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    bad.chmod(0o600)
    shared = tmp_path / "shared.pem"
    shared.write_bytes(new_key())
    shared.chmod(0o644)
    with pytest.raises(DkimKeyError, match="chmod 600"):
        DkimSigner.from_file("ew1", "acme-market.example", shared)
    with pytest.raises(DkimKeyError, match="not an unencrypted PEM"):
        DkimSigner.from_file("ew1", "acme-market.example", bad)
    with pytest.raises(DkimKeyError, match="cannot read"):
        DkimSigner.from_file("ew1", "acme-market.example", tmp_path / "missing.pem")
    url = f"sqlite:///{tmp_path / 'x.db'}"
    dkim_for = {"dkim_selector": "ew1", "dkim_domain": "acme-market.example"}
    with pytest.raises(UnsafeSettings, match="DKIM_PRIVATE_KEY_FILE"):
        build(settings_for(url, **dkim_for, dkim_private_key_file=str(bad)))


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"dkim_selector": "ew1"}, "all three"),
        ({"dkim_domain": "other.example"}, "must be the domain of"),
        ({"dkim_selector": "two.labels", "dkim_domain": "acme-market.example"}, "one DNS label"),
    ],
)
def test_dkim_settings_that_cannot_work_are_named(values: dict[str, str], problem: str) -> None:
    good = {
        "dkim_selector": "ew1",
        "dkim_domain": "acme-market.example",
        "dkim_private_key_file": "/etc/entryway/dkim.pem",
    }
    given = values if "dkim_domain" not in values and len(values) == 1 else {**good, **values}
    settings = settings_for("sqlite://", mail_from=SENDER, **given)
    found = settings.dkim_problems()
    assert len(found) == 1 and problem in found[0], found
    parent = settings_for("sqlite://", mail_from="Acme <a@mail.acme-market.example>", **good)
    assert parent.dkim_problems() == []  # a subdomain's mail aligns with its parent
