"""Email providers: SMTP for real, an in-memory twin for tests, a sink for the demo."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import urlsplit

import aiosmtplib


class SmtpMailer:
    """Sends through an SMTP server given as ``smtp://host:port`` (or ``smtps://``)."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"ENTRYWAY_SMTP_URL must look like smtp://host:port, got {url!r}")
        self.host = parts.hostname
        self.port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self.tls = parts.scheme == "smtps"
        self.username = parts.username
        self.password = parts.password
        self.timeout = timeout

    async def send_email(self, *, sender: str, to: str, subject: str, body: str) -> None:
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip("> "))
        msg.set_content(body)
        await aiosmtplib.send(
            msg,
            hostname=self.host,
            port=self.port,
            use_tls=self.tls,
            username=self.username,
            password=self.password,
            timeout=self.timeout,
            recipients=[to],
        )


@dataclass
class SentEmail:
    sender: str
    to: str
    subject: str
    body: str


@dataclass
class MemoryMailer:
    """Twin for tests: keeps every email; ``fail`` makes the next sends raise."""

    sent: list[SentEmail] = field(default_factory=list)
    fail: bool = False

    async def send_email(self, *, sender: str, to: str, subject: str, body: str) -> None:
        if self.fail:
            raise ConnectionError("mail provider down (test twin)")
        self.sent.append(SentEmail(sender, to, subject, body))


class DemoSink:
    """Demo without SMTP: accepts everything; the messages stay readable at /dev/outbox."""

    async def send_email(self, *, sender: str, to: str, subject: str, body: str) -> None:
        return None

    async def send_text(self, *, to: str, body: str, kind: str, site: str) -> None:
        return None
