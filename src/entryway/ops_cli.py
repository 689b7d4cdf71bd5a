"""Operator commands for what the service sends out: ``entryway webhooks secret``,
``entryway webhooks test URL`` and ``entryway dkim keygen``. No business logic here."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from entryway.adapters.dkim_signing import new_key, txt_record, zone_strings
from entryway.adapters.webhooks import SignedEventPoster
from entryway.settings import load_settings
from entryway.settings_webhooks import SECRET_PREFIX, secret_ok

TEST_EVENT = "webhook.test"  # a sample only a test sends: no account, no change


def add_webhooks_parser(sub: Any) -> None:
    hooks = sub.add_parser("webhooks", help="security event webhooks")
    hooks_sub = hooks.add_subparsers(dest="webhooks_command", required=True)
    hooks_sub.add_parser("secret", help="print a new secret for a receiver (whsec_...)")
    test = hooks_sub.add_parser(
        "test", help="send a signed sample event to URL, as the service would"
    )
    test.add_argument("url")
    test.add_argument(
        "--secret",
        help="sign with this secret (default: the one ENTRYWAY_WEBHOOKS gives for URL)",
    )


def add_dkim_parser(sub: Any) -> None:
    dkim = sub.add_parser("dkim", help="DKIM signatures on outgoing email")
    dkim_sub = dkim.add_subparsers(dest="dkim_command", required=True)
    keygen = dkim_sub.add_parser(
        "keygen", help="write a new signing key and print the DNS TXT record to publish"
    )
    keygen.add_argument("--selector", required=True, help="e.g. entryway2026")
    keygen.add_argument("--domain", required=True, help="the domain of MAIL_FROM")
    keygen.add_argument("--out", required=True, type=Path, help="the key file to write")


def run_dkim(args: argparse.Namespace) -> int:
    """Write a new key (never over an existing file) and print what to publish and set."""
    out: Path = args.out
    if out.exists():
        print(f"{out} exists already: keygen never replaces a key", file=sys.stderr)
        return 2
    pem = new_key()
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(pem)
    domain = args.domain.lower().rstrip(".")
    print(f"Wrote the private key to {out} (readable by this user only).")
    print("Publish this DNS TXT record:")
    print(f"  {args.selector}._domainkey.{domain}. IN TXT ( {zone_strings(txt_record(pem))} )")
    print("Then set:")
    print(f"  ENTRYWAY_DKIM_SELECTOR={args.selector}")
    print(f"  ENTRYWAY_DKIM_DOMAIN={domain}")
    print(f"  ENTRYWAY_DKIM_PRIVATE_KEY_FILE={out.resolve()}")
    return 0


def run_webhooks(args: argparse.Namespace) -> int:
    if args.webhooks_command == "secret":
        print(SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode())
        return 0
    secret = args.secret or _configured_secret(args.url)
    if secret is None:
        print(f"no receiver in ENTRYWAY_WEBHOOKS has the url {args.url!r}; pass --secret")
        return 2
    if not secret_ok(secret):
        print("the secret must be whsec_ and the base64 of 24 to 64 bytes")
        return 2
    return asyncio.run(_send_sample(args.url, secret))


def _configured_secret(url: str) -> str | None:
    for receiver in load_settings().webhooks:
        if receiver.url == url:
            return receiver.secret
    return None


def sample_event(now: datetime) -> dict[str, Any]:
    return {
        "type": TEST_EVENT,
        "timestamp": now.isoformat(),
        "data": {"site": "", "subject": None, "action": TEST_EVENT, "ip": ""},
    }


async def _send_sample(url: str, secret: str) -> int:
    body = json.dumps(sample_event(datetime.now(UTC)), separators=(",", ":"), sort_keys=True)
    event_id = "test_" + secrets.token_urlsafe(12)
    async with httpx.AsyncClient() as http:
        try:
            await SignedEventPoster(http, {url: secret}).post_event(url, event_id, body)
        except (httpx.HTTPError, RuntimeError) as exc:
            print(f"not delivered: {exc or type(exc).__name__}", file=sys.stderr)
            return 1
    print(f"delivered: webhook-id msg_{event_id}")
    return 0
