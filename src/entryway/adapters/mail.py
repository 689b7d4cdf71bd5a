"""Email providers: SMTP for real, an in-memory twin for tests, a sink for the demo."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import urlsplit

import aiosmtplib

from entryway.adapters.dkim_signing import DkimSigner


class SmtpMailer:
    """Sends through an SMTP server given as ``smtp://host:port`` (or ``smtps://``)."""

    def __init__(
        self, url: str, *, timeout: float = 10.0, signer: DkimSigner | None = None
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"ENTRYWAY_SMTP_URL must look like smtp://host:port, got {url!r}")
        self.host = parts.hostname
        self.port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self.tls = parts.scheme == "smtps"
        self.username = parts.username
        self.password = parts.password
        self.timeout = timeout
        self.signer = signer  # DKIM, when configured

    async def send_email(
        self,
        *,
        sender: str,
        to: str,
        subject: str,
        body: str,
        html: str = "",
        message_id: str = "",
    ) -> None:
        msg = email_message(
            sender=sender, to=to, subject=subject, body=body, html=html, message_id=message_id
        )
        raw = msg.as_bytes()
        if self.signer is not None:
            raw = self.signer.sign(raw)
        await aiosmtplib.send(
            raw,
            sender=parseaddr(sender)[1] or sender,
            hostname=self.host,
            port=self.port,
            use_tls=self.tls,
            username=self.username,
            password=self.password,
            timeout=self.timeout,
            recipients=[to],
        )


# Every part quoted-printable or base64, so the message is 7-bit clean: no server on the way
# has to convert it (which would break its DKIM signature), and none needs 8BITMIME.
SEVEN_BIT = SMTP.clone(cte_type="7bit")


def email_message(
    *, sender: str, to: str, subject: str, body: str, html: str, message_id: str = ""
) -> EmailMessage:
    """The email as it goes out: the text part alone, or with an HTML part beside it
    (multipart/alternative, text first: a client shows the last part it can read, so one
    without HTML falls back to the words that say the same).

    ``Message-ID`` is made from the outbox message's id, so a retry after a crash between
    the server's acceptance and our record carries the same one and a receiving system can
    drop the duplicate; ``Auto-Submitted: auto-generated`` (RFC 3834) keeps auto-replies
    and vacation notices from answering it."""
    domain = sender_domain(sender)
    msg = EmailMessage(policy=SEVEN_BIT)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = (
        f"<{message_id}.entryway@{domain}>" if message_id else make_msgid(domain=domain)
    )
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


def sender_domain(sender: str) -> str:
    """The domain of a sender such as ``Acme Market <no-reply@acme-market.example>``."""
    address = parseaddr(sender)[1] or sender
    return address.rsplit("@", 1)[-1].strip("<> ").lower()


@dataclass
class SentEmail:
    sender: str
    to: str
    subject: str
    body: str
    html: str = ""
    message_id: str = ""


@dataclass
class MemoryMailer:
    """Twin for tests: keeps every email; ``fail`` makes the next sends raise."""

    sent: list[SentEmail] = field(default_factory=list)
    fail: bool = False

    async def send_email(
        self,
        *,
        sender: str,
        to: str,
        subject: str,
        body: str,
        html: str = "",
        message_id: str = "",
    ) -> None:
        if self.fail:
            raise ConnectionError("mail provider down (test twin)")
        self.sent.append(SentEmail(sender, to, subject, body, html, message_id))


class DemoSink:
    """Demo without SMTP: accepts everything; the messages, HTML parts too, stay readable at
    /dev/outbox (the demo's outbox keeps every part as it was written)."""

    async def send_email(
        self,
        *,
        sender: str,
        to: str,
        subject: str,
        body: str,
        html: str = "",
        message_id: str = "",
    ) -> None:
        return None

    async def send_text(self, *, to: str, body: str, kind: str, site: str) -> None:
        return None
