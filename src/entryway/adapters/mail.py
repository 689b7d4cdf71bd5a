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

    async def send_email(
        self, *, sender: str, to: str, subject: str, body: str, html: str = ""
    ) -> None:
        msg = email_message(sender=sender, to=to, subject=subject, body=body, html=html)
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


def email_message(*, sender: str, to: str, subject: str, body: str, html: str) -> EmailMessage:
    """The email as it goes out: the text part alone, or with an HTML part beside it
    (multipart/alternative, text first: a client shows the last part it can read, so one
    without HTML falls back to the words that say the same)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip("> "))
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


@dataclass
class SentEmail:
    sender: str
    to: str
    subject: str
    body: str
    html: str = ""


@dataclass
class MemoryMailer:
    """Twin for tests: keeps every email; ``fail`` makes the next sends raise."""

    sent: list[SentEmail] = field(default_factory=list)
    fail: bool = False

    async def send_email(
        self, *, sender: str, to: str, subject: str, body: str, html: str = ""
    ) -> None:
        if self.fail:
            raise ConnectionError("mail provider down (test twin)")
        self.sent.append(SentEmail(sender, to, subject, body, html))


class DemoSink:
    """Demo without SMTP: accepts everything; the messages, HTML parts too, stay readable at
    /dev/outbox (the demo's outbox keeps every part as it was written)."""

    async def send_email(
        self, *, sender: str, to: str, subject: str, body: str, html: str = ""
    ) -> None:
        return None

    async def send_text(self, *, to: str, body: str, kind: str, site: str) -> None:
        return None
